"""/v3/snapshots and their /metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas, views
from gureum.block_storage.api.common import empty, flag, paging_links, query
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router

router = Router("/v3/snapshots")


async def target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    row = await manager.show_snapshot(req.context, req.params["snapshot_id"])
    return {"project_id": row.project_id}


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("os-extended-snapshot")}


@router.post("", status=202, schema=schemas.CREATE_SNAPSHOT, policy="volume:create_snapshot")
async def create_snapshot(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = dict(req.body["snapshot"])
    spec["force"] = flag(spec.get("force", False))
    row = await manager.create_snapshot(req.context, spec)
    return {"snapshot": views.snapshot(row)}


@router.get("", policy="volume:get_all_snapshots")
async def list_snapshots(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_snapshots(req.context, listing)
    items = [_summary(views.snapshot(r)) for r in rows]
    return {"snapshots": items, **paging_links(req, "snapshots", items, listing, rows)}


@router.get("/detail", policy="volume:get_all_snapshots")
async def list_snapshots_detail(req: Request, manager: BlockStorageManager,
                                ) -> dict[str, Any]:
    listing = query(req)
    rows = await manager.list_snapshots(req.context, listing)
    items = [views.snapshot(r) for r in rows]
    return {"snapshots": items, **paging_links(req, "snapshots", items, listing, rows)}


@router.get("/{snapshot_id}", policy="volume:get_snapshot", target=target)
async def show_snapshot(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_snapshot(req.context, req.params["snapshot_id"])
    return {"snapshot": views.snapshot(row)}


@router.put("/{snapshot_id}", schema=schemas.UPDATE_SNAPSHOT,
            policy="volume:update_snapshot", target=target)
async def update_snapshot(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.update_snapshot(req.context, req.params["snapshot_id"],
                                        req.body["snapshot"])
    return {"snapshot": views.snapshot(row)}


@router.delete("/{snapshot_id}", policy="volume:delete_snapshot", target=target)
async def delete_snapshot(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_snapshot(req.context, req.params["snapshot_id"])
    return empty(202)


# ------------------------------------------------------------------ metadata
@router.get("/{snapshot_id}/metadata", policy="volume:get_snapshot_metadata", target=target)
async def show_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_snapshot(req.context, req.params["snapshot_id"])
    return {"metadata": dict(row.metadata_)}


@router.post("/{snapshot_id}/metadata", schema=schemas.METADATA_BODY,
             policy="volume:update_snapshot_metadata", target=target)
async def add_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"metadata": await manager.update_snapshot_metadata(
        req.context, req.params["snapshot_id"], req.body["metadata"] or {}, replace=False)}


@router.put("/{snapshot_id}/metadata", schema=schemas.METADATA_BODY,
            policy="volume:update_snapshot_metadata", target=target)
async def replace_metadata(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"metadata": await manager.update_snapshot_metadata(
        req.context, req.params["snapshot_id"], req.body["metadata"] or {}, replace=True)}


@router.get("/{snapshot_id}/metadata/{key}", policy="volume:get_snapshot_metadata",
            target=target)
async def show_metadata_item(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_snapshot(req.context, req.params["snapshot_id"])
    key = req.params["key"]
    if key not in row.metadata_:
        raise errors.SnapshotMetadataNotFound(snapshot_id=row.id, key=key)
    return {"meta": {key: row.metadata_[key]}}


@router.put("/{snapshot_id}/metadata/{key}", schema=schemas.META_ITEM,
            policy="volume:update_snapshot_metadata", target=target)
async def set_metadata_item(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    key, meta = req.params["key"], req.body["meta"]
    if key not in meta:
        raise errors.InvalidInput(reason="Request body and URI mismatch")
    await manager.update_snapshot_metadata(req.context, req.params["snapshot_id"],
                                           {key: meta[key]}, replace=False)
    return {"meta": {key: meta[key]}}


@router.delete("/{snapshot_id}/metadata/{key}", policy="volume:delete_snapshot_metadata",
               target=target)
async def delete_metadata_item(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_snapshot_metadata(req.context, req.params["snapshot_id"],
                                           req.params["key"])
    return empty(200)
