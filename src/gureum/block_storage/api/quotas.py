"""/v3/os-quota-sets and /v3/limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.block_storage import schemas
from gureum.block_storage.api.common import empty
from gureum.block_storage.manager import BlockStorageManager
from gureum.block_storage.manager.listing import boolean
from gureum.core.api import Request, Router

router = Router("/v3")


async def target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    return {"project_id": req.params["project_id"]}


async def own(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    return {"project_id": req.context.project_id}


@router.get("/os-quota-sets/{project_id}", policy="volume_extension:quotas:show",
            target=target)
async def show_quota(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    project_id = req.params["project_id"]
    usage = boolean(req.query.get("usage", "false"))
    return {"quota_set": {"id": project_id, **await manager.show_quota(project_id, usage)}}


@router.get("/os-quota-sets/{project_id}/defaults", policy="volume_extension:quotas:show",
            target=target)
async def show_defaults(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"quota_set": {"id": req.params["project_id"], **await manager.default_quotas()}}


@router.put("/os-quota-sets/{project_id}", schema=schemas.UPDATE_QUOTA,
            policy="volume_extension:quotas:update", target=target)
async def update_quota(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = {k: v for k, v in req.body["quota_set"].items() if k not in ("id", "project_id")}
    return {"quota_set": await manager.update_quota(req.params["project_id"], spec)}


@router.delete("/os-quota-sets/{project_id}", policy="volume_extension:quotas:delete",
               target=target)
async def delete_quota(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_quota(req.params["project_id"])
    return empty(200)


@router.get("/limits", policy="limits_extension:used_limits", target=own)
async def show_limits(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    absolute = await manager.absolute_limits(req.context.project_id or "")
    return {"limits": {"rate": [], "absolute": absolute}}
