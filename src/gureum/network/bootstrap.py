"""What DevStack makes at setup: the external network `public` (flat, on the physical
network `public`) with its v4 and v6 subnets, the demo project's `private` network with
a v4 and a SLAAC v6 subnet, `router1` joining them, and the default subnet pool.

Safe on every start: only what is missing (by name) is made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.core.context import RequestContext
from gureum.network.config import NetworkSettings
from gureum.network.manager import NetworkManager
from gureum.network.models import IPAllocation, Network, Port, Router, Subnet


async def create_default_networks(network: NetworkManager, settings: NetworkSettings,
                                  admin_project_id: str, demo_project_id: str | None) -> None:
    admin = RequestContext.admin()
    await network.ensure_default_subnetpool(settings.default_subnetpool_prefixes)
    public = await _network(network, "public", admin_project_id, {
        "router:external": True, "is_default": True, "shared": False,
        "provider:network_type": "flat", "provider:physical_network": "public"})
    await _subnet(network, public, "public-subnet", {
        "ip_version": 4, "cidr": settings.public_cidr, "enable_dhcp": False})
    await _subnet(network, public, "ipv6-public-subnet", {
        "ip_version": 6, "cidr": settings.public_cidr_v6, "enable_dhcp": False})
    if demo_project_id is None:
        return
    private = await _network(network, "private", demo_project_id, {})
    private_subnets = [
        await _subnet(network, private, "private-subnet", {
            "ip_version": 4, "cidr": settings.private_cidr}),
        await _subnet(network, private, "ipv6-private-subnet", {
            "ip_version": 6, "cidr": settings.private_cidr_v6, "ipv6_ra_mode": "slaac",
            "ipv6_address_mode": "slaac"}),
    ]
    async with network.db.session() as session:
        router = (await session.scalars(select(Router).where(
            Router.name == "router1", Router.project_id == demo_project_id))).first()
    if router is None:
        router = await network.create_router(admin, {
            "name": "router1", "project_id": demo_project_id,
            "external_gateway_info": {"network_id": public.id}})
    for subnet in private_subnets:
        if not await _attached(network, router.id, subnet.id):
            await network.add_router_interface(admin, router.id, {"subnet_id": subnet.id})


async def _network(network: NetworkManager, name: str, project_id: str,
                   spec: dict[str, Any]) -> Network:
    async with network.db.session() as session:
        found = (await session.scalars(select(Network).where(
            Network.name == name, Network.project_id == project_id))).first()
    if found is not None:
        return found
    return await network.create_network(RequestContext.admin(), {
        "name": name, "project_id": project_id, **spec})


async def _subnet(network: NetworkManager, parent: Network, name: str,
                  spec: dict[str, Any]) -> Subnet:
    async with network.db.session() as session:
        found = (await session.scalars(select(Subnet).where(
            Subnet.name == name, Subnet.network_id == parent.id))).first()
    if found is not None:
        return found
    return await network.create_subnet(RequestContext.admin(), {
        "name": name, "network_id": parent.id, "project_id": parent.project_id, **spec})


async def _attached(network: NetworkManager, router_id: str, subnet_id: str) -> bool:
    async with network.db.session() as session:
        return (await session.scalars(
            select(Port.id).join(IPAllocation, IPAllocation.port_id == Port.id).where(
                Port.device_id == router_id, IPAllocation.subnet_id == subnet_id))
        ).first() is not None
