"""/v2.1/os-hypervisors: every host's inventory and usage (the fake driver says what it
is: hypervisor_type "fake")."""

from __future__ import annotations

from typing import Any

from gureum.compute import errors, views
from gureum.compute.api.common import next_links, page, version
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
        ids = [str(n.id) for n, _ in pairs]
        if listing.marker not in ids:
            raise errors.InvalidInput(reason=f"marker [{listing.marker}] not found")
        pairs = pairs[ids.index(listing.marker) + 1:]
    return pairs if listing.limit is None else pairs[:listing.limit]


@router.get("", policy=P + "list")
async def list_hypervisors(req: Request, manager: ComputeManager) -> dict[str, Any]:
    items = _render(req, manager, _paged(req, await manager.list_hypervisors()), False)
    limit = page(req).limit if version(req) >= (2, 33) else None
    return {"hypervisors": items, **next_links(req, "hypervisors", items, limit)}


@router.get("/detail", policy=P + "list-detail")
async def list_hypervisors_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    items = _render(req, manager, _paged(req, await manager.list_hypervisors()), True)
    limit = page(req).limit if version(req) >= (2, 33) else None
    return {"hypervisors": items, **next_links(req, "hypervisors", items, limit)}


@router.get("/statistics", policy=P + "statistics")
async def hypervisor_statistics(req: Request, manager: ComputeManager) -> dict[str, Any]:
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
    wanted = req.params["hypervisor_id"]
    for pair in await manager.list_hypervisors():
        if str(pair[0].id) == wanted:
            return {"hypervisor": _render(req, manager, [pair], True)[0]}
    raise NotFound(f"Hypervisor {wanted} could not be found.")


async def _matching(req: Request, manager: ComputeManager) -> list[Pair]:
    """The hypervisors whose name holds the pattern (nova's search); 404 for none."""
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
