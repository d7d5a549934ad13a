"""/v2.1/servers/{id}/metadata and /metadata/{key}."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas
from gureum.compute.api.common import server_target
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/servers/{server_id}/metadata")
P = "os_compute_api:server-metadata:"


@router.get("", policy=P + "index", target=server_target)
async def list_metadata(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"metadata": await manager.server_metadata(req.context, req.params["server_id"])}


@router.post("", schema=schemas.METADATA_BODY, policy=P + "create", target=server_target)
async def add_metadata(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"metadata": await manager.update_server_metadata(
        req.context, req.params["server_id"], req.body["metadata"], replace=False)}


@router.put("", schema=schemas.METADATA_BODY, policy=P + "update_all", target=server_target)
async def replace_metadata(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"metadata": await manager.update_server_metadata(
        req.context, req.params["server_id"], req.body["metadata"], replace=True)}


@router.get("/{key}", policy=P + "show", target=server_target)
async def show_metadata_item(req: Request, manager: ComputeManager) -> dict[str, Any]:
    metadata = await manager.server_metadata(req.context, req.params["server_id"])
    key = req.params["key"]
    if key not in metadata:
        raise NotFound("Metadata item was not found")
    return {"meta": {key: metadata[key]}}


@router.put("/{key}", schema=schemas.META_ITEM, policy=P + "update", target=server_target)
async def set_metadata_item(req: Request, manager: ComputeManager) -> dict[str, Any]:
    key, meta = req.params["key"], req.body["meta"]
    if key not in meta:
        raise errors.InvalidInput(reason="Request body and URI mismatch")
    await manager.update_server_metadata(req.context, req.params["server_id"],
                                         {key: meta[key]}, replace=False)
    return {"meta": {key: meta[key]}}


@router.delete("/{key}", status=204, policy=P + "delete", target=server_target)
async def delete_metadata_item(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_server_metadata(req.context, req.params["server_id"],
                                         req.params["key"])
    return Response(b"", 204)
