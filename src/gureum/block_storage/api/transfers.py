"""/v3/os-volume-transfer: offer a volume to another project, accept it with the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.block_storage import schemas, views
from gureum.block_storage.api.common import base, empty, volume_target
from gureum.block_storage.manager import BlockStorageManager
from gureum.block_storage.manager.listing import boolean
from gureum.core.api import Request, Router, json_response

router = Router("/v3/os-volume-transfer")


async def target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    row = await manager.show_transfer(req.context, req.params["transfer_id"])
    return {"project_id": row.project_id}


@router.post("", schema=schemas.CREATE_TRANSFER, policy="volume:create_transfer")
async def create_transfer(req: Request, manager: BlockStorageManager) -> Response:
    spec = req.body["transfer"]
    req.params["volume_id"] = spec["volume_id"]
    req.enforce("volume:create_transfer", await volume_target(req, manager))
    row, key = await manager.create_transfer(req.context, spec["volume_id"],
                                             spec.get("name"))
    return json_response({"transfer": {**views.transfer(row, base(req)), "auth_key": key}},
                         202)


@router.get("", policy="volume:get_all_transfers")
async def list_transfers(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = await manager.list_transfers(req.context,
                                        boolean(req.query.get("all_tenants", "0")))
    return {"transfers": [views.transfer(r, base(req), detail=False) for r in rows]}


@router.get("/detail", policy="volume:get_all_transfers")
async def list_transfers_detail(req: Request, manager: BlockStorageManager,
                                ) -> dict[str, Any]:
    rows = await manager.list_transfers(req.context,
                                        boolean(req.query.get("all_tenants", "0")))
    return {"transfers": [views.transfer(r, base(req)) for r in rows]}


@router.get("/{transfer_id}", policy="volume:get_transfer", target=target)
async def show_transfer(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_transfer(req.context, req.params["transfer_id"])
    return {"transfer": views.transfer(row, base(req))}


@router.delete("/{transfer_id}", policy="volume:delete_transfer", target=target)
async def delete_transfer(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_transfer(req.context, req.params["transfer_id"])
    return empty(202)


@router.post("/{transfer_id}/accept", schema=schemas.ACCEPT_TRANSFER,
             policy="volume:accept_transfer")
async def accept_transfer(req: Request, manager: BlockStorageManager) -> Response:
    row = await manager.accept_transfer(req.context, req.params["transfer_id"],
                                        req.body["accept"]["auth_key"])
    body = views.transfer(row, base(req), detail=False)
    body["links"] = views.links(base(req), req.context.project_id or "",
                                "os-volume-transfer", row.id)
    return json_response({"transfer": body}, 202)
