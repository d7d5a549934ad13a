"""Version discovery at the service root, and the legacy v2.0 token call."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.core.errors import BadRequest, Unauthorized
from gureum.identity import errors, schemas, views
from gureum.identity.manager import IdentityManager

router = Router()

V3_ID = "v3.14"
V3_UPDATED = "2020-04-07T00:00:00Z"


def v3_entry(base: str) -> dict[str, Any]:
    return {"id": V3_ID, "status": "stable", "updated": V3_UPDATED,
            "links": [{"rel": "self", "href": f"{base}/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


@router.get("/", public=True)
async def list_versions(req: Request, manager: IdentityManager) -> Any:
    return json_response({"versions": {"values": [v3_entry(req.base_url)]}}, 300)


@router.get("/v3", public=True)
async def show_v3(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"version": v3_entry(req.base_url)}


router.get("/v3/", public=True)(show_v3)


@router.post("/v2.0/tokens", schema=schemas.V2_AUTH, public=True)
async def create_v2_token(req: Request, manager: IdentityManager) -> dict[str, Any]:
    """Older clients' password (or token) call; users live in the default domain."""
    auth = req.body["auth"]
    if "passwordCredentials" in auth:
        creds = auth["passwordCredentials"]
        user = ({"id": creds["userId"]} if "userId" in creds
                else {"name": creds.get("username"), "domain": {"id": "default"}})
        identity: dict[str, Any] = {"methods": ["password"],
                                    "password": {"user": {**user,
                                                          "password": creds["password"]}}}
    elif "token" in auth:
        identity = {"methods": ["token"], "token": {"id": auth["token"]["id"]}}
    else:
        raise BadRequest("Expected passwordCredentials or token.")
    v3: dict[str, Any] = {"identity": identity}
    if "tenantId" in auth:
        v3["scope"] = {"project": {"id": auth["tenantId"]}}
    elif "tenantName" in auth:
        v3["scope"] = {"project": {"name": auth["tenantName"], "domain": {"id": "default"}}}
    try:
        token, payload, data = await manager.authenticate(v3)
    except errors.TokenNotFound as exc:
        raise Unauthorized(exc.text) from exc
    return views.v2_access(token, payload, data)
