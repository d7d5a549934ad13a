"""Subnets: CIDRs (given, or carved out of a subnet pool), gateways, allocation pools,
DNS servers, host routes, IPv6 modes."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, or_, select

from gureum.core.context import RequestContext
from gureum.core.errors import Forbidden
from gureum.network import errors, ipam
from gureum.network.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.models import IPAllocation, Network, Port, Subnet, SubnetPool, Tag

SUBNET_COLUMNS = {
    "id": Subnet.id, "name": Subnet.name, "project_id": Subnet.project_id,
    "tenant_id": Subnet.project_id, "network_id": Subnet.network_id,
    "ip_version": Subnet.ip_version, "cidr": Subnet.cidr, "gateway_ip": Subnet.gateway_ip,
    "enable_dhcp": Subnet.enable_dhcp, "ipv6_ra_mode": Subnet.ipv6_ra_mode,
    "ipv6_address_mode": Subnet.ipv6_address_mode, "subnetpool_id": Subnet.subnetpool_id,
    "segment_id": Subnet.segment_id, "description": Subnet.description,
    "revision_number": Subnet.revision_number, "created_at": Subnet.created_at,
    "updated_at": Subnet.updated_at,
}
IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")
MAX_DNS, MAX_ROUTES = 5, 20
IMMUTABLE = ("cidr", "ip_version", "network_id", "subnetpool_id", "prefixlen",
             "ipv6_ra_mode", "ipv6_address_mode", "use_default_subnetpool")
# Ports of these kinds give their address back when the subnet goes.
SUBNET_OWNED = ("network:dhcp",)


class Subnets(ManagerBase):
    def visible_subnets(self, context: RequestContext) -> Any:
        networks = self.visible_networks(context)
        if networks is None:
            return None
        return or_(Subnet.project_id == context.project_id,
                   Subnet.network_id.in_(select(Network.id).where(networks)))

    async def create_subnet(self, context: RequestContext, spec: dict[str, Any]) -> Subnet:
        async with self.db.session() as session:
            network = await self.network_for(session, context, spec["network_id"])
        project_id = self.project_for(context, spec, "subnet")
        if not is_admin(context) and network.project_id != context.project_id:
            raise Forbidden("Only the network's owner or an admin may add subnets to it.")
        locks = [quota_lock(project_id, "subnet"), f"subnets:{network.id}"]
        async with self.db.session(lock=locks) as session:
            await self.check_quota(session, project_id, "subnet", Subnet)
            subnet = await self._new_subnet(session, context, network, project_id, spec)
            session.add(subnet)
        await self.agents.network_changed(network.id)
        return subnet

    async def _new_subnet(self, session: Any, context: RequestContext, network: Network,
                          project_id: str, spec: dict[str, Any]) -> Subnet:
        cidr, pool_id, version = await self._subnet_cidr(session, context, spec)
        ra_mode, address_mode = spec.get("ipv6_ra_mode"), spec.get("ipv6_address_mode")
        if (ra_mode or address_mode) and version != 6:
            raise errors.InvalidInput(error_message="ipv6_ra_mode or ipv6_address_mode "
                                      "cannot be set when enable_dhcp is set to False or "
                                      "ip_version is 4")
        if ra_mode and address_mode and ra_mode != address_mode:
            raise errors.InvalidInput(error_message=f"ipv6_ra_mode set to '{ra_mode}' with "
                                      f"ipv6_address_mode set to '{address_mode}' is not "
                                      "valid. If both attributes are set, they must be the "
                                      "same value")
        for other in await session.scalars(select(Subnet).where(
                Subnet.network_id == network.id)):
            if ipaddress.ip_network(other.cidr).overlaps(cidr):
                raise errors.InvalidInput(error_message=f"Requested subnet with cidr: {cidr} "
                                          f"for network: {network.id} overlaps with another "
                                          "subnet")
        if "gateway_ip" in spec:
            gateway = spec["gateway_ip"]
            if gateway is not None:
                ipam.check_gateway(cidr, gateway)
                gateway = str(ipam.parse_ip(gateway))
        else:
            gateway = ipam.default_gateway(cidr)
        pools = (ipam.check_pools(cidr, spec["allocation_pools"], gateway)
                 if spec.get("allocation_pools") else ipam.default_pools(cidr, gateway))
        return Subnet(
            id=new_id(), project_id=project_id, network_id=network.id,
            name=spec.get("name") or "", description=spec.get("description") or "",
            ip_version=version, cidr=str(cidr), gateway_ip=gateway,
            enable_dhcp=spec.get("enable_dhcp", True), allocation_pools=pools,
            dns_nameservers=self._subnet_dns(spec.get("dns_nameservers") or [], version),
            host_routes=self._subnet_routes(spec.get("host_routes") or [], version),
            ipv6_ra_mode=ra_mode, ipv6_address_mode=address_mode, subnetpool_id=pool_id,
            segment_id=spec.get("segment_id"), service_types=spec.get("service_types", []))

    async def _subnet_cidr(self, session: Any, context: RequestContext, spec: dict[str, Any],
                    ) -> tuple[ipam.Net, str | None, int]:
        version = spec.get("ip_version")
        pool_id = spec.get("subnetpool_id")
        if pool_id is None and spec.get("use_default_subnetpool"):
            pool = (await session.scalars(select(SubnetPool).where(
                SubnetPool.is_default, SubnetPool.ip_version == (version or 4)))).first()
            if pool is None:
                raise errors.NeutronBadRequest(resource="subnets",
                                               msg="No default subnetpool found for IPv"
                                               f"{version or 4}")
            pool_id = pool.id
        if pool_id is None:
            if not spec.get("cidr"):
                raise errors.NeutronBadRequest(resource="subnets", msg="a subnetpool must be "
                                               "specified in the absence of a cidr")
            if version is None:
                raise errors.InvalidInput(error_message="ip_version must be specified in the "
                                          "absence of a subnetpool")
            return ipam.parse_cidr(spec["cidr"], version), None, version
        pool = await self._get(session, SubnetPool, pool_id,
                               errors.SubnetPoolNotFound(subnetpool_id=pool_id),
                               None if is_admin(context) else or_(
                                   SubnetPool.project_id == context.project_id,
                                   SubnetPool.shared))
        if version is not None and version != pool.ip_version:
            raise errors.InvalidInput(error_message="Cannot allocate IPv"
                                      f"{version} subnet from IPv{pool.ip_version} subnet pool")
        cidr = await self._carve(session, pool, spec.get("cidr"), spec.get("prefixlen"))
        return cidr, pool.id, pool.ip_version

    async def _carve(self, session: Any, pool: SubnetPool, asked: str | None,
                     prefixlen: int | None) -> ipam.Net:
        """A prefix from the pool that no subnet already made from it overlaps."""
        taken = [ipaddress.ip_network(c) for c in await session.scalars(
            select(Subnet.cidr).where(Subnet.subnetpool_id == pool.id))]
        prefixes = [ipaddress.ip_network(p) for p in pool.prefixes]
        if asked:
            cidr = ipam.parse_cidr(asked, pool.ip_version)
            if not any(cidr.subnet_of(p) for p in prefixes):  # type: ignore[arg-type]
                raise errors.NeutronBadRequest(resource="subnets", msg=f"Cidr {cidr} is not "
                                               f"within the prefixes of subnet pool {pool.id}")
            if any(cidr.overlaps(t) for t in taken):
                raise errors.SubnetAllocationError(reason=f"prefix {cidr} overlaps a subnet "
                                                   "already allocated from the pool")
            return cidr
        length = int(prefixlen or pool.default_prefixlen)
        if not pool.min_prefixlen <= length <= pool.max_prefixlen:
            raise errors.InvalidInput(error_message=f"prefixlen {length} is outside the "
                                      f"pool's range {pool.min_prefixlen}-{pool.max_prefixlen}")
        for prefix in prefixes:
            if prefix.prefixlen > length:
                continue
            for candidate in prefix.subnets(new_prefix=length):
                if not any(candidate.overlaps(t) for t in taken):
                    return candidate
        raise errors.SubnetAllocationError(reason="Insufficient prefix space to allocate "
                                           f"subnet size /{length}")

    @staticmethod
    def _subnet_dns(servers: list[str], version: int) -> list[str]:
        if len(servers) > MAX_DNS:
            raise errors.InvalidInput(error_message=f"Number of DNS nameservers exceeds the "
                                      f"limit {MAX_DNS}")
        seen: list[str] = []
        for server in servers:
            text = str(ipam.parse_ip(server))
            if text in seen:
                raise errors.InvalidInput(error_message=f"Duplicate nameserver '{server}'")
            seen.append(text)
        return seen

    @staticmethod
    def _subnet_routes(routes: list[dict[str, str]], version: int) -> list[dict[str, str]]:
        if len(routes) > MAX_ROUTES:
            raise errors.InvalidInput(error_message=f"Number of host routes exceeds the "
                                      f"limit {MAX_ROUTES}")
        checked: list[dict[str, str]] = []
        for route in routes:
            destination = ipaddress.ip_network(route["destination"], strict=False) \
                if _valid_net(route["destination"]) else None
            if destination is None:
                raise errors.InvalidInput(error_message=f"'{route['destination']}' is not a "
                                          "valid IP subnet")
            nexthop = ipam.parse_ip(route["nexthop"])
            if destination.version != version or nexthop.version != version:
                raise errors.InvalidInput(error_message="Host route does not match the "
                                          f"subnet's IP version {version}")
            entry = {"destination": str(destination), "nexthop": str(nexthop)}
            if entry in checked:
                raise errors.InvalidInput(error_message=f"Duplicate hostroute '{entry}'")
            checked.append(entry)
        return checked

    async def list_subnets(self, context: RequestContext, query: ListQuery,
                           ) -> tuple[list[Subnet], dict[str, list[str]]]:
        stmt = select(Subnet)
        visible = self.visible_subnets(context)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, SUBNET_COLUMNS, query)
        stmt = tagged(stmt, Subnet.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, Subnet, SUBNET_COLUMNS, query), leftover

    async def subnet_for(self, session: Any, context: RequestContext, subnet_id: str,
                         ) -> Subnet:
        return await self._get(session, Subnet, subnet_id,
                               errors.SubnetNotFound(subnet_id=subnet_id),
                               self.visible_subnets(context))

    async def show_subnet(self, context: RequestContext, subnet_id: str) -> Subnet:
        async with self.db.session() as session:
            return await self.subnet_for(session, context, subnet_id)

    async def update_subnet(self, context: RequestContext, subnet_id: str,
                            spec: dict[str, Any]) -> Subnet:
        for key in IMMUTABLE:
            if key in spec:
                raise errors.InvalidInput(error_message=f"Cannot update read-only attribute "
                                          f"{key}")
        async with self.db.session() as session:
            subnet = await self.subnet_for(session, context, subnet_id)
            network = ipaddress.ip_network(subnet.cidr)
            gateway = subnet.gateway_ip
            if "gateway_ip" in spec:
                gateway = spec["gateway_ip"]
                if gateway is not None:
                    ipam.check_gateway(network, gateway)
                    gateway = str(ipam.parse_ip(gateway))
            if "allocation_pools" in spec:
                subnet.allocation_pools = (ipam.check_pools(network, spec["allocation_pools"],
                                                            gateway)
                                           if spec["allocation_pools"] else [])
            elif gateway != subnet.gateway_ip:
                ipam.check_pools(network, subnet.allocation_pools, gateway)
            subnet.gateway_ip = gateway
            self._update_subnet_fields(subnet, spec)
            self.bump(subnet)
        await self.agents.network_changed(subnet.network_id)
        return subnet

    def _update_subnet_fields(self, subnet: Subnet, spec: dict[str, Any]) -> None:
        if "dns_nameservers" in spec:
            subnet.dns_nameservers = self._subnet_dns(spec["dns_nameservers"] or [],
                                                      subnet.ip_version)
        if "host_routes" in spec:
            subnet.host_routes = self._subnet_routes(spec["host_routes"] or [],
                                                     subnet.ip_version)
        for key in ("name", "description"):
            if key in spec:
                setattr(subnet, key, spec[key] or "")
        for key in ("enable_dhcp", "service_types", "segment_id"):
            if key in spec:
                setattr(subnet, key, spec[key])

    async def delete_subnet(self, context: RequestContext, subnet_id: str) -> None:
        async with self.db.session() as session:
            subnet = await self.subnet_for(session, context, subnet_id)
            users = list(await session.execute(
                select(Port.id, Port.device_owner).join(
                    IPAllocation, IPAllocation.port_id == Port.id).where(
                    IPAllocation.subnet_id == subnet_id)))
            if any(owner not in SUBNET_OWNED for _, owner in users):
                raise errors.SubnetInUse(subnet_id=subnet_id, reason="One or more ports have "
                                         "an IP allocation from this subnet.")
            await session.execute(delete(IPAllocation).where(
                IPAllocation.subnet_id == subnet_id))
            await session.execute(delete(Tag).where(Tag.resource_id == subnet_id))
            await session.delete(subnet)
        await self.agents.network_changed(subnet.network_id)


def _valid_net(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
