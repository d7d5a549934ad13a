"""/v2.1/os-server-groups: affinity, anti-affinity and (2.15) their soft forms."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api.common import truthy, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router

router = Router("/v2.1/os-server-groups")
P = "os_compute_api:os-server-groups:"
SOFT = ("soft-affinity", "soft-anti-affinity")


@router.post("", schema=schemas.CREATE_SERVER_GROUP, policy=P + "create")
async def create_group(req: Request, manager: ComputeManager) -> dict[str, Any]:
    spec = req.body["server_group"]
    (policy,) = spec["policies"] if "policies" in spec else (spec["policy"],)
    if policy in SOFT and version(req) < (2, 15):
        raise errors.InvalidInput(reason=f"Invalid policy {policy}: soft policies need "
                                  "microversion 2.15")
    rules = {k: int(v) for k, v in (spec.get("rules") or {}).items()}
    if rules and policy != "anti-affinity":
        raise errors.InvalidInput(reason="Only anti-affinity policy supports rules.")
    if any(v < 1 for v in rules.values()):
        raise errors.InvalidInput(reason="max_server_per_host must be 1 or more")
    row = await manager.create_group(req.context, spec["name"], policy, rules)
    return {"server_group": views.server_group(row, [], version(req))}


@router.get("", policy=P + "index")
async def list_groups(req: Request, manager: ComputeManager) -> dict[str, Any]:
    everyone = truthy(req.query.get("all_projects", "false"))
    if everyone:
        req.enforce(P + "index:all_projects", {"project_id": req.context.project_id})
    pairs = await manager.list_groups(req.context, everyone)
    return {"server_groups": [views.server_group(r, m, version(req)) for r, m in pairs]}


@router.get("/{group_id}", policy=P + "show")
async def show_group(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row, members = await manager.show_group(req.context, req.params["group_id"])
    return {"server_group": views.server_group(row, members, version(req))}


@router.delete("/{group_id}", status=204, policy=P + "delete")
async def delete_group(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_group(req.context, req.params["group_id"])
    return Response(b"", 204)
