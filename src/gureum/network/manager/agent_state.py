"""The desired state of what agents host, built from the tables in bulk: ports as the L2
agent wires them (with their firewalls, remote groups expanded) and networks as a DHCP
agent serves them (routers, as an L3 agent runs them, are the routers part's:
Routers.routers_for_agent). Values are the driver's dataclasses."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.network.drivers.base import (
    AddressPair,
    DhcpHost,
    DhcpNetwork,
    DhcpOption,
    DhcpSubnet,
    FirewallRule,
    FixedIP,
    HostRoute,
    NetworkSegment,
    PortFirewall,
    PortWiring,
)
from gureum.network.manager.base import ManagerBase
from gureum.network.models import (
    IPAllocation,
    Network,
    Port,
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
    Segment,
    Subnet,
)


class AgentState(ManagerBase):
    # ------------------------------------------------------------ shared pieces
    @staticmethod
    async def _state_networks(session: AsyncSession, network_ids: set[str],
                              ) -> dict[str, tuple[NetworkSegment, int]]:
        """Each network's first segment and MTU."""
        found: dict[str, tuple[NetworkSegment, int]] = {}
        if not network_ids:
            return found
        mtus: dict[str, int] = {network_id: mtu for network_id, mtu in await session.execute(
            select(Network.id, Network.mtu).where(Network.id.in_(network_ids)))}
        for segment in await session.scalars(select(Segment).where(
                Segment.network_id.in_(network_ids)).order_by(Segment.segment_index)):
            if segment.network_id not in found and segment.network_id in mtus:
                found[segment.network_id] = (
                    NetworkSegment(segment.network_type, segment.physical_network,
                                   segment.segmentation_id), mtus[segment.network_id])
        for network_id, mtu in mtus.items():
            found.setdefault(network_id, (NetworkSegment("local"), mtu))
        return found

    @staticmethod
    async def _state_fixed_ips(session: AsyncSession, port_ids: list[str],
                               network_id: str | None = None,
                               ) -> dict[str, tuple[FixedIP, ...]]:
        """Each port's addresses with their subnets' CIDR and gateway (all the network's
        ports in one query when `network_id` is given)."""
        found: dict[str, list[FixedIP]] = defaultdict(list)
        stmt = (select(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address,
                       Subnet.cidr, Subnet.gateway_ip)
                .join(Subnet, Subnet.id == IPAllocation.subnet_id)
                .order_by(IPAllocation.port_id, IPAllocation.subnet_id,
                          IPAllocation.ip_address))
        chunks = ([stmt.where(IPAllocation.network_id == network_id)] if network_id else
                  [stmt.where(IPAllocation.port_id.in_(port_ids[start:start + 500]))
                   for start in range(0, len(port_ids), 500)])
        for chunk in chunks:
            for port_id, subnet_id, address, cidr, gateway in await session.execute(chunk):
                found[port_id].append(FixedIP(subnet_id, address, cidr, gateway))
        return {p: tuple(found.get(p, ())) for p in port_ids}

    @staticmethod
    def _state_pairs(pairs: list[Any]) -> tuple[AddressPair, ...]:
        return tuple(AddressPair(p["ip_address"], p["mac_address"]) for p in pairs or [])

    # ------------------------------------------------------------ L2: ports
    async def port_wirings(self, session: AsyncSession, ports: list[Port],
                           ) -> dict[str, tuple[PortWiring, PortFirewall]]:
        ids = [p.id for p in ports]
        networks = await self._state_networks(session, {p.network_id for p in ports})
        fixed = await self._state_fixed_ips(session, ids)
        firewalls = await self._state_firewalls(session, ports, fixed)
        found = {}
        for port in ports:
            segment, mtu = networks.get(port.network_id, (NetworkSegment("local"), 1500))
            wiring = PortWiring(
                port_id=port.id, network_id=port.network_id, mac_address=port.mac_address,
                segment=segment, mtu=mtu, fixed_ips=fixed[port.id],
                admin_state_up=port.admin_state_up, device_owner=port.device_owner,
                device_id=port.device_id,
                allowed_address_pairs=self._state_pairs(port.allowed_address_pairs))
            found[port.id] = (wiring, firewalls[port.id])
        return found

    async def _state_firewalls(self, session: AsyncSession, ports: list[Port],
                               fixed: dict[str, tuple[FixedIP, ...]],
                               ) -> dict[str, PortFirewall]:
        ids = [p.id for p in ports]
        groups: dict[str, list[str]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            for port_id, group_id in await session.execute(
                    select(PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)
                    .where(PortSecurityGroup.port_id.in_(ids[start:start + 500]))):
                groups[port_id].append(group_id)
        group_ids = {g for gs in groups.values() for g in gs}
        stateful: dict[str, bool] = {group_id: flag for group_id, flag in await session.execute(
            select(SecurityGroup.id, SecurityGroup.stateful).where(
                SecurityGroup.id.in_(group_ids)))}
        rules: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        for rule in await session.scalars(select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id.in_(group_ids))):
            rules[rule.security_group_id].append(rule)
        members = await self._state_members(session, {
            r.remote_group_id for rs in rules.values() for r in rs if r.remote_group_id})
        found = {}
        for port in ports:
            mine = groups.get(port.id, [])
            expanded: set[FirewallRule] = set()
            for group_id in mine:
                for rule in rules.get(group_id, []):
                    expanded.update(_expand(rule, members))
            found[port.id] = PortFirewall(
                port_id=port.id, mac_address=port.mac_address,
                fixed_ips=tuple(f.ip_address for f in fixed[port.id]),
                allowed_address_pairs=self._state_pairs(port.allowed_address_pairs),
                port_security_enabled=port.port_security_enabled,
                stateful=all(stateful.get(g, True) for g in mine),
                rules=tuple(sorted(expanded, key=_rule_key)))
        return found

    @staticmethod
    async def _state_members(session: AsyncSession, group_ids: set[str],
                             ) -> dict[str, set[str]]:
        """The addresses of each remote group's member ports (with their address pairs)."""
        members: dict[str, set[str]] = defaultdict(set)
        if not group_ids:
            return members
        for group_id, address in await session.execute(
                select(PortSecurityGroup.security_group_id, IPAllocation.ip_address)
                .join(IPAllocation, IPAllocation.port_id == PortSecurityGroup.port_id)
                .where(PortSecurityGroup.security_group_id.in_(group_ids))):
            members[group_id].add(address)
        for group_id, pairs in await session.execute(
                select(PortSecurityGroup.security_group_id, Port.allowed_address_pairs)
                .join(Port, Port.id == PortSecurityGroup.port_id)
                .where(PortSecurityGroup.security_group_id.in_(group_ids))):
            members[group_id].update(p["ip_address"] for p in pairs or [])
        return members

    # ------------------------------------------------------------ DHCP: networks
    async def dhcp_hosts(self, session: AsyncSession, network_id: str, served: set[str],
                         port_ids: list[str] | None = None,
                         ) -> tuple[tuple[DhcpHost, ...], dict[str, tuple[FixedIP, ...]]]:
        """The network's ports as its DHCP server answers for them (only `port_ids`,
        if given), and all their fixed IPs."""
        stmt = (select(Port.id, Port.mac_address, Port.dns_name, Port.extra_dhcp_opts)
                .where(Port.network_id == network_id).order_by(Port.id))
        if port_ids is not None:
            stmt = stmt.where(Port.id.in_(port_ids))
        rows = list((await session.execute(stmt)).tuples())
        fixed = await self._state_fixed_ips(session, [r[0] for r in rows], network_id)
        return tuple(
            DhcpHost(port_id, mac, tuple(f for f in fixed[port_id] if f.subnet_id in served),
                     dns_name or "", tuple(DhcpOption(o["opt_name"], str(o["opt_value"]),
                                                      int(o.get("ip_version") or 4))
                                           for o in opts or []))
            for port_id, mac, dns_name, opts in rows), fixed

    async def dhcp_network_state(self, session: AsyncSession, network_id: str,
                                 dhcp_port: Port) -> DhcpNetwork:
        networks = await self._state_networks(session, {network_id})
        segment, mtu = networks.get(network_id, (NetworkSegment("local"), 1500))
        network = await session.get(Network, network_id)
        subnets = list(await session.scalars(select(Subnet).where(
            Subnet.network_id == network_id, Subnet.enable_dhcp).order_by(
            Subnet.created_at, Subnet.id)))
        hosts, fixed = await self.dhcp_hosts(session, network_id, {s.id for s in subnets})
        wiring = PortWiring(port_id=dhcp_port.id, network_id=network_id,
                            mac_address=dhcp_port.mac_address, segment=segment, mtu=mtu,
                            fixed_ips=fixed.get(dhcp_port.id, ()),
                            device_owner=dhcp_port.device_owner, device_id=dhcp_port.device_id)
        return DhcpNetwork(
            network_id=network_id, segment=segment, dhcp_port=wiring, mtu=mtu,
            dns_domain=(network.dns_domain if network and network.dns_domain
                        else self.settings.dns_domain),
            subnets=tuple(_dhcp_subnet(s) for s in subnets), hosts=hosts)


def _dhcp_subnet(subnet: Subnet) -> DhcpSubnet:
    return DhcpSubnet(
        subnet_id=subnet.id, cidr=subnet.cidr, ip_version=subnet.ip_version,
        gateway_ip=subnet.gateway_ip,
        allocation_pools=tuple((p["start"], p["end"]) for p in subnet.allocation_pools or []),
        dns_nameservers=tuple(subnet.dns_nameservers or []),
        host_routes=tuple(HostRoute(r["destination"], r["nexthop"])
                          for r in subnet.host_routes or []),
        ipv6_address_mode=subnet.ipv6_address_mode, ipv6_ra_mode=subnet.ipv6_ra_mode)


def _expand(rule: SecurityGroupRule, members: dict[str, set[str]]) -> list[FirewallRule]:
    def with_remote(prefix: str | None) -> FirewallRule:
        return FirewallRule(rule.direction, rule.ethertype, rule.protocol,
                            rule.port_range_min, rule.port_range_max, prefix)

    if not rule.remote_group_id:
        return [with_remote(rule.remote_ip_prefix)]
    version = 6 if rule.ethertype == "IPv6" else 4
    prefixes = set()
    for address in members.get(rule.remote_group_id, set()):
        net = ipaddress.ip_network(address, strict=False)
        if net.version == version:
            prefixes.add(str(net))
    return [with_remote(p) for p in sorted(prefixes)]


def _rule_key(rule: FirewallRule) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in (
        rule.direction, rule.ethertype, rule.protocol, rule.port_range_min,
        rule.port_range_max, rule.remote_ip_prefix))
