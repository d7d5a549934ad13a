"""/v3/attachments (3.27+; complete at 3.44)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas, views
from gureum.block_storage.api.common import at_least, empty
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v3/attachments")


def since(req: Request, version: str) -> None:
    """Below its microversion the resource does not exist, as in cinder."""
    if not at_least(req, version):
        raise NotFound("The resource could not be found.")


def _target(req: Request) -> dict[str, Any]:
    return {"project_id": req.context.project_id}


@router.post("", schema=schemas.CREATE_ATTACHMENT, policy="volume:attachment_create")
async def create_attachment(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    since(req, "3.27")
    spec = req.body["attachment"]
    mode = spec.get("mode") if at_least(req, "3.54") else None
    row = await manager.create_attachment(req.context, spec["volume_uuid"],
                                          spec.get("instance_uuid"), spec.get("connector"),
                                          mode if mode in ("rw", "ro") else "rw")
    return {"attachment": views.attachment(row)}


@router.get("", policy="volume:attachment_get")
async def list_attachments(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    since(req, "3.27")
    rows = await manager.list_attachments(req.context, dict(req.query))
    return {"attachments": [views.attachment(r, detail=False) for r in rows]}


@router.get("/detail", policy="volume:attachment_get")
async def list_attachments_detail(req: Request, manager: BlockStorageManager,
                                  ) -> dict[str, Any]:
    since(req, "3.27")
    rows = await manager.list_attachments(req.context, dict(req.query))
    return {"attachments": [views.attachment(r) for r in rows]}


@router.get("/{attachment_id}", policy="volume:attachment_get")
async def show_attachment(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    since(req, "3.27")
    row = await manager.show_attachment(req.context, req.params["attachment_id"])
    return {"attachment": views.attachment(row)}


@router.put("/{attachment_id}", schema=schemas.UPDATE_ATTACHMENT,
            policy="volume:attachment_update")
async def update_attachment(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    since(req, "3.27")
    row = await manager.update_attachment(req.context, req.params["attachment_id"],
                                          req.body["attachment"]["connector"])
    return {"attachment": views.attachment(row)}


@router.post("/{attachment_id}/action", schema=schemas.ATTACHMENT_ACTION,
             policy="volume:attachment_complete")
async def attachment_action(req: Request, manager: BlockStorageManager) -> Response:
    if not at_least(req, "3.44"):
        raise errors.InvalidInput(reason="os-complete requires microversion 3.44 or later")
    await manager.complete_attachment(req.context, req.params["attachment_id"])
    return empty(204)


@router.delete("/{attachment_id}", policy="volume:attachment_delete")
async def delete_attachment(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    since(req, "3.27")
    await manager.delete_attachment(req.context, req.params["attachment_id"])
    return {"attachments": []}
