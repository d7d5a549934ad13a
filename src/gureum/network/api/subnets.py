"""/v2.0/subnets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, list_query, listed
from gureum.network.manager import NetworkManager
from gureum.network.models import Subnet

router = Router("/v2.0/subnets")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_subnet(req.context, req.params["subnet_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


async def render(manager: NetworkManager, rows: list[Subnet]) -> list[dict[str, Any]]:
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, [r.id for r in rows])
    return [views.subnet(r, tags[r.id]) for r in rows]


@router.post("", status=201, schema=schemas.CREATE_SUBNET, policy="create_subnet")
async def create_subnet(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["subnet"]
    enforce_fields(req, "create", "subnet", spec)
    row = await manager.create_subnet(req.context, spec)
    return {"subnet": (await render(manager, [row]))[0]}


@router.get("", policy="get_subnet")
async def list_subnets(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_subnets(req.context, query)
    return listed(req, "subnets", await render(manager, rows), leftover, query)


@router.get("/{subnet_id}", policy="get_subnet", target=target)
async def show_subnet(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_subnet(req.context, req.params["subnet_id"])
    return {"subnet": (await render(manager, [row]))[0]}


@router.put("/{subnet_id}", schema=schemas.UPDATE_SUBNET, policy="update_subnet",
            target=target)
async def update_subnet(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.update_subnet(req.context, req.params["subnet_id"],
                                      req.body["subnet"])
    return {"subnet": (await render(manager, [row]))[0]}


@router.delete("/{subnet_id}", status=204, policy="delete_subnet", target=target)
async def delete_subnet(req: Request, manager: NetworkManager) -> None:
    await manager.delete_subnet(req.context, req.params["subnet_id"])
