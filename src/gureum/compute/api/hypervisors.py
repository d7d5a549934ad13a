"""/v2.1/os-hypervisors: every host's inventory and usage (the fake driver says what it
is: hypervisor_type "fake")."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.compute import errors, views
from gureum.compute.api.common import next_links, page, truthy, version
from gureum.compute.manager import ComputeManager
from gureum.compute.models import ComputeNode, ComputeService
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/os-hypervisors")
P = "os_compute_api:os-hypervisors:"
Pair = tuple[ComputeNode, ComputeService | None]


def _render(req: Request, manager: ComputeManager, pairs: list[Pair], detail: bool,
            ) -> list[dict[str, Any]]:
    return [views.hypervisor(node, service, service is not None and manager.is_up(service),
                             version(req), detail=detail) for node, service in pairs]


def _paged(req: Request, pairs: list[Pair]) -> list[Pair]:
    if version(req) < (2, 33):
        return pairs
    listing = page(req)
    if listing.marker:
        ids = [str(n.uuid if version(req) >= (2, 53) else n.id) for n, _ in pairs]
        if listing.marker not in ids:
            raise errors.InvalidInput(reason=f"marker [{listing.marker}] not found")
        pairs = pairs[ids.index(listing.marker) + 1:]
    return pairs if listing.limit is None else pairs[:listing.limit]


async def _listed(req: Request, manager: ComputeManager, detail: bool) -> dict[str, Any]:
    """The hypervisors, a page of them; from 2.53 those whose name holds
    hypervisor_hostname_pattern (404 for none; no paging then), with their servers if
    with_servers."""
    pairs = await manager.list_hypervisors()
    at = version(req)
    pattern = req.query.get("hypervisor_hostname_pattern") if at >= (2, 53) else None
    if pattern is not None:
        if "limit" in req.query or "marker" in req.query:
            raise errors.InvalidInput(reason="Paging over hypervisors with the "
                                      "hypervisor_hostname_pattern query parameter is not "
                                      "supported.")
        pairs = [p for p in pairs if pattern in p[0].hypervisor_hostname]
        if not pairs:
            raise NotFound(f"No hypervisor matching '{pattern}' could be found.")
    else:
        pairs = _paged(req, pairs)
    items = await _with_servers(req, manager, pairs, _render(req, manager, pairs, detail))
    limit = page(req).limit if at >= (2, 33) and pattern is None else None
    return {"hypervisors": items, **next_links(req, "hypervisors", items, limit)}


async def _with_servers(req: Request, manager: ComputeManager, pairs: list[Pair],
                        items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each hypervisor's servers when with_servers is asked (2.53), as nova lists them
    (none: no key, until 2.75 made it an empty list)."""
    wanted = req.query.get("with_servers", "false")
    if version(req) < (2, 53) or not truthy(wanted):
        return items
    for item, (node, _) in zip(items, pairs, strict=True):
        servers = await manager.hypervisor_servers(node.host)
        if servers or version(req) >= (2, 75):
            item["servers"] = [{"uuid": s.id, "name": views.instance_name(s)}
                               for s in servers]
    return items


@router.get("", policy=P + "list")
async def list_hypervisors(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return await _listed(req, manager, False)


@router.get("/detail", policy=P + "list-detail")
async def list_hypervisors_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return await _listed(req, manager, True)


@router.get("/statistics", policy=P + "statistics")
async def hypervisor_statistics(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if version(req) >= (2, 88):
        raise NotFound()  # removed at 2.88 (placement has the usage)
    nodes = [n for n, _ in await manager.list_hypervisors()]
    total = {key: sum(getattr(n, key) for n in nodes)
             for key in ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
                         "local_gb_used", "running_vms")}
    return {"hypervisor_statistics": {
        "count": len(nodes), **total, "current_workload": 0,
        "free_ram_mb": total["memory_mb"] - total["memory_mb_used"],
        "free_disk_gb": total["local_gb"] - total["local_gb_used"],
        "disk_available_least": total["local_gb"] - total["local_gb_used"]}}


@router.get("/{hypervisor_id}", policy=P + "show")
async def show_hypervisor(req: Request, manager: ComputeManager) -> dict[str, Any]:
    pair = await _hypervisor(req, manager)
    item = _render(req, manager, [pair], True)
    return {"hypervisor": (await _with_servers(req, manager, [pair], item))[0]}


@router.get("/{hypervisor_id}/uptime", policy=P + "uptime")
async def hypervisor_uptime(req: Request, manager: ComputeManager) -> dict[str, Any]:
    """Before 2.88 (which put the uptime in show and detail)."""
    if version(req) >= (2, 88):
        raise NotFound()
    node, service = await _hypervisor(req, manager)
    up = service is not None and manager.is_up(service)
    body = views.hypervisor(node, service, up, version(req), detail=False)
    return {"hypervisor": {**body, "uptime": views.uptime(node) if up else None}}


async def _hypervisor(req: Request, manager: ComputeManager) -> Pair:
    wanted = req.params["hypervisor_id"]
    by_uuid = version(req) >= (2, 53)
    if by_uuid:
        try:
            wanted = str(uuid.UUID(wanted))
        except ValueError as exc:
            raise errors.InvalidInput(reason=f"Invalid uuid {wanted}") from exc
    for pair in await manager.list_hypervisors():
        if str(pair[0].uuid if by_uuid else pair[0].id) == wanted:
            return pair
    raise NotFound(f"Hypervisor {wanted} could not be found.")


async def _matching(req: Request, manager: ComputeManager) -> list[Pair]:
    """The hypervisors whose name holds the pattern (nova's search, before 2.53: a query
    parameter since); 404 for none."""
    if version(req) >= (2, 53):
        raise NotFound("The resource could not be found.")
    pairs = [p for p in await manager.list_hypervisors()
             if req.params["pattern"] in p[0].hypervisor_hostname]
    if not pairs:
        raise NotFound(f"No hypervisor matching '{req.params['pattern']}' could be found.")
    return pairs


@router.get("/{pattern}/search", policy=P + "search")
async def search_hypervisors(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"hypervisors": _render(req, manager, await _matching(req, manager), False)}


@router.get("/{pattern}/servers", policy=P + "servers")
async def hypervisor_servers(req: Request, manager: ComputeManager) -> dict[str, Any]:
    pairs = await _matching(req, manager)
    found = []
    for item, (node, _) in zip(_render(req, manager, pairs, False), pairs, strict=True):
        servers = await manager.hypervisor_servers(node.host)
        found.append({**item, "servers": [{"uuid": s.id, "name": views.instance_name(s)}
                                          for s in servers]})
    return {"hypervisors": found}
