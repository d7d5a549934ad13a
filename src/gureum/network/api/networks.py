"""/v2.0/networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, hidden, list_query, listed, strip
from gureum.network.manager import NetworkManager
from gureum.network.models import Network

router = Router("/v2.0/networks")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_network(req.context, req.params["network_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


async def render(req: Request, manager: NetworkManager, rows: list[Network],
                 ) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    subnets = await manager.subnets_of(ids)
    segments = await manager.segments_of(ids)
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, ids)
    hide = hidden(req, "network")
    return [strip(views.network(r, subnets[r.id], segments[r.id], tags[r.id]), hide)
            for r in rows]


@router.post("", status=201, schema=schemas.CREATE_NETWORK, policy="create_network")
async def create_network(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["network"]
    enforce_fields(req, "create", "network", spec)
    row = await manager.create_network(req.context, spec)
    return {"network": (await render(req, manager, [row]))[0]}


@router.get("", policy="get_network")
async def list_networks(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_networks(req.context, query)
    return listed(req, "networks", await render(req, manager, rows), leftover, query)


@router.get("/{network_id}", policy="get_network", target=target)
async def show_network(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_network(req.context, req.params["network_id"])
    return {"network": (await render(req, manager, [row]))[0]}


@router.put("/{network_id}", schema=schemas.UPDATE_NETWORK, policy="update_network",
            target=target)
async def update_network(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["network"]
    enforce_fields(req, "update", "network", spec)
    row = await manager.update_network(req.context, req.params["network_id"], spec)
    return {"network": (await render(req, manager, [row]))[0]}


@router.delete("/{network_id}", status=204, policy="delete_network", target=target)
async def delete_network(req: Request, manager: NetworkManager) -> None:
    await manager.delete_network(req.context, req.params["network_id"])
