"""/v2.1/flavors: list, detail, show, create, update, delete, extra specs and access."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, extra_specs, schemas, views
from gureum.compute.api.common import base, next_links, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/flavors")
P = "os_compute_api:"


@router.get("", policy=P + "flavors:index")
async def list_flavors(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await manager.list_flavors(req.context, dict(req.query))
    items = [views.flavor(r, base(req), version(req), detail=False) for r in rows]
    limit = int(req.query["limit"]) if req.query.get("limit", "").isdigit() else None
    return {"flavors": items, **next_links(req, "flavors", items, limit)}


@router.get("/detail", policy=P + "flavors:index")
async def list_flavors_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await manager.list_flavors(req.context, dict(req.query))
    items = [views.flavor(r, base(req), version(req)) for r in rows]
    limit = int(req.query["limit"]) if req.query.get("limit", "").isdigit() else None
    return {"flavors": items, **next_links(req, "flavors", items, limit)}


@router.get("/{flavor_id}", policy=P + "flavors:show")
async def show_flavor(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_flavor(req.context, req.params["flavor_id"])
    return {"flavor": views.flavor(row, base(req), version(req))}


@router.post("", schema=schemas.CREATE_FLAVOR, policy=P + "os-flavor-manage:create")
async def create_flavor(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.create_flavor(req.body["flavor"])
    return {"flavor": views.flavor(row, base(req), version(req))}


@router.put("/{flavor_id}", schema={"2.55": schemas.UPDATE_FLAVOR},
            policy=P + "os-flavor-manage:update")
async def update_flavor(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if version(req) < (2, 55):
        raise NotFound()  # flavors became updatable at 2.55
    row = await manager.update_flavor(req.params["flavor_id"],
                                      req.body["flavor"]["description"])
    return {"flavor": views.flavor(row, base(req), version(req))}


@router.delete("/{flavor_id}", status=202, policy=P + "os-flavor-manage:delete")
async def delete_flavor(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_flavor(req.params["flavor_id"])
    return Response(b"", 202)


# ------------------------------------------------------------------ extra specs
@router.get("/{flavor_id}/os-extra_specs", policy=P + "os-flavor-extra-specs:index")
async def list_extra_specs(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_flavor(req.context, req.params["flavor_id"])
    return {"extra_specs": dict(row.extra_specs)}


@router.post("/{flavor_id}/os-extra_specs", schema=schemas.EXTRA_SPECS,
             policy=P + "os-flavor-extra-specs:create")
async def create_extra_specs(req: Request, manager: ComputeManager) -> dict[str, Any]:
    _validated(req, req.body["extra_specs"])
    made = await manager.set_extra_specs(req.params["flavor_id"],
                                         req.body["extra_specs"])
    return {"extra_specs": made}


@router.get("/{flavor_id}/os-extra_specs/{key}", policy=P + "os-flavor-extra-specs:show")
async def show_extra_spec(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_flavor(req.context, req.params["flavor_id"])
    key = req.params["key"]
    if key not in row.extra_specs:
        raise errors.FlavorExtraSpecNotFound(flavor_id=row.id, key=key)
    return {key: row.extra_specs[key]}


@router.put("/{flavor_id}/os-extra_specs/{key}", schema=schemas.EXTRA_SPEC_ITEM,
            policy=P + "os-flavor-extra-specs:update")
async def update_extra_spec(req: Request, manager: ComputeManager) -> dict[str, Any]:
    key = req.params["key"]
    if key not in req.body:
        raise errors.InvalidInput(reason="Request body and URI mismatch")
    _validated(req, req.body)
    return await manager.set_extra_specs(req.params["flavor_id"], req.body)


def _validated(req: Request, specs: dict[str, Any]) -> None:
    """From 2.86, specs nova knows are checked against its registry of them."""
    if version(req) >= (2, 86):
        for name, value in specs.items():
            extra_specs.validate(name, value)


@router.delete("/{flavor_id}/os-extra_specs/{key}", status=200,
               policy=P + "os-flavor-extra-specs:delete")
async def delete_extra_spec(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_extra_spec(req.params["flavor_id"], req.params["key"])
    return Response(b"", 200)


# ------------------------------------------------------------------ access
def _access(flavor_id: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavor_id, "tenant_id": p} for p in projects]}


@router.get("/{flavor_id}/os-flavor-access", policy=P + "os-flavor-access")
async def list_flavor_access(req: Request, manager: ComputeManager) -> dict[str, Any]:
    flavor_id = req.params["flavor_id"]
    return _access(flavor_id, await manager.list_flavor_access(flavor_id))


@router.post("/{flavor_id}/action", schema=schemas.FLAVOR_ACTION,
             policy=P + "os-flavor-access")
async def flavor_action(req: Request, manager: ComputeManager) -> dict[str, Any]:
    flavor_id = req.params["flavor_id"]
    if "addTenantAccess" in req.body:
        req.enforce(P + "os-flavor-access:add_tenant_access", {})
        found = await manager.add_flavor_access(flavor_id,
                                                req.body["addTenantAccess"]["tenant"])
    else:
        req.enforce(P + "os-flavor-access:remove_tenant_access", {})
        found = await manager.remove_flavor_access(
            flavor_id, req.body["removeTenantAccess"]["tenant"])
    return _access(flavor_id, found)
