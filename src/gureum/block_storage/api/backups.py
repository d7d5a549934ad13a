"""/v3/backups: create (full or incremental), list, detail, show, update (3.9), delete,
restore (to an existing volume or a new one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas, views
from gureum.block_storage.api.common import at_least, base, empty, flag, paging_links, query
from gureum.block_storage.manager import BlockStorageManager
from gureum.block_storage.models import Backup
from gureum.core.api import Request, Router

router = Router("/v3/backups")


async def backup_target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    row = await manager.show_backup(req.context, req.params["backup_id"])
    return {"project_id": row.project_id}


async def render(req: Request, manager: BlockStorageManager, rows: list[Backup],
                 ) -> list[dict[str, Any]]:
    dependent = await manager.dependent_backups([r.id for r in rows])
    project_attr = at_least(req, "3.18") and req.allowed(
        "backup:backup_project_attribute", {"project_id": req.context.project_id})
    return [views.backup(r, base(req), dependent=r.id in dependent,
                         project_attr=project_attr, with_metadata=at_least(req, "3.43"))
            for r in rows]


@router.post("", status=202, schema=schemas.CREATE_BACKUP, policy="backup:create")
async def create_backup(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = dict(req.body["backup"])
    if "metadata" in spec and not at_least(req, "3.43"):
        raise errors.InvalidInput(reason="metadata in a backup needs microversion 3.43")
    if "availability_zone" in spec and not at_least(req, "3.51"):
        raise errors.InvalidInput(reason="availability_zone in a backup needs microversion "
                                  "3.51")
    for key in ("incremental", "force"):
        spec[key] = flag(spec.get(key, False))
    row = await manager.create_backup(req.context, spec)
    return {"backup": views.backup(row, base(req), detail=False)}


@router.get("", policy="backup:get_all")
async def list_backups(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_backups(req.context, listing)
    items = [views.backup(r, base(req), detail=False) for r in rows]
    return {"backups": items, **paging_links(req, "backups", items, listing, rows)}


@router.get("/detail", policy="backup:get_all")
async def list_backups_detail(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_backups(req.context, listing)
    items = await render(req, manager, rows)
    return {"backups": items, **paging_links(req, "backups", items, listing, rows)}


@router.get("/{backup_id}", policy="backup:get", target=backup_target)
async def show_backup(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_backup(req.context, req.params["backup_id"])
    return {"backup": (await render(req, manager, [row]))[0]}


@router.put("/{backup_id}", schema=schemas.UPDATE_BACKUP, policy="backup:update",
            target=backup_target)
async def update_backup(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    if not at_least(req, "3.9"):
        raise errors.InvalidInput(reason="updating a backup needs microversion 3.9")
    row = await manager.update_backup(req.context, req.params["backup_id"],
                                      req.body["backup"])
    return {"backup": (await render(req, manager, [row]))[0]}


@router.delete("/{backup_id}", status=202, policy="backup:delete", target=backup_target)
async def delete_backup(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_backup(req.context, req.params["backup_id"])
    return empty(202)


@router.post("/{backup_id}/restore", status=202, schema=schemas.RESTORE_BACKUP,
             policy="backup:restore", target=backup_target)
async def restore_backup(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = req.body["restore"] or {}
    backup, volume = await manager.restore_backup(
        req.context, req.params["backup_id"], spec.get("volume_id"), spec.get("name"))
    return {"restore": {"backup_id": backup.id, "volume_id": volume.id,
                        "volume_name": volume.name}}
