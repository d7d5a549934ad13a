"""/v3/credentials (EC2-style and others); blobs are stored encrypted."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from gureum.core.api import Request, Router
from gureum.core.errors import Forbidden, NotFound
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager
from gureum.identity.models import Credential

router = Router("/v3/credentials")


@router.post("", status=201, schema=schemas.CREATE_CREDENTIAL,
             policy="identity:create_credential", target=targets.credential)
async def create_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    await _unrestricted(req, manager)
    row, blob = await manager.create_credential(req.body["credential"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.get("", policy="identity:list_credentials", target=targets.credential)
async def list_credentials(req: Request, manager: IdentityManager) -> dict[str, Any]:
    query = dict(req.query)
    if not req.allowed("identity:list_credentials", {"target": {"credential": {}}}):
        query["user_id"] = req.context.user_id or ""  # a user sees only their own
    if req.context.app_cred_id is not None:
        query["project_id"] = req.context.project_id or ""
    rows = await manager.list_credentials(query)
    return views.collection("credentials",
                            [views.credential(r, b, req.base_url) for r, b in rows], req.url)


async def _unrestricted(req: Request, manager: IdentityManager) -> None:
    """Keystone's rule: a restricted application credential cannot make credentials."""
    if req.context.app_cred_id is not None and not await manager.unrestricted(req.context):
        raise Forbidden("A restricted application credential cannot manage credentials.")


@router.get("/{credential_id}", policy="identity:get_credential", target=targets.credential)
async def show_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, blob = await manager.show_credential(req.params["credential_id"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.patch("/{credential_id}", schema=schemas.UPDATE_CREDENTIAL,
              policy="identity:update_credential", target=targets.credential)
async def update_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    await _unrestricted(req, manager)
    row, blob = await manager.update_credential(req.params["credential_id"],
                                                req.body["credential"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.delete("/{credential_id}", status=204, policy="identity:delete_credential",
               target=targets.credential)
async def delete_credential(req: Request, manager: IdentityManager) -> None:
    await _unrestricted(req, manager)
    await manager.delete_credential(req.params["credential_id"])


# ---------------------------------------------------------------- OS-EC2
# EC2-style access/secret pairs (`openstack ec2 credentials …`): credentials of type ec2,
# addressed by their access key.
ec2 = Router("/v3/users/{user_id}/credentials/OS-EC2")


def _ec2_view(row: Credential, blob: str, base: str) -> dict[str, Any]:
    pair = json.loads(blob)
    return {"user_id": row.user_id, "tenant_id": row.project_id, "access": pair["access"],
            "secret": pair["secret"], "trust_id": pair.get("trust_id"),
            "links": {"self": f"{base}/v3/users/{row.user_id}/credentials/OS-EC2/"
                              f"{pair['access']}"}}


async def _ec2_pair(req: Request, manager: IdentityManager) -> tuple[Credential, str]:
    access = req.params["credential_id"]
    try:
        row, blob = await manager.show_credential(hashlib.sha256(access.encode()).hexdigest())
    except NotFound:
        row = None
    if row is None or row.type != "ec2" or row.user_id != req.params["user_id"]:
        raise NotFound(f"Could not find credential: {access}.")
    return row, blob


@ec2.post("", status=201, schema=schemas.CREATE_EC2, policy="identity:ec2_create_credential",
          target=targets.path_user)
async def create_ec2_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    await _unrestricted(req, manager)
    project = await manager.show_project(req.body["tenant_id"])
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex,
                       "trust_id": None})
    row, blob = await manager.create_credential({"user_id": req.params["user_id"],
                                                 "project_id": project.id, "type": "ec2",
                                                 "blob": blob})
    return {"credential": _ec2_view(row, blob, req.base_url)}


@ec2.get("", policy="identity:ec2_list_credentials", target=targets.path_user)
async def list_ec2_credentials(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_credentials({"user_id": req.params["user_id"], "type": "ec2"})
    return views.collection("credentials", [_ec2_view(r, b, req.base_url) for r, b in rows],
                            req.url)


@ec2.get("/{credential_id}", policy="identity:ec2_get_credential", target=targets.path_user)
async def show_ec2_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, blob = await _ec2_pair(req, manager)
    return {"credential": _ec2_view(row, blob, req.base_url)}


@ec2.delete("/{credential_id}", status=204, policy="identity:ec2_delete_credential",
            target=targets.path_user)
async def delete_ec2_credential(req: Request, manager: IdentityManager) -> None:
    await _unrestricted(req, manager)
    row, _ = await _ec2_pair(req, manager)
    await manager.delete_credential(row.id)
