"""/v3/types: volume types, their extra specs and access lists."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas, views
from gureum.block_storage.api.common import empty, flag
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router

router = Router("/v3/types")
SPECS_RULE = "volume_extension:access_types_extra_specs"


def render(req: Request, row: Any) -> dict[str, Any]:
    return views.volume_type(row, req.allowed(SPECS_RULE, {"project_id":
                                                           req.context.project_id}))


@router.get("", policy="volume_extension:type_get_all")
async def list_types(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = await manager.list_types(req.context, req.query.get("is_public"))
    return {"volume_types": [render(req, r) for r in rows]}


@router.post("", schema=schemas.CREATE_TYPE, policy="volume_extension:type_create")
async def create_type(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = dict(req.body["volume_type"])
    if "os-volume-type-access:is_public" in spec:
        spec["os-volume-type-access:is_public"] = flag(spec["os-volume-type-access:is_public"])
    return {"volume_type": render(req, await manager.create_type(req.context, spec))}


@router.get("/{type_id}", policy="volume_extension:type_get")
async def show_type(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"volume_type": render(req, await manager.show_type(req.context,
                                                               req.params["type_id"]))}


@router.put("/{type_id}", schema=schemas.UPDATE_TYPE, policy="volume_extension:type_update")
async def update_type(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    spec = {k: v for k, v in req.body["volume_type"].items() if v is not None}
    if not spec:
        raise errors.InvalidInput(reason="Specify volume type name, description, is_public "
                                  "or a combination thereof.")
    if "is_public" in spec:
        spec["is_public"] = flag(spec["is_public"])
    row = await manager.update_type(req.context, req.params["type_id"], spec)
    return {"volume_type": render(req, row)}


@router.delete("/{type_id}", policy="volume_extension:type_delete")
async def delete_type(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_type(req.context, req.params["type_id"])
    return empty(202)


# ------------------------------------------------------------------ extra specs
@router.get("/{type_id}/extra_specs", policy="volume_extension:types_extra_specs:index")
async def list_extra_specs(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_type(req.context, req.params["type_id"])
    return {"extra_specs": dict(row.extra_specs)}


@router.post("/{type_id}/extra_specs", schema=schemas.EXTRA_SPECS,
             policy="volume_extension:types_extra_specs:create")
async def set_extra_specs(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    await manager.set_extra_specs(req.context, req.params["type_id"],
                                  req.body["extra_specs"])
    return {"extra_specs": {k: str(v) for k, v in req.body["extra_specs"].items()}}


@router.get("/{type_id}/extra_specs/{key}", policy="volume_extension:types_extra_specs:show")
async def show_extra_spec(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_type(req.context, req.params["type_id"])
    key = req.params["key"]
    if key not in row.extra_specs:
        raise errors.VolumeTypeExtraSpecsNotFound(volume_type_id=row.id,
                                                  extra_specs_key=key)
    return {key: row.extra_specs[key]}


@router.put("/{type_id}/extra_specs/{key}", schema=schemas.EXTRA_SPEC_ITEM,
            policy="volume_extension:types_extra_specs:update")
async def update_extra_spec(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    key = req.params["key"]
    if key not in req.body:
        raise errors.InvalidInput(reason="Request body and URI mismatch")
    await manager.set_extra_specs(req.context, req.params["type_id"], req.body)
    return {key: str(req.body[key])}


@router.delete("/{type_id}/extra_specs/{key}",
               policy="volume_extension:types_extra_specs:delete")
async def delete_extra_spec(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_extra_spec(req.context, req.params["type_id"], req.params["key"])
    return empty(202)


# ------------------------------------------------------------------ access
@router.get("/{type_id}/os-volume-type-access",
            policy="volume_extension:volume_type_access:get_all_for_type")
async def list_type_access(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    type_id = req.params["type_id"]
    projects = await manager.type_access(req.context, type_id)
    return {"volume_type_access": [{"volume_type_id": type_id, "project_id": p}
                                   for p in projects]}


@router.post("/{type_id}/action", schema=schemas.TYPE_ACTION,
             policy="volume_extension:volume_type_access")
async def type_action(req: Request, manager: BlockStorageManager) -> Response:
    (name, body), = req.body.items()
    req.enforce(f"volume_extension:volume_type_access:{name}",
                {"project_id": req.context.project_id})
    if name == "addProjectAccess":
        await manager.add_type_access(req.context, req.params["type_id"], body["project"])
    else:
        await manager.remove_type_access(req.context, req.params["type_id"], body["project"])
    return empty(202)
