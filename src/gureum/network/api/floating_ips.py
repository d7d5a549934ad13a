"""/v2.0/floatingips."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, list_query, listed
from gureum.network.manager import NetworkManager
from gureum.network.models import FloatingIP

router = Router("/v2.0/floatingips")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_floatingip(req.context, req.params["floatingip_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


async def render(manager: NetworkManager, rows: list[FloatingIP]) -> list[dict[str, Any]]:
    details = await manager.floatingip_port_details(rows)
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, [r.id for r in rows])
    return [views.floatingip(r, details[r.id], tags[r.id]) for r in rows]


@router.post("", status=201, schema=schemas.CREATE_FLOATINGIP, policy="create_floatingip")
async def create_floatingip(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["floatingip"]
    enforce_fields(req, "create", "floatingip", spec)
    row = await manager.create_floatingip(req.context, spec)
    return {"floatingip": (await render(manager, [row]))[0]}


@router.get("", policy="get_floatingip")
async def list_floatingips(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_floatingips(req.context, query)
    return listed(req, "floatingips", await render(manager, rows), leftover, query)


@router.get("/{floatingip_id}", policy="get_floatingip", target=target)
async def show_floatingip(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_floatingip(req.context, req.params["floatingip_id"])
    return {"floatingip": (await render(manager, [row]))[0]}


@router.put("/{floatingip_id}", schema=schemas.UPDATE_FLOATINGIP, policy="update_floatingip",
            target=target)
async def update_floatingip(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["floatingip"]
    enforce_fields(req, "update", "floatingip", spec)
    row = await manager.update_floatingip(req.context, req.params["floatingip_id"], spec)
    return {"floatingip": (await render(manager, [row]))[0]}


@router.delete("/{floatingip_id}", status=204, policy="delete_floatingip", target=target)
async def delete_floatingip(req: Request, manager: NetworkManager) -> None:
    await manager.delete_floatingip(req.context, req.params["floatingip_id"])
