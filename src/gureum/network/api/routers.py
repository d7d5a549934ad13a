"""/v2.0/routers, with add_router_interface and remove_router_interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, hidden, list_query, listed, strip
from gureum.network.manager import NetworkManager
from gureum.network.models import Router as RouterRow

router = Router("/v2.0/routers")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_router(req.context, req.params["router_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


async def render(req: Request, manager: NetworkManager, rows: list[RouterRow],
                 ) -> list[dict[str, Any]]:
    gateways = await manager.router_gateways(rows)
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, [r.id for r in rows])
    hide = hidden(req, "router")
    return [strip(views.router(r, gateways[r.id], tags[r.id]), hide) for r in rows]


@router.post("", status=201, schema=schemas.CREATE_ROUTER, policy="create_router")
async def create_router(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["router"]
    enforce_fields(req, "create", "router", spec)
    row = await manager.create_router(req.context, spec)
    return {"router": (await render(req, manager, [row]))[0]}


@router.get("", policy="get_router")
async def list_routers(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_routers(req.context, query)
    return listed(req, "routers", await render(req, manager, rows), leftover, query)


@router.get("/{router_id}", policy="get_router", target=target)
async def show_router(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_router(req.context, req.params["router_id"])
    return {"router": (await render(req, manager, [row]))[0]}


@router.put("/{router_id}", schema=schemas.UPDATE_ROUTER, policy="update_router",
            target=target)
async def update_router(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["router"]
    enforce_fields(req, "update", "router", spec)
    row = await manager.update_router(req.context, req.params["router_id"], spec)
    return {"router": (await render(req, manager, [row]))[0]}


@router.delete("/{router_id}", status=204, policy="delete_router", target=target)
async def delete_router(req: Request, manager: NetworkManager) -> None:
    await manager.delete_router(req.context, req.params["router_id"])


@router.put("/{router_id}/add_router_interface", schema=schemas.ROUTER_INTERFACE,
            policy="add_router_interface", target=target)
async def add_router_interface(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return await manager.add_router_interface(req.context, req.params["router_id"], req.body)


@router.put("/{router_id}/remove_router_interface", schema=schemas.ROUTER_INTERFACE,
            policy="remove_router_interface", target=target)
async def remove_router_interface(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return await manager.remove_router_interface(req.context, req.params["router_id"],
                                                 req.body)


@router.put("/{router_id}/add_extraroutes", schema=schemas.EXTRAROUTES,
            policy="add_extraroutes", target=target)
async def add_extraroutes(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.change_router_routes(req.context, req.params["router_id"],
                                             req.body["router"]["routes"])
    return {"router": (await render(req, manager, [row]))[0]}


@router.put("/{router_id}/remove_extraroutes", schema=schemas.EXTRAROUTES,
            policy="remove_extraroutes", target=target)
async def remove_extraroutes(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.change_router_routes(req.context, req.params["router_id"],
                                             req.body["router"]["routes"], remove=True)
    return {"router": (await render(req, manager, [row]))[0]}
