"""/v3/volumes and their /metadata."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas, views
from gureum.block_storage.api.common import (
    base,
    empty,
    paging_links,
    query,
    render_volumes,
    volume_target,
)
from gureum.block_storage.manager import BlockStorageManager
from gureum.block_storage.manager.listing import boolean
from gureum.core.api import Request, Router

router = Router("/v3/volumes")


@router.post("", status=202, schema=schemas.CREATE_VOLUME, policy="volume:create")
async def create_volume(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = dict(req.body["volume"])
    for old, new in (("display_name", "name"), ("display_description", "description")):
        if old in spec and new not in spec:
            spec[new] = spec.pop(old)
    if spec.get("multiattach"):
        req.enforce("volume:multiattach", {"project_id": req.context.project_id})
    row = await manager.create_volume(req.context, spec)
    return {"volume": (await render_volumes(req, manager, [row], new=True))[0]}


@router.get("", policy="volume:get_all")
async def list_volumes(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_volumes(req.context, listing)
    items = [views.volume_summary(r, base(req)) for r in rows]
    return {"volumes": items, **paging_links(req, "volumes", items, listing)}


@router.get("/detail", policy="volume:get_all")
async def list_volumes_detail(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_volumes(req.context, listing)
    items = await render_volumes(req, manager, rows)
    return {"volumes": items, **paging_links(req, "volumes", items, listing)}


@router.get("/{volume_id}", policy="volume:get", target=volume_target)
async def show_volume(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_volume(req.context, req.params["volume_id"])
    return {"volume": (await render_volumes(req, manager, [row]))[0]}


@router.put("/{volume_id}", schema=schemas.UPDATE_VOLUME, policy="volume:update",
            target=volume_target)
async def update_volume(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.update_volume(req.context, req.params["volume_id"],
                                      req.body["volume"])
    return {"volume": (await render_volumes(req, manager, [row]))[0]}


@router.delete("/{volume_id}", status=202, policy="volume:delete", target=volume_target)
async def delete_volume(req: Request, manager: BlockStorageManager) -> Response:
    cascade = boolean(req.query.get("cascade", "false"))
    await manager.delete_volume(req.context, req.params["volume_id"], cascade=cascade)
    return empty(202)


# ------------------------------------------------------------------ metadata
@router.get("/{volume_id}/metadata", policy="volume:get_volume_metadata",
            target=volume_target)
async def show_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_volume(req.context, req.params["volume_id"])
    return {"metadata": dict(row.metadata_)}


@router.post("/{volume_id}/metadata", schema=schemas.METADATA_BODY,
             policy="volume:create_volume_metadata", target=volume_target)
async def add_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    found = await manager.update_volume_metadata(req.context, req.params["volume_id"],
                                                 req.body["metadata"] or {}, replace=False)
    return {"metadata": found}


@router.put("/{volume_id}/metadata", schema=schemas.METADATA_BODY,
            policy="volume:update_volume_metadata", target=volume_target)
async def replace_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    found = await manager.update_volume_metadata(req.context, req.params["volume_id"],
                                                 req.body["metadata"] or {}, replace=True)
    return {"metadata": found}


@router.get("/{volume_id}/metadata/{key}", policy="volume:get_volume_metadata",
            target=volume_target)
async def show_metadata_item(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_volume(req.context, req.params["volume_id"])
    key = req.params["key"]
    if key not in row.metadata_:
        raise errors.VolumeMetadataNotFound(volume_id=row.id, key=key)
    return {"meta": {key: row.metadata_[key]}}


@router.put("/{volume_id}/metadata/{key}", schema=schemas.META_ITEM,
            policy="volume:update_volume_metadata", target=volume_target)
async def set_metadata_item(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    key = req.params["key"]
    meta = req.body["meta"]
    if key not in meta:
        raise errors.InvalidInput(reason="Request body and URI mismatch")
    await manager.update_volume_metadata(req.context, req.params["volume_id"],
                                         {key: meta[key]}, replace=False)
    return {"meta": {key: meta[key]}}


@router.delete("/{volume_id}/metadata/{key}", policy="volume:delete_volume_metadata",
               target=volume_target)
async def delete_metadata_item(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_volume_metadata(req.context, req.params["volume_id"],
                                         req.params["key"])
    return empty(200)
