"""/v2.1/os-keypairs: a user's key pairs (admins name another user with user_id, 2.10)."""

from __future__ import annotations

from typing import Any

from gureum.compute import schemas, views
from gureum.compute.api.common import next_links, page, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router, json_response

router = Router("/v2.1/os-keypairs")
P = "os_compute_api:os-keypairs:"


def _owner(req: Request, body_user: str | None = None) -> str:
    """Whose key pairs: the caller's, or (2.10, admins) the user named."""
    asked = body_user or req.query.get("user_id")
    if asked and version(req) >= (2, 10):
        return str(asked)
    return req.context.user_id or ""


async def owner_target(req: Request, manager: ComputeManager) -> dict[str, Any]:
    body_user = (req.body or {}).get("keypair", {}).get("user_id") if isinstance(
        req.body, dict) else None
    return {"user_id": _owner(req, body_user), "project_id": req.context.project_id}


@router.get("", policy=P + "index", target=owner_target)
async def list_keypairs(req: Request, manager: ComputeManager) -> dict[str, Any]:
    listing = page(req) if version(req) >= (2, 35) else None
    rows = await manager.list_keypairs(_owner(req), listing.limit if listing else None,
                                       listing.marker if listing else None)
    items = [{"keypair": views.keypair(r, version(req), detail=False)} for r in rows]
    links = next_links(req, "keypairs", [i["keypair"] for i in items],
                       listing.limit if listing else None, key="name")
    return {"keypairs": items, **links}


@router.get("/{name}", policy=P + "show", target=owner_target)
async def show_keypair(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_keypair(_owner(req), req.params["name"])
    return {"keypair": views.keypair(row, version(req))}


@router.post("", schema=schemas.CREATE_KEYPAIR, policy=P + "create", target=owner_target)
async def create_keypair(req: Request, manager: ComputeManager) -> Any:
    spec = req.body["keypair"]
    key_type = spec.get("type", "ssh")
    row, private = await manager.create_keypair(_owner(req, spec.get("user_id")),
                                                req.context.project_id or "",
                                                spec["name"], key_type,
                                                spec.get("public_key"))
    body = views.keypair(row, version(req), detail=False)
    body["user_id"] = row.user_id
    if private is not None:
        body["private_key"] = private
    # 2.2 made a create answer 201 (it was 200)
    return json_response({"keypair": body}, 201 if version(req) >= (2, 2) else 200)


@router.delete("/{name}", status=202, policy=P + "delete", target=owner_target)
async def delete_keypair(req: Request, manager: ComputeManager) -> Any:
    await manager.delete_keypair(_owner(req), req.params["name"])
    return json_response(None, 204 if version(req) >= (2, 2) else 202)
