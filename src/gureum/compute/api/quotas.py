"""/v2.1/os-quota-sets (a project's, or a user's in it: show, detail, defaults, update,
revert) and /v2.1/os-quota-class-sets (the defaults every project starts from)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router

router = Router("/v2.1")
P = "os_compute_api:os-quota-sets:"
# nova's quota set; what 2.36 took out of quota sets and 2.50 out of quota classes (the
# network proxy APIs' quotas), what 2.50 added to classes, and what 2.57 took out of both
RESOURCES = ("instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups",
             "server_group_members", "injected_files", "injected_file_content_bytes",
             "injected_file_path_bytes")
PROXY = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules")
GROUPS = ("server_groups", "server_group_members")
PERSONALITY = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def _shape(req: Request, values: dict[str, Any], filler: Any = -1) -> dict[str, Any]:
    at = version(req)
    body = {r: values.get(r, -1) for r in RESOURCES
            if not (at >= (2, 57) and r in PERSONALITY)}
    if at < (2, 36):
        body.update({r: filler for r in PROXY})
    return body


def _class_shape(req: Request, values: dict[str, Any]) -> dict[str, Any]:
    at = version(req)
    body = {r: values.get(r, -1) for r in RESOURCES
            if not (at >= (2, 57) and r in PERSONALITY) and not (at < (2, 50) and r in GROUPS)}
    if at < (2, 50):
        body.update({r: -1 for r in PROXY})
    return body


async def _target(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"project_id": req.params["project_id"]}


@router.get("/os-quota-sets/{project_id}", policy=P + "show", target=_target)
async def show_quotas(req: Request, manager: ComputeManager) -> dict[str, Any]:
    project_id = req.params["project_id"]
    limits, _ = await manager.show_quotas(project_id, req.query.get("user_id"))
    return {"quota_set": {"id": project_id, **_shape(req, limits)}}


@router.get("/os-quota-sets/{project_id}/detail", policy=P + "detail", target=_target)
async def show_quota_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    project_id = req.params["project_id"]
    limits, used = await manager.show_quotas(project_id, req.query.get("user_id"))
    detail = {r: {"limit": limits.get(r, -1), "in_use": used.get(r, 0), "reserved": 0}
              for r in RESOURCES}
    return {"quota_set": {"id": project_id, **_shape(req, detail, {
        "limit": -1, "in_use": 0, "reserved": 0})}}


@router.get("/os-quota-sets/{project_id}/defaults", policy=P + "defaults", target=_target)
async def show_default_quotas(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"quota_set": {"id": req.params["project_id"],
                          **_shape(req, await manager.default_quotas())}}


@router.put("/os-quota-sets/{project_id}", schema=schemas.UPDATE_QUOTAS,
            policy=P + "update", target=_target)
async def update_quotas(req: Request, manager: ComputeManager) -> dict[str, Any]:
    project_id = req.params["project_id"]
    spec = dict(req.body["quota_set"])
    force = str(spec.pop("force", False)).lower() in ("true", "1")
    values = {k: int(v) for k, v in spec.items() if k in RESOURCES}
    if any(v < -1 for v in values.values()):
        raise errors.InvalidInput(reason="Quota limits must be -1 or greater")
    await manager.update_quotas(project_id, values, force, req.query.get("user_id"))
    limits, _ = await manager.show_quotas(project_id, req.query.get("user_id"))
    return {"quota_set": _shape(req, limits)}


@router.delete("/os-quota-sets/{project_id}", status=202, policy=P + "delete",
               target=_target)
async def revert_quotas(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_quotas(req.params["project_id"], req.query.get("user_id"))
    return Response(b"", 202)


@router.get("/os-quota-class-sets/{class_name}", policy="os_compute_api:os-quota-class-sets:show")
async def show_quota_class(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"quota_class_set": {"id": req.params["class_name"],
                                **_class_shape(req, await manager.default_quotas())}}


@router.put("/os-quota-class-sets/{class_name}", schema=schemas.UPDATE_QUOTA_CLASS,
            policy="os_compute_api:os-quota-class-sets:update")
async def update_quota_class(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if req.params["class_name"] != "default":
        raise errors.InvalidInput(reason="Only the 'default' quota class is used")
    values = {k: int(v) for k, v in req.body["quota_class_set"].items() if k in RESOURCES}
    return {"quota_class_set": _class_shape(req, await manager.update_quota_class(values))}
