"""Ports: MAC addresses, fixed IPs allocated under a per-network lock (the primary key of
ip_allocation is the backstop), bindings, security groups, address pairs, DHCP options."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, or_, select, update

from gureum.core.context import RequestContext
from gureum.core.errors import PolicyNotAuthorized
from gureum.network import errors, ipam
from gureum.network.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.models import (
    FloatingIP,
    IPAllocation,
    Network,
    Port,
    PortSecurityGroup,
    RBACPolicy,
    SecurityGroup,
    Subnet,
    Tag,
)

PORT_COLUMNS = {
    "id": Port.id, "name": Port.name, "project_id": Port.project_id,
    "tenant_id": Port.project_id, "network_id": Port.network_id,
    "mac_address": Port.mac_address, "admin_state_up": Port.admin_state_up,
    "status": Port.status, "device_id": Port.device_id, "device_owner": Port.device_owner,
    "binding:host_id": Port.host, "binding:vnic_type": Port.vnic_type,
    "binding:vif_type": Port.vif_type, "port_security_enabled": Port.port_security_enabled,
    "description": Port.description, "revision_number": Port.revision_number,
    "created_at": Port.created_at, "updated_at": Port.updated_at, "dns_name": Port.dns_name,
}
PortDetails = tuple[dict[str, list[dict[str, str]]], dict[str, list[str]],
                    dict[str, list[str]]]
ROUTER_PORTS = ("network:router_interface", "network:router_gateway",
                "network:router_interface_distributed", "network:ha_router_replicated_interface")
# Ports only their owner (a router, a floating IP) may delete.
OWNED_PORTS = (*ROUTER_PORTS, "network:floatingip")
# Ports the cloud makes for itself get no security groups.
NO_SECURITY = ("network:", "neutron:")
BINDABLE = ("binding:host_id", "binding:profile", "binding:vnic_type")


class Ports(ManagerBase):
    @staticmethod
    def visible_security_groups(context: RequestContext) -> Any:
        """Defined by the security-group part of the manager."""
        raise NotImplementedError

    async def default_security_group(self, session: Any, project_id: str) -> str:
        """The project's `default` group, made on first use (the security-group part of
        the manager defines it)."""
        raise NotImplementedError

    def visible_ports(self, context: RequestContext) -> Any:
        """One's own ports and every port on one's own networks (neutron's network
        owner rule)."""
        if is_admin(context):
            return None
        return or_(Port.project_id == context.project_id, Port.network_id.in_(
            select(Network.id).where(Network.project_id == context.project_id)))

    async def port_for(self, session: Any, context: RequestContext, port_id: str) -> Port:
        return await self._get(session, Port, port_id, errors.PortNotFound(port_id=port_id),
                               self.visible_ports(context))

    # ------------------------------------------------------------ create
    async def create_port(self, context: RequestContext, spec: dict[str, Any]) -> Port:
        network_id = spec["network_id"]
        project_id = self.project_for(context, spec, "port")
        locks = [quota_lock(project_id, "port"), f"ipam:{network_id}"]
        async with self.db.session(lock=locks) as session:
            network = await self.network_for(session, context, network_id)
            await self._may_use(session, context, network, spec)
            port = Port(id=new_id(), project_id=project_id, network_id=network_id,
                        name=spec.get("name") or "", description=spec.get("description") or "",
                        admin_state_up=spec.get("admin_state_up", True),
                        device_id=spec.get("device_id") or "",
                        device_owner=spec.get("device_owner") or "",
                        port_security_enabled=spec.get("port_security_enabled",
                                                       network.port_security_enabled),
                        extra_dhcp_opts=spec.get("extra_dhcp_opts") or [],
                        dns_name=spec.get("dns_name") or "")
            self._bind(port, spec)
            if project_id:  # the cloud's own ports (gateways, floating IPs) count for none
                await self.check_quota(session, project_id, "port", Port)
            port.mac_address = await self._mac(session, network_id, spec.get("mac_address"))
            port.allowed_address_pairs = self._pairs(port, spec.get("allowed_address_pairs"))
            # Every read first, the writes in one flush at the end: SQLite reads outside a
            # write transaction are cheap (see core/db.py).
            with session.no_autoflush:
                session.add(port)
                await self._allocate(session, port, spec.get("fixed_ips"))
                await self._set_groups(session, context, port, spec.get("security_groups"))
            await self._write_pending(session)
        await self.agents.port_changed(port.id, port.host, network_id)
        return port

    async def _may_use(self, session: Any, context: RequestContext, network: Network,
                       spec: dict[str, Any]) -> None:
        """Ports go on one's own networks and shared ones; only a network's owner (or an
        admin) picks addresses on it."""
        if is_admin(context) or network.project_id == context.project_id:
            return
        shared = network.shared or (await session.scalars(select(RBACPolicy.id).where(
            RBACPolicy.object_id == network.id, RBACPolicy.action == "access_as_shared",
            RBACPolicy.target_tenant.in_([context.project_id, "*"])))).first() is not None
        if not shared:
            raise errors.NetworkTenantMismatch(tenant_id=context.project_id)
        if any("ip_address" in entry for entry in spec.get("fixed_ips") or []):
            raise PolicyNotAuthorized(rule="create_port:fixed_ips:ip_address")

    def _bind(self, port: Port, spec: dict[str, Any]) -> None:
        if "binding:host_id" in spec:
            port.host = spec["binding:host_id"] or ""
        if "binding:profile" in spec:
            port.profile = spec["binding:profile"] or {}
        if "binding:vnic_type" in spec:
            port.vnic_type = spec["binding:vnic_type"]
        # Bound for real once an L2 agent on the host takes it (see the agents part).
        port.vif_type = "unbound" if not port.host else port.vif_type

    async def _mac(self, session: Any, network_id: str, asked: str | None) -> str:
        if asked:
            mac = asked.lower()
            if (await session.scalars(select(Port.id).where(Port.mac_address == mac))).first():
                raise errors.MacAddressInUse(net_id=network_id, mac=asked)
            return mac
        prefix = self.settings.base_mac.lower().split(":")[:3]
        for _ in range(16):
            mac = ":".join(prefix + [f"{b:02x}" for b in secrets.token_bytes(3)])
            if not (await session.scalars(select(Port.id).where(Port.mac_address == mac))
                    ).first():
                return mac
        raise errors.MacAddressGenerationFailure(net_id=network_id)

    @staticmethod
    def _pairs(port: Port, pairs: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        if not pairs:
            return []
        if not port.port_security_enabled:
            raise errors.AddressPairAndPortSecurityRequired()
        checked: list[dict[str, str]] = []
        for pair in pairs:
            text = pair["ip_address"]
            try:
                ip = str(ipaddress.ip_network(text, strict=False)) if "/" in text else str(
                    ipaddress.ip_address(text))
            except ValueError as exc:
                raise errors.InvalidInput(error_message=f"'{text}' is not a valid IP "
                                          "address") from exc
            entry = {"ip_address": ip, "mac_address": (pair.get("mac_address")
                                                       or port.mac_address).lower()}
            if entry in checked:
                raise errors.DuplicateAddressPairInRequest(**entry)
            checked.append(entry)
        return checked

    # ------------------------------------------------------------ addresses
    async def _allocate(self, session: Any, port: Port,
                        asked: list[dict[str, Any]] | None) -> None:
        subnets = list(await session.scalars(select(Subnet).where(
            Subnet.network_id == port.network_id).order_by(Subnet.created_at, Subnet.id)))
        if asked is None:
            await self._allocate_default(session, port, subnets)
            return
        for entry in asked:
            await self._allocate_one(session, port, subnets, entry)

    async def _allocate_default(self, session: Any, port: Port, subnets: list[Subnet]) -> None:
        """As neutron: one address from the first IPv4 subnet with room, one from the
        first stateful IPv6 subnet with room, and a SLAAC address on every auto-address
        IPv6 subnet."""
        auto = [s for s in subnets if s.ip_version == 6 and
                ipam.is_auto_address(s.ipv6_address_mode, s.ipv6_ra_mode)]
        for group in ([s for s in subnets if s.ip_version == 4],
                      [s for s in subnets if s.ip_version == 6 and s not in auto]):
            if not group:
                continue
            for subnet in group:
                address = await self._free_address(session, subnet)
                if address is not None:
                    self._record_address(session, port, subnet, address)
                    break
            else:
                raise errors.IpAddressGenerationFailure(net_id=port.network_id)
        for subnet in auto:
            if port.device_owner not in ROUTER_PORTS:
                self._record_address(session, port, subnet,
                             ipam.eui64(ipaddress.ip_network(subnet.cidr), port.mac_address))

    async def _allocate_one(self, session: Any, port: Port, subnets: list[Subnet],
                            entry: dict[str, Any]) -> None:
        by_id = {s.id: s for s in subnets}
        address = entry.get("ip_address")
        subnet_id = entry.get("subnet_id")
        if subnet_id is not None and subnet_id not in by_id:
            raise errors.InvalidInput(error_message=f"Failed to create port on network "
                                      f"{port.network_id}, because fixed_ips included "
                                      f"invalid subnet {subnet_id}")
        if address is None:
            subnet = by_id[str(subnet_id)]
            if subnet.ip_version == 6 and ipam.is_auto_address(subnet.ipv6_address_mode,
                                                               subnet.ipv6_ra_mode):
                found: str | None = ipam.eui64(ipaddress.ip_network(subnet.cidr),
                                               port.mac_address)
            else:
                found = await self._free_address(session, subnet)
            if found is None:
                raise errors.IpAddressGenerationFailure(net_id=port.network_id)
            self._record_address(session, port, subnet, found)
            return
        ip = ipam.parse_ip(address)
        candidates = [by_id[subnet_id]] if subnet_id else subnets
        chosen = next((s for s in candidates if ip in ipaddress.ip_network(s.cidr)), None)
        if chosen is None:
            if subnet_id:
                raise errors.InvalidIpForSubnet(ip_address=address)
            raise errors.InvalidIpForNetwork(ip_address=address)
        subnet = chosen
        first, last = ipam.usable(ipaddress.ip_network(subnet.cidr))
        if not first <= int(ip) <= last:
            raise errors.InvalidIpForSubnet(ip_address=address)
        if str(ip) == subnet.gateway_ip and port.device_owner not in ROUTER_PORTS:
            raise errors.IpAddressInUse(net_id=port.network_id, ip_address=str(ip))
        if await session.get(IPAllocation, (subnet.id, str(ip))) is not None:
            raise errors.IpAddressInUse(net_id=port.network_id, ip_address=str(ip))
        self._record_address(session, port, subnet, str(ip))

    async def _free_address(self, session: Any, subnet: Subnet) -> str | None:
        """The next free address after the last one this process handed out on the subnet,
        checked a window at a time (one query for 64 candidates), wrapping around once:
        O(1) queries however full the subnet, where loading every allocation was O(n)."""
        hints = self.ipam_hints
        start = hints.get(subnet.id)
        for window in ipam.windows(subnet.allocation_pools, start, 64):
            taken = set(await session.scalars(select(IPAllocation.ip_address).where(
                IPAllocation.subnet_id == subnet.id, IPAllocation.ip_address.in_(window))))
            for address in window:
                if address not in taken and address != subnet.gateway_ip:
                    hints[subnet.id] = address
                    return address
        return None

    @staticmethod
    def _later(session: Any, row: Any) -> None:
        """Rows that refer to the port: written after it (no ORM relationship orders
        them), by _write_pending."""
        session.info.setdefault("after_port", []).append(row)

    @staticmethod
    async def _write_pending(session: Any) -> None:
        await session.flush()
        session.add_all(session.info.pop("after_port", []))

    def _record_address(self, session: Any, port: Port, subnet: Subnet, address: str) -> None:
        self._later(session, IPAllocation(subnet_id=subnet.id, ip_address=address,
                                          network_id=port.network_id, port_id=port.id))

    async def fixed_ips_of(self, port_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        async with self.db.session() as session:
            return await self._fixed_ips(session, port_ids)

    @staticmethod
    async def _fixed_ips(session: Any, port_ids: list[str], scope: Any = None,
                         ) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = {i: [] for i in port_ids}
        columns = (IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        for where in _in(IPAllocation.port_id, port_ids, scope):
            for port_id, subnet_id, address in await session.execute(
                    select(*columns).where(where)):
                if port_id in found:
                    found[port_id].append({"subnet_id": subnet_id, "ip_address": address})
        return found

    async def port_details(self, port_ids: list[str]) -> PortDetails:
        """Fixed IPs, security groups and tags of many ports, in one transaction."""
        async with self.db.session() as session:
            return (await self._fixed_ips(session, port_ids),
                    await self._groups(session, port_ids),
                    await self.tags_of(session, port_ids))

    # ------------------------------------------------------------ security groups
    async def _set_groups(self, session: Any, context: RequestContext, port: Port,
                          asked: list[str] | None) -> None:
        if asked is None:
            if not port.port_security_enabled or port.device_owner.startswith(NO_SECURITY):
                return
            # The project's own default group: nothing to check.
            group_id = await self.default_security_group(session, port.project_id)
            self._later(session, PortSecurityGroup(port_id=port.id, security_group_id=group_id))
            return
        if asked and not port.port_security_enabled:
            raise errors.PortSecurityAndIPRequiredForSecurityGroups()
        visible = self.visible_security_groups(context)
        for group_id in dict.fromkeys(asked):
            stmt = select(SecurityGroup.id).where(SecurityGroup.id == group_id)
            if visible is not None:
                stmt = stmt.where(visible)
            if (await session.scalars(stmt)).first() is None:
                raise errors.SecurityGroupNotFound(id=group_id)
            self._later(session, PortSecurityGroup(port_id=port.id, security_group_id=group_id))

    async def groups_of(self, port_ids: list[str]) -> dict[str, list[str]]:
        async with self.db.session() as session:
            return await self._groups(session, port_ids)

    @staticmethod
    async def _groups(session: Any, port_ids: list[str], scope: Any = None,
                      ) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in port_ids}
        columns = (PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)
        for where in _in(PortSecurityGroup.port_id, port_ids, scope):
            for port_id, group_id in await session.execute(select(*columns).where(where)):
                if port_id in found:
                    found[port_id].append(group_id)
        return found

    # ------------------------------------------------------------ read
    async def list_ports(self, context: RequestContext, query: ListQuery,
                         ) -> tuple[list[Any], dict[str, list[str]], PortDetails]:
        """Ports as plain rows, with their addresses, groups and tags, in one transaction;
        the details of a whole unpaged list come by subquery, not by thousands of ids."""
        stmt = select(*Port.__table__.columns)
        visible = self.visible_ports(context)
        if visible is not None:
            stmt = stmt.where(visible)
        fixed = query.filters.get("fixed_ips")
        stmt, leftover = filtered(stmt, PORT_COLUMNS, query.without("fixed_ips"))
        for entry in fixed or []:
            stmt = stmt.where(Port.id.in_(_fixed_ip_filter(entry)))
        if "security_groups" in leftover:
            stmt = stmt.where(Port.id.in_(select(PortSecurityGroup.port_id).where(
                PortSecurityGroup.security_group_id.in_(leftover.pop("security_groups")))))
        stmt = tagged(stmt, Port.id, query.tags)
        async with self.db.session() as session:
            rows = await paged(session, stmt, Port, PORT_COLUMNS, query, plain=True)
            ids = [r.id for r in rows]
            scope = (stmt.with_only_columns(Port.id) if not query.limit and not query.marker
                     and len(ids) > 500 else ids)
            details = (await self._fixed_ips(session, ids, scope),
                       await self._groups(session, ids, scope),
                       await self.tags_of(session, ids, scope))
        return rows, leftover, details

    async def show_port(self, context: RequestContext, port_id: str) -> Port:
        async with self.db.session() as session:
            return await self.port_for(session, context, port_id)

    # ------------------------------------------------------------ update, delete
    async def update_port(self, context: RequestContext, port_id: str,
                          spec: dict[str, Any]) -> Port:
        if "network_id" in spec:
            raise errors.InvalidInput(error_message="Cannot update read-only attribute "
                                      "network_id")
        async with self.db.session() as session:
            port = await self.port_for(session, context, port_id)
            old_host = port.host
        async with self.db.session(lock=f"ipam:{port.network_id}") as session:
            port = await self.port_for(session, context, port_id)
            for key in ("name", "description", "device_id", "device_owner", "dns_name"):
                if key in spec:
                    setattr(port, key, spec[key] or "")
            for key in ("admin_state_up", "extra_dhcp_opts"):
                if key in spec:
                    setattr(port, key, spec[key] if spec[key] is not None else [])
            await self._update_port_security(session, port, spec)
            if "fixed_ips" in spec:
                await self._reallocate(session, port, spec["fixed_ips"] or [])
            if "security_groups" in spec:
                await session.execute(delete(PortSecurityGroup).where(
                    PortSecurityGroup.port_id == port_id))
                await self._set_groups(session, context, port, spec["security_groups"] or [])
            elif "port_security_enabled" in spec and not port.port_security_enabled and (
                    await session.scalars(select(PortSecurityGroup.port_id).where(
                        PortSecurityGroup.port_id == port_id))).first():
                raise errors.PortSecurityPortHasSecurityGroup()
            await self._write_pending(session)
            if any(key in spec for key in BINDABLE):
                self._bind(port, spec)
                if port.host != old_host:
                    port.vif_type, port.vif_details = "unbound", {}
                    port.status = "DOWN"
            self.bump(port)
        if old_host and old_host != port.host:
            await self.agents.port_deleted(port_id, old_host, port.network_id)
        await self.agents.port_changed(port_id, port.host, port.network_id)
        return port

    async def _update_port_security(self, session: Any, port: Port,
                                    spec: dict[str, Any]) -> None:
        if "mac_address" in spec and spec["mac_address"] != port.mac_address:
            if port.vif_type not in ("unbound", "binding_failed"):
                raise errors.PortBound(port_id=port.id, vif_type=port.vif_type,
                                       old_mac=port.mac_address, new_mac=spec["mac_address"])
            port.mac_address = await self._mac(session, port.network_id,
                                               spec["mac_address"])
        if "port_security_enabled" in spec:
            port.port_security_enabled = spec["port_security_enabled"]
        if "allowed_address_pairs" in spec:
            port.allowed_address_pairs = self._pairs(port, spec["allowed_address_pairs"])
        elif not port.port_security_enabled and port.allowed_address_pairs:
            raise errors.AddressPairAndPortSecurityRequired()

    async def _reallocate(self, session: Any, port: Port, asked: list[dict[str, Any]]) -> None:
        """Keep the addresses still asked for, release the others, allocate the new."""
        current = list(await session.scalars(select(IPAllocation).where(
            IPAllocation.port_id == port.id)))
        keep: set[tuple[str, str]] = set()
        fresh: list[dict[str, Any]] = []
        for entry in asked:
            match = next((a for a in current if entry.get("ip_address") == a.ip_address and
                          entry.get("subnet_id") in (None, a.subnet_id)), None)
            if match is not None:
                keep.add((match.subnet_id, match.ip_address))
            else:
                fresh.append(entry)
        for allocation in current:
            if (allocation.subnet_id, allocation.ip_address) not in keep:
                await session.delete(allocation)
        await session.flush()
        subnets = list(await session.scalars(select(Subnet).where(
            Subnet.network_id == port.network_id).order_by(Subnet.created_at, Subnet.id)))
        for entry in fresh:
            await self._allocate_one(session, port, subnets, entry)

    async def delete_port(self, context: RequestContext, port_id: str,
                          internal: bool = False) -> None:
        async with self.db.session() as session:
            port = await self.port_for(session, context, port_id)
            if port.device_owner in OWNED_PORTS and not internal:
                raise errors.L3PortInUse(port_id=port_id, device_owner=port.device_owner)
            # A floating IP outlives the port it pointed at, as in neutron.
            routers = set(await session.scalars(select(FloatingIP.router_id).where(
                FloatingIP.port_id == port_id, FloatingIP.router_id.is_not(None))))
            await session.execute(update(FloatingIP).where(FloatingIP.port_id == port_id)
                                  .values(port_id=None, fixed_ip_address=None,
                                          router_id=None, status="DOWN"))
            await session.execute(delete(IPAllocation).where(IPAllocation.port_id == port_id))
            await session.execute(delete(PortSecurityGroup).where(
                PortSecurityGroup.port_id == port_id))
            await session.execute(delete(Tag).where(Tag.resource_id == port_id))
            await session.delete(port)
        await self.agents.port_deleted(port_id, port.host, port.network_id)
        for router_id in routers:
            if router_id:
                await self.agents.router_changed(router_id)

    async def set_port_status(self, port_id: str, status: str, **binding: Any) -> None:
        """What agents report (through the plugin RPC): wired → ACTIVE, and the binding."""
        async with self.db.session() as session:
            port = await session.get(Port, port_id)
            if port is None:
                return
            port.status = status
            for key, value in binding.items():
                setattr(port, key, value)


def _in(column: Any, ids: list[str], scope: Any) -> Iterator[Any]:
    """WHERE clauses covering `ids`: one subquery when given (a whole list), else chunks
    small enough for any database's parameter limit."""
    if scope is not None and not isinstance(scope, list):
        yield column.in_(scope)
        return
    for start in range(0, len(ids), 500):
        yield column.in_(ids[start:start + 500])


def _fixed_ip_filter(entry: str) -> Any:
    """`fixed_ips=ip_address=10.0.0.5` or `fixed_ips=subnet_id=…` (also ip_address_substr)."""
    key, _, value = entry.partition("=")
    stmt = select(IPAllocation.port_id)
    if key == "ip_address":
        return stmt.where(IPAllocation.ip_address == value)
    if key == "subnet_id":
        return stmt.where(IPAllocation.subnet_id == value)
    if key == "ip_address_substr":
        return stmt.where(IPAllocation.ip_address.contains(value))
    raise errors.InvalidInput(error_message=f"Invalid fixed_ips filter '{entry}'")
