"""/v2.1/os-availability-zone (and /detail for admins: each zone's hosts and services)."""

from __future__ import annotations

from typing import Any

from gureum.compute.manager import ComputeManager
from gureum.compute.messages import COMPUTE_BINARY
from gureum.compute.views import iso_micro
from gureum.core.api import Request, Router

router = Router("/v2.1/os-availability-zone")
P = "os_compute_api:os-availability-zone:"


@router.get("", policy=P + "list")
async def list_zones(req: Request, manager: ComputeManager) -> dict[str, Any]:
    services = await manager.list_services(binary=COMPUTE_BINARY)
    zones: dict[str, bool] = {}
    for row in services:
        available = not row.disabled and manager.is_up(row)
        zones[row.availability_zone] = zones.get(row.availability_zone, False) or available
    return {"availabilityZoneInfo": [
        {"zoneName": zone, "zoneState": {"available": available}, "hosts": None}
        for zone, available in sorted(zones.items())]}


@router.get("/detail", policy=P + "detail")
async def list_zones_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    zones: dict[str, dict[str, dict[str, Any]]] = {}
    for row in await manager.list_services():
        zone = row.availability_zone if row.binary == COMPUTE_BINARY else "internal"
        zones.setdefault(zone, {}).setdefault(row.host, {})[row.binary] = {
            "available": not row.disabled and manager.is_up(row),
            "active": not row.disabled, "updated_at": iso_micro(row.updated_at)}
    return {"availabilityZoneInfo": [
        {"zoneName": zone, "zoneState": {"available": any(
            s["available"] for host in hosts.values() for s in host.values())},
         "hosts": hosts} for zone, hosts in sorted(zones.items())]}
