"""/v2.0/availability_zones and /v2.0/network-ip-availabilities."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.network.api.collection import selected
from gureum.network.manager import NetworkManager

router = Router("/v2.0")

# openstacksdk asks for `availability_zone` and `agent_type` where neutron's own names
# are `name` and `resource`: both are understood.
ZONE_FILTERS = {"name": "name", "availability_zone": "name", "resource": "resource",
                "agent_type": "resource", "state": "state"}
AVAILABILITY_FILTERS = ("network_id", "network_name", "project_id", "tenant_id", "ip_version")


@router.get("/availability_zones", policy="get_availability_zone")
async def list_availability_zones(req: Request, manager: NetworkManager) -> dict[str, Any]:
    zones = await manager.list_availability_zones()
    params = req.raw.query_params
    for key, field in ZONE_FILTERS.items():
        wanted = params.getlist(key)
        if wanted:
            zones = [z for z in zones if z[field] in wanted]
    return {"availability_zones": [selected(req, z) for z in zones]}


@router.get("/network-ip-availabilities", policy="get_network_ip_availability")
async def list_network_ip_availabilities(req: Request, manager: NetworkManager,
                                         ) -> dict[str, Any]:
    params = req.raw.query_params
    filters = {key: params.getlist(key) for key in AVAILABILITY_FILTERS if key in params}
    found = await manager.list_network_ip_availabilities(filters)
    return {"network_ip_availabilities": [selected(req, item) for item in found]}


@router.get("/network-ip-availabilities/{network_id}", policy="get_network_ip_availability")
async def show_network_ip_availability(req: Request, manager: NetworkManager,
                                       ) -> dict[str, Any]:
    found = await manager.show_network_ip_availability(req.params["network_id"])
    return {"network_ip_availability": selected(req, found)}
