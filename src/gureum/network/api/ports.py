"""/v2.0/ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, hidden, list_query, listed, strip
from gureum.network.manager import NetworkManager
from gureum.network.manager.ports import PortDetails

router = Router("/v2.0/ports")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_port(req.context, req.params["port_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


async def render(req: Request, manager: NetworkManager, rows: list[Any],
                 details: PortDetails | None = None) -> list[dict[str, Any]]:
    fixed, groups, tags = details or await manager.port_details([r.id for r in rows])
    hide = hidden(req, "port")
    return [strip(views.port(r, fixed[r.id], groups[r.id], tags[r.id]), hide) for r in rows]


@router.post("", status=201, schema=schemas.CREATE_PORT, policy="create_port")
async def create_port(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["port"]
    enforce_fields(req, "create", "port", spec)
    row = await manager.create_port(req.context, spec)
    return {"port": (await render(req, manager, [row]))[0]}


@router.get("", policy="get_port")
async def list_ports(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover, details = await manager.list_ports(req.context, query)
    return listed(req, "ports", await render(req, manager, rows, details), leftover, query)


@router.get("/{port_id}", policy="get_port", target=target)
async def show_port(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_port(req.context, req.params["port_id"])
    return {"port": (await render(req, manager, [row]))[0]}


@router.put("/{port_id}", schema=schemas.UPDATE_PORT, policy="update_port", target=target)
async def update_port(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["port"]
    enforce_fields(req, "update", "port", spec)
    row = await manager.update_port(req.context, req.params["port_id"], spec)
    return {"port": (await render(req, manager, [row]))[0]}


@router.delete("/{port_id}", status=204, policy="delete_port", target=target)
async def delete_port(req: Request, manager: NetworkManager) -> None:
    await manager.delete_port(req.context, req.params["port_id"])
