"""/v2.0/ports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson

from gureum.core.api import Request, Router
from gureum.core.rendering import RenderCache
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, hidden, list_query, listed, strip
from gureum.network.manager import NetworkManager
from gureum.network.manager.ports import RAW_JSON, ListedDetails, PortDetails

router = Router("/v2.0/ports")


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_port(req.context, req.params["port_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


# Ports as lists last rendered them: a list of thousands re-renders only what changed.
RENDERED = RenderCache()


async def render(req: Request, manager: NetworkManager, rows: list[Any],
                 details: PortDetails | None = None) -> list[dict[str, Any]]:
    fixed, groups, tags = details or await manager.port_details([r.id for r in rows])
    hide = hidden(req, "port")
    return [strip(views.port(r, fixed[r.id], groups[r.id], tags[r.id]), hide) for r in rows]


def rendered(row: Any, details: ListedDetails, hide: set[str]) -> dict[str, Any]:
    """A listed row (JSON columns as text) and its listed details as the API shows it."""
    fixed, groups, tags = details
    port = SimpleNamespace(**{**row._mapping, **{name: json_value(getattr(row, name))
                                                 for name in RAW_JSON},
                              **{name: moment(getattr(row, name))
                                 for name in ("created_at", "updated_at")}})
    addresses = [{"subnet_id": subnet, "ip_address": ip} for subnet, ip in
                 fixed.get(row.id, ())]
    return strip(views.port(port, addresses, groups.get(row.id, []),
                            sorted(tags.get(row.id, []))), hide)


def json_value(value: Any) -> Any:
    """Text on SQLite; PostgreSQL's driver has already decoded it."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def moment(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


async def whole_list(req: Request, manager: NetworkManager, versions: list[Any],
                     details: ListedDetails) -> list[orjson.Fragment]:
    """Every listed port as JSON, from RENDERED while nothing it was rendered from (the
    row's version, its addresses, groups and tags, what this caller may see) has
    changed; whole rows are read only of the others."""
    fixed, groups, tags = details
    hide = hidden(req, "port")
    view = tuple(sorted(hide))

    found = RENDERED.lookup((port_id, (revision, updated_at, fixed.get(port_id),
                                       groups.get(port_id), tags.get(port_id), view))
                            for port_id, revision, updated_at in versions)
    rows = await manager.port_rows([i for i, hit in found.items() if hit is None])
    for port_id, row in rows.items():
        key = (row.revision_number, row.updated_at, fixed.get(port_id), groups.get(port_id),
               tags.get(port_id), view)
        found[port_id] = RENDERED.put(port_id, key, rendered(row, details, hide))
    # (a port deleted since the versions were read is not listed)
    return [hit for hit in found.values() if hit is not None]


@router.post("", status=201, schema=schemas.CREATE_PORT, policy="create_port")
async def create_port(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["port"]
    enforce_fields(req, "create", "port", spec)
    row, (fixed, groups, tags) = await manager.create_port_detailed(req.context, spec)
    details = ({row.id: fixed}, {row.id: groups}, {row.id: tags})
    return {"port": (await render(req, manager, [row], details))[0]}


@router.get("", policy="get_port")
async def list_ports(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    if not (query.limit or req.raw.query_params.getlist("fields")):
        versions, leftover, details = await manager.list_ports(req.context, query,
                                                               versions_only=True)
        if not leftover:
            return {"ports": await whole_list(req, manager, versions, details)}
    rows, leftover, details = await manager.list_ports(req.context, query)
    hide = hidden(req, "port")
    return listed(req, "ports", [rendered(r, details, hide) for r in rows], leftover, query)


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
