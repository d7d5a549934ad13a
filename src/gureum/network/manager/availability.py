"""Availability zones (where the DHCP and L3 agents say they are) and how much of each
network's address space is in use."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from gureum.core.errors import BadRequest
from gureum.network import errors, ipam
from gureum.network.manager.base import ManagerBase
from gureum.network.models import Agent, IPAllocation, Network, Subnet

# Which resources an agent's zone serves (neutron's AZ_AGENT_TYPE_MAP).
ZONE_RESOURCES = {"DHCP agent": "network", "L3 agent": "router"}
DEFAULT_ZONE = "nova"
# The filters network-ip-availabilities takes, by column (ip_version selects subnets).
AVAILABILITY_FILTERS: dict[str, Any] = {
    "network_id": Network.id, "network_name": Network.name,
    "project_id": Network.project_id, "tenant_id": Network.project_id,
}


class Availability(ManagerBase):
    async def list_availability_zones(self) -> list[dict[str, str]]:
        """Each (zone, resource) the agents report, available while one of its agents is
        enabled; with no agents reporting, the default zone for both resources."""
        zones: dict[tuple[str, str], bool] = {}
        async with self.db.session() as session:
            for agent_type, zone, enabled in await session.execute(select(
                    Agent.agent_type, Agent.availability_zone, Agent.admin_state_up)):
                resource = ZONE_RESOURCES.get(agent_type)
                if resource and zone:
                    zones[(zone, resource)] = zones.get((zone, resource), False) or enabled
        if not zones:
            zones = {(DEFAULT_ZONE, "network"): True, (DEFAULT_ZONE, "router"): True}
        return [{"name": name, "resource": resource,
                 "state": "available" if up else "unavailable"}
                for (name, resource), up in sorted(zones.items())]

    async def list_network_ip_availabilities(self, filters: Mapping[str, list[str]],
                                             ) -> list[dict[str, Any]]:
        stmt = select(Network).order_by(Network.created_at, Network.id)
        for key, values in filters.items():
            column = AVAILABILITY_FILTERS.get(key)
            if column is not None:
                stmt = stmt.where(column.in_(values))
        versions = [_version(v) for v in filters.get("ip_version", [])]
        async with self.db.session() as session:
            networks = list(await session.scalars(stmt))
            if versions:  # as neutron's inner join: only networks with such subnets
                with_version = set(await session.scalars(select(Subnet.network_id).where(
                    Subnet.ip_version.in_(versions))))
                networks = [n for n in networks if n.id in with_version]
            return await self._availability(session, networks, versions)

    async def show_network_ip_availability(self, network_id: str) -> dict[str, Any]:
        async with self.db.session() as session:
            network = await session.get(Network, network_id)
            if network is None:
                raise errors.NetworkNotFound(net_id=network_id)
            return (await self._availability(session, [network], []))[0]

    @staticmethod
    async def _availability(session: Any, networks: list[Network], versions: list[int],
                            ) -> list[dict[str, Any]]:
        ids = [n.id for n in networks]
        stmt = select(Subnet).where(Subnet.network_id.in_(ids)).order_by(
            Subnet.created_at, Subnet.id)
        if versions:
            stmt = stmt.where(Subnet.ip_version.in_(versions))
        subnets = list(await session.scalars(stmt))
        used = dict((await session.execute(
            select(IPAllocation.subnet_id, func.count()).where(
                IPAllocation.network_id.in_(ids)).group_by(IPAllocation.subnet_id))).all())
        found = []
        for network in networks:
            entries = [{
                "subnet_id": s.id, "subnet_name": s.name, "cidr": s.cidr,
                "ip_version": s.ip_version, "used_ips": int(used.get(s.id, 0)),
                "total_ips": (ipam.pool_size(s.allocation_pools) if s.allocation_pools
                              else ipaddress.ip_network(s.cidr).num_addresses),
            } for s in subnets if s.network_id == network.id]
            found.append({
                "network_id": network.id, "network_name": network.name,
                "project_id": network.project_id, "tenant_id": network.project_id,
                "subnet_ip_availability": entries,
                "total_ips": sum(e["total_ips"] for e in entries),
                "used_ips": sum(e["used_ips"] for e in entries),
            })
        return found


def _version(text: str) -> int:
    if text not in ("4", "6"):
        raise BadRequest(f"'{text}' is not a valid IP version.")
    return int(text)
