"""/v3/credentials (EC2-style and others); blobs are stored encrypted."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager

router = Router("/v3/credentials")


@router.post("", status=201, schema=schemas.CREATE_CREDENTIAL,
             policy="identity:create_credential", target=targets.credential)
async def create_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, blob = await manager.create_credential(req.body["credential"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.get("", policy="identity:list_credentials", target=targets.credential)
async def list_credentials(req: Request, manager: IdentityManager) -> dict[str, Any]:
    query = dict(req.query)
    if not req.allowed("identity:list_credentials", {"target": {"credential": {}}}):
        query["user_id"] = req.context.user_id or ""  # a user sees only their own
    rows = await manager.list_credentials(query)
    return views.collection("credentials",
                            [views.credential(r, b, req.base_url) for r, b in rows], req.url)


@router.get("/{credential_id}", policy="identity:get_credential", target=targets.credential)
async def show_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, blob = await manager.show_credential(req.params["credential_id"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.patch("/{credential_id}", schema=schemas.UPDATE_CREDENTIAL,
              policy="identity:update_credential", target=targets.credential)
async def update_credential(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, blob = await manager.update_credential(req.params["credential_id"],
                                                req.body["credential"])
    return {"credential": views.credential(row, blob, req.base_url)}


@router.delete("/{credential_id}", status=204, policy="identity:delete_credential",
               target=targets.credential)
async def delete_credential(req: Request, manager: IdentityManager) -> None:
    await manager.delete_credential(req.params["credential_id"])
