"""/v3/registered_limits and /v3/limits: keystone's unified limits (flat model)."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager

router = Router("/v3")


@router.post("/registered_limits", status=201, schema=schemas.CREATE_REGISTERED_LIMITS,
             policy="identity:create_registered_limit")
async def create_registered_limits(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.create_registered_limits(req.body["registered_limits"])
    return {"registered_limits": [views.registered_limit(r, req.base_url) for r in rows]}


@router.get("/registered_limits", policy="identity:list_registered_limits")
async def list_registered_limits(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_registered_limits(req.query)
    return views.collection("registered_limits",
                            [views.registered_limit(r, req.base_url) for r in rows], req.url)


@router.get("/registered_limits/{limit_id}", policy="identity:get_registered_limit")
async def show_registered_limit(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.show_registered_limit(req.params["limit_id"])
    return {"registered_limit": views.registered_limit(row, req.base_url)}


@router.patch("/registered_limits/{limit_id}", schema=schemas.UPDATE_REGISTERED_LIMIT,
              policy="identity:update_registered_limit")
async def update_registered_limit(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_registered_limit(req.params["limit_id"],
                                                req.body["registered_limit"])
    return {"registered_limit": views.registered_limit(row, req.base_url)}


@router.delete("/registered_limits/{limit_id}", status=204,
               policy="identity:delete_registered_limit")
async def delete_registered_limit(req: Request, manager: IdentityManager) -> None:
    await manager.delete_registered_limit(req.params["limit_id"])


@router.get("/limits/model", policy="identity:get_limit_model")
async def show_limit_model(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"model": {"name": "flat", "description": (
        "Limit enforcement and validation does not take project hierarchy into "
        "consideration.")}}


@router.post("/limits", status=201, schema=schemas.CREATE_LIMITS,
             policy="identity:create_limit")
async def create_limits(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.create_limits(req.body["limits"])
    return {"limits": [views.limit(r, req.base_url) for r in rows]}


@router.get("/limits", policy="identity:list_limits")
async def list_limits(req: Request, manager: IdentityManager) -> dict[str, Any]:
    query = dict(req.query)
    if not req.allowed("identity:get_limit", {"target": {"limit": {}}}):
        # As keystone: without system-wide read, a user sees its own project's limits.
        query["project_id"] = req.context.project_id or ""
    rows = await manager.list_limits(query)
    return views.collection("limits", [views.limit(r, req.base_url) for r in rows], req.url)


@router.get("/limits/{limit_id}", policy="identity:get_limit", target=targets.limit)
async def show_limit(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"limit": views.limit(await manager.show_limit(req.params["limit_id"]),
                                 req.base_url)}


@router.patch("/limits/{limit_id}", schema=schemas.UPDATE_LIMIT,
              policy="identity:update_limit")
async def update_limit(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_limit(req.params["limit_id"], req.body["limit"])
    return {"limit": views.limit(row, req.base_url)}


@router.delete("/limits/{limit_id}", status=204, policy="identity:delete_limit")
async def delete_limit(req: Request, manager: IdentityManager) -> None:
    await manager.delete_limit(req.params["limit_id"])
