"""/v2.0/subnetpools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.core.validation import BOOLEAN, envelope, obj
from gureum.network.api.collection import enforce_fields, list_query, listed, selected
from gureum.network.manager import NetworkManager
from gureum.network.models import SubnetPool
from gureum.network.views import isotime

router = Router("/v2.0/subnetpools")

TEXT = {"type": ["string", "null"], "maxLength": 255}
LENGTH = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0}
PROJECT_ID = {"type": "string", "minLength": 1, "maxLength": 255}
POOL_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": TEXT, "prefixes": {"type": "array", "items": {"type": "string"}},
    "default_prefixlen": LENGTH, "min_prefixlen": LENGTH, "max_prefixlen": LENGTH,
    "default_quota": {"type": ["integer", "string", "null"]}, "is_default": BOOLEAN,
    "address_scope_id": {"type": ["string", "null"]},
}
CREATE_SUBNETPOOL = envelope("subnetpool", obj(
    {**POOL_FIELDS, "shared": BOOLEAN, "project_id": PROJECT_ID, "tenant_id": PROJECT_ID},
    required=("name", "prefixes")))
# Read-only attributes pass the schema so that the manager can name them as neutron does.
UPDATE_SUBNETPOOL = envelope("subnetpool", obj(
    {**POOL_FIELDS, "shared": {}, "ip_version": {}, "project_id": {}, "tenant_id": {}}))


def view(row: SubnetPool, tags: list[str]) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "project_id": row.project_id,
        "tenant_id": row.project_id, "description": row.description,
        "prefixes": list(row.prefixes), "ip_version": row.ip_version,
        "default_prefixlen": row.default_prefixlen, "min_prefixlen": row.min_prefixlen,
        "max_prefixlen": row.max_prefixlen, "shared": row.shared,
        "is_default": row.is_default, "default_quota": row.default_quota,
        "address_scope_id": row.address_scope_id, "tags": tags,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "revision_number": row.revision_number,
    }


async def render(manager: NetworkManager, rows: list[SubnetPool]) -> list[dict[str, Any]]:
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, [r.id for r in rows])
    return [view(r, tags[r.id]) for r in rows]


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_subnetpool(req.context, req.params["subnetpool_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


@router.post("", status=201, schema=CREATE_SUBNETPOOL, policy="create_subnetpool")
async def create_subnetpool(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["subnetpool"]
    enforce_fields(req, "create", "subnetpool", spec)
    row = await manager.create_subnetpool(req.context, spec)
    return {"subnetpool": (await render(manager, [row]))[0]}


@router.get("", policy="get_subnetpool")
async def list_subnetpools(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_subnetpools(req.context, query)
    return listed(req, "subnetpools", await render(manager, rows), leftover, query)


@router.get("/{subnetpool_id}", policy="get_subnetpool", target=target)
async def show_subnetpool(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_subnetpool(req.context, req.params["subnetpool_id"])
    return {"subnetpool": selected(req, (await render(manager, [row]))[0])}


@router.put("/{subnetpool_id}", schema=UPDATE_SUBNETPOOL, policy="update_subnetpool",
            target=target)
async def update_subnetpool(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["subnetpool"]
    enforce_fields(req, "update", "subnetpool", spec, await target(req, manager))
    row = await manager.update_subnetpool(req.context, req.params["subnetpool_id"], spec)
    return {"subnetpool": (await render(manager, [row]))[0]}


@router.delete("/{subnetpool_id}", status=204, policy="delete_subnetpool", target=target)
async def delete_subnetpool(req: Request, manager: NetworkManager) -> None:
    await manager.delete_subnetpool(req.context, req.params["subnetpool_id"])
