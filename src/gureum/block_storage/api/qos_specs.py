"""/v3/qos-specs: QoS specs, their keys, and their associations with volume types
(associate / disassociate are GETs with a `vol_type_id` query, as cinder has them)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.block_storage import schemas, views
from gureum.block_storage.api.common import base, empty, flag
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router, json_response

router = Router("/v3/qos-specs")
RULE = "volume_extension:qos_specs_manage:"


def _one(req: Request, row: Any) -> dict[str, Any]:
    return {"qos_specs": views.qos_specs(row),
            "links": views.links(base(req), req.context.project_id or "", "qos-specs",
                                 row.id)}


@router.get("", policy=RULE + "get_all")
async def list_qos_specs(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"qos_specs": [views.qos_specs(r) for r in await manager.list_qos_specs()]}


@router.post("", schema=schemas.CREATE_QOS_SPECS, policy=RULE + "create")
async def create_qos_specs(req: Request, manager: BlockStorageManager) -> Response:
    row = await manager.create_qos_specs(dict(req.body["qos_specs"]))
    return json_response(_one(req, row))


@router.get("/{specs_id}", policy=RULE + "get")
async def show_qos_specs(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return _one(req, await manager.show_qos_specs(req.params["specs_id"]))


@router.put("/{specs_id}", schema=schemas.UPDATE_QOS_SPECS, policy=RULE + "update")
async def update_qos_specs(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    changed = await manager.update_qos_specs(req.params["specs_id"],
                                             dict(req.body["qos_specs"]))
    return {"qos_specs": changed}


@router.put("/{specs_id}/delete_keys", schema=schemas.DELETE_QOS_KEYS,
            policy=RULE + "update")
async def delete_qos_keys(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_qos_keys(req.params["specs_id"], list(req.body["keys"]))
    return empty()


@router.delete("/{specs_id}", policy=RULE + "delete")
async def delete_qos_specs(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_qos_specs(req.params["specs_id"],
                                   flag(req.query.get("force", "false")))
    return empty()


@router.get("/{specs_id}/associations", policy=RULE + "get")
async def list_associations(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = await manager.qos_associations(req.params["specs_id"])
    return {"qos_associations": [{"association_type": "volume_type", "name": r.name,
                                  "id": r.id} for r in rows]}


@router.get("/{specs_id}/associate", policy=RULE + "update")
async def associate(req: Request, manager: BlockStorageManager) -> Response:
    await manager.associate_qos(req.params["specs_id"], req.query.get("vol_type_id"))
    return empty()


@router.get("/{specs_id}/disassociate", policy=RULE + "update")
async def disassociate(req: Request, manager: BlockStorageManager) -> Response:
    await manager.disassociate_qos(req.params["specs_id"], req.query.get("vol_type_id"))
    return empty()


@router.get("/{specs_id}/disassociate_all", policy=RULE + "update")
async def disassociate_all(req: Request, manager: BlockStorageManager) -> Response:
    await manager.disassociate_all_qos(req.params["specs_id"])
    return empty()
