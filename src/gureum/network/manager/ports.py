"""Ports: MAC addresses, fixed IPs allocated under a per-network lock (the primary key of
ip_allocation is the backstop), bindings, security groups, address pairs, DHCP options."""

from __future__ import annotations

import functools
import ipaddress
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, delete, or_, select, type_coerce, update

from gureum.core.batch import Batches
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError
from gureum.core.errors import GureumError, PolicyNotAuthorized
from gureum.network import errors, ipam
from gureum.network.manager.base import (
    ManagerBase,
    is_admin,
    new_id,
    over_quota,
    quota_lock,
)
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
RAW_JSON = ("vif_details", "profile", "allowed_address_pairs", "extra_dhcp_opts")
# As the database driver gives them (no conversion of 10,000 rows): JSON and times as
# text on SQLite (asyncpg decodes both itself).
RAW = (*RAW_JSON, "created_at", "updated_at")
LISTED = tuple(type_coerce(c, String).label(c.name) if c.name in RAW else c
               for c in Port.__table__.columns)
VERSIONS = (Port.id, Port.revision_number,
            type_coerce(Port.updated_at, String).label("updated_at"))


# A create as queued for its network's batch: who asks, for which project, what.
PortCreate = tuple[RequestContext, str, dict[str, Any]]
# One port's fixed IPs, security groups and tags.
PortDetail = tuple[list[dict[str, str]], list[str], list[str]]
# A list's: by port id (absent: none), fixed IPs as (subnet_id, ip_address).
ListedDetails = tuple[dict[str, list[Any]], dict[str, list[Any]], dict[str, list[Any]]]


@dataclass
class StagedPorts:
    """What one transaction's port writes have taken so far: the database cannot show it
    to the creates after them in the same batch (nothing is flushed until the end), so
    they look here too."""

    ports: list[Port] = field(default_factory=list)
    rows: list[IPAllocation | PortSecurityGroup] = field(default_factory=list)
    subnets: list[Subnet] | None = None  # the network's, read once
    quota: dict[str, tuple[int, int]] = field(default_factory=dict)  # project → limit, used
    default_groups: dict[str, str] = field(default_factory=dict)  # project → its group
    spare: dict[str, list[str]] = field(default_factory=dict)  # subnet → free, unclaimed

    def address(self, port: Port, subnet: Subnet, address: str) -> None:
        self.rows.append(IPAllocation(subnet_id=subnet.id, ip_address=address,
                                      network_id=port.network_id, port_id=port.id))

    def taken(self, subnet_id: str) -> set[str]:
        return {r.ip_address for r in self.rows
                if isinstance(r, IPAllocation) and r.subnet_id == subnet_id}

    def count(self, project_id: str) -> int:
        return sum(1 for p in self.ports if p.project_id == project_id)

    def mark(self) -> tuple[int, int]:
        return len(self.ports), len(self.rows)

    def undo(self, session: Any, mark: tuple[int, int]) -> None:
        """Forget a create that failed half-way; the batch's others go on."""
        for port in self.ports[mark[0]:]:
            session.expunge(port)
        del self.ports[mark[0]:], self.rows[mark[1]:]

    def detail(self, port_id: str) -> PortDetail:
        fixed = [{"subnet_id": r.subnet_id, "ip_address": r.ip_address} for r in self.rows
                 if isinstance(r, IPAllocation) and r.port_id == port_id]
        groups = [r.security_group_id for r in self.rows
                  if isinstance(r, PortSecurityGroup) and r.port_id == port_id]
        return fixed, groups, []


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
        return (await self.create_port_detailed(context, spec))[0]

    async def create_port_detailed(self, context: RequestContext, spec: dict[str, Any],
                                   ) -> tuple[Port, PortDetail]:
        """A port with its addresses and groups. Creates on one network take its
        addresses under one lock, so they commit together (core/batch.py): under load
        one transaction, one set of reads and one agent notification serve many."""
        project_id = self.project_for(context, spec, "port")
        return await self.port_creates.submit(spec["network_id"], (context, project_id, spec))

    @functools.cached_property
    def port_creates(self) -> Batches[str, PortCreate, tuple[Port, PortDetail]]:
        return Batches(self._create_ports)

    async def _create_ports(self, network_id: str, items: list[PortCreate],
                            ) -> list[tuple[Port, PortDetail] | Exception]:
        try:
            return await self._create_port_batch(network_id, items)
        except IntegrityError:
            if len(items) == 1:
                raise
        # A constraint the checks could not see broke (another process took the same
        # MAC): each alone, so only that create fails.
        outcomes: list[tuple[Port, PortDetail] | Exception] = []
        for item in items:
            try:
                outcomes += await self._create_port_batch(network_id, [item])
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _create_port_batch(self, network_id: str, items: list[PortCreate],
                                 ) -> list[tuple[Port, PortDetail] | Exception]:
        locks = [quota_lock(project, "port") for _, project, _ in items if project]
        outcomes: list[Port | Exception] = []
        staged = StagedPorts()
        async with self.db.session(lock=[*locks, f"ipam:{network_id}"]) as session:
            network = await session.get(Network, network_id)
            # Every read first, the writes in one flush at the end: SQLite reads outside a
            # write transaction are cheap (see core/db.py).
            with session.no_autoflush:
                for context, project_id, spec in items:
                    mark = staged.mark()
                    try:
                        if network is None:
                            raise errors.NetworkNotFound(net_id=network_id)
                        outcomes.append(await self._stage_port(session, context, network,
                                                               project_id, spec, staged))
                    except GureumError as exc:
                        staged.undo(session, mark)
                        outcomes.append(exc)
            await self._write_staged(session, staged)
        if staged.ports:
            await self.agents.ports_changed(network_id, [(p.id, p.host) for p in staged.ports])
        return [(o, staged.detail(o.id)) if isinstance(o, Port) else o for o in outcomes]

    async def _stage_port(self, session: Any, context: RequestContext, network: Network,
                          project_id: str, spec: dict[str, Any], staged: StagedPorts) -> Port:
        if not is_admin(context) and network.project_id != context.project_id:
            await self.network_for(session, context, network.id)  # visible at all?
        await self._may_use(session, context, network, spec)
        port = Port(id=new_id(), project_id=project_id, network_id=network.id,
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
            if project_id not in staged.quota:
                staged.quota[project_id] = await self.quota_usage(session, project_id,
                                                                  "port", Port)
            limit, used = staged.quota[project_id]
            over_quota(limit, used + staged.count(project_id) + 1, "port")
        port.mac_address = await self._mac(session, network.id, spec.get("mac_address"),
                                           staged)
        port.allowed_address_pairs = self._pairs(port, spec.get("allowed_address_pairs"))
        session.add(port)
        staged.ports.append(port)
        await self._allocate(session, port, spec.get("fixed_ips"), staged)
        await self._set_groups(session, context, port, spec.get("security_groups"), staged)
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

    async def _mac(self, session: Any, network_id: str, asked: str | None,
                   staged: StagedPorts) -> str:
        async def taken(mac: str) -> bool:
            return any(p.mac_address == mac for p in staged.ports) or (await session.scalars(
                select(Port.id).where(Port.mac_address == mac))).first() is not None

        if asked:
            if await taken(asked.lower()):
                raise errors.MacAddressInUse(net_id=network_id, mac=asked)
            return asked.lower()
        prefix = self.settings.base_mac.lower().split(":")[:3]
        for _ in range(16):
            mac = ":".join(prefix + [f"{b:02x}" for b in secrets.token_bytes(3)])
            if not await taken(mac):
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
    async def _allocate(self, session: Any, port: Port, asked: list[dict[str, Any]] | None,
                        staged: StagedPorts) -> None:
        if staged.subnets is None:
            staged.subnets = await self._subnets_of_network(session, port.network_id)
        if asked is None:
            await self._allocate_default(session, port, staged)
            return
        for entry in asked:
            await self._allocate_one(session, port, entry, staged)

    @staticmethod
    async def _subnets_of_network(session: Any, network_id: str) -> list[Subnet]:
        return list(await session.scalars(select(Subnet).where(
            Subnet.network_id == network_id).order_by(Subnet.created_at, Subnet.id)))

    async def _allocate_default(self, session: Any, port: Port, staged: StagedPorts) -> None:
        """As neutron: one address from the first IPv4 subnet with room, one from the
        first stateful IPv6 subnet with room, and a SLAAC address on every auto-address
        IPv6 subnet."""
        subnets = staged.subnets or []
        auto = [s for s in subnets if s.ip_version == 6 and
                ipam.is_auto_address(s.ipv6_address_mode, s.ipv6_ra_mode)]
        for group in ([s for s in subnets if s.ip_version == 4],
                      [s for s in subnets if s.ip_version == 6 and s not in auto]):
            if not group:
                continue
            for subnet in group:
                address = await self._free_address(session, subnet, staged)
                if address is not None:
                    staged.address(port, subnet, address)
                    break
            else:
                raise errors.IpAddressGenerationFailure(net_id=port.network_id)
        for subnet in auto:
            if port.device_owner not in ROUTER_PORTS:
                staged.address(port, subnet,
                               ipam.eui64(ipaddress.ip_network(subnet.cidr), port.mac_address))

    async def _allocate_one(self, session: Any, port: Port, entry: dict[str, Any],
                            staged: StagedPorts) -> None:
        subnets = staged.subnets or []
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
                found = await self._free_address(session, subnet, staged)
            if found is None:
                raise errors.IpAddressGenerationFailure(net_id=port.network_id)
            staged.address(port, subnet, found)
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
        if str(ip) in staged.taken(subnet.id) or \
                await session.get(IPAllocation, (subnet.id, str(ip))) is not None:
            raise errors.IpAddressInUse(net_id=port.network_id, ip_address=str(ip))
        staged.address(port, subnet, str(ip))

    async def _free_address(self, session: Any, subnet: Subnet, staged: StagedPorts,
                            ) -> str | None:
        """The next free address after the last one this process handed out on the subnet,
        checked a window at a time (one query for 64 candidates), wrapping around once:
        O(1) queries however full the subnet, where loading every allocation was O(n).
        What a window had free serves the batch's next creates without another query."""
        hints = self.ipam_hints
        taken = staged.taken(subnet.id)
        spare = staged.spare.get(subnet.id, [])
        while spare:
            address = spare.pop(0)
            if address not in taken:
                hints[subnet.id] = address
                return address
        for window in ipam.windows(subnet.allocation_pools, hints.get(subnet.id), 64):
            taken |= set(await session.scalars(
                select(IPAllocation.ip_address).where(IPAllocation.subnet_id == subnet.id,
                                                      IPAllocation.ip_address.in_(window))))
            free = [a for a in window if a not in taken and a != subnet.gateway_ip]
            if free:
                staged.spare[subnet.id] = free[1:]
                hints[subnet.id] = free[0]
                return free[0]
        return None

    @staticmethod
    async def _write_staged(session: Any, staged: StagedPorts) -> None:
        """The ports first, then the rows that refer to them (without ORM relationships the
        unit of work does not order inserts by foreign key)."""
        await session.flush()
        session.add_all(staged.rows)

    async def fixed_ips_of(self, port_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        async with self.db.session() as session:
            return await self._fixed_ips(session, port_ids)

    @staticmethod
    async def _fixed_ips(session: Any, port_ids: list[str],
                         ) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = {i: [] for i in port_ids}
        columns = (IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        for where in _in(IPAllocation.port_id, port_ids, None):
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
                          asked: list[str] | None, staged: StagedPorts) -> None:
        if asked is None:
            if not port.port_security_enabled or port.device_owner.startswith(NO_SECURITY):
                return
            # The project's own default group: nothing to check.
            if port.project_id not in staged.default_groups:
                staged.default_groups[port.project_id] = await self.default_security_group(
                    session, port.project_id)
            staged.rows.append(PortSecurityGroup(
                port_id=port.id, security_group_id=staged.default_groups[port.project_id]))
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
            staged.rows.append(PortSecurityGroup(port_id=port.id, security_group_id=group_id))

    async def groups_of(self, port_ids: list[str]) -> dict[str, list[str]]:
        async with self.db.session() as session:
            return await self._groups(session, port_ids)

    @staticmethod
    async def _groups(session: Any, port_ids: list[str],
                      ) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in port_ids}
        columns = (PortSecurityGroup.port_id, PortSecurityGroup.security_group_id)
        for where in _in(PortSecurityGroup.port_id, port_ids, None):
            for port_id, group_id in await session.execute(select(*columns).where(where)):
                if port_id in found:
                    found[port_id].append(group_id)
        return found

    # ------------------------------------------------------------ read
    async def list_ports(self, context: RequestContext, query: ListQuery,
                         versions_only: bool = False,
                         ) -> tuple[list[Any], dict[str, list[str]], ListedDetails]:
        """Ports as plain rows, with their addresses, groups and tags, in one transaction;
        the details of a whole unpaged list come by subquery, not by thousands of ids.
        JSON columns and times come as the driver gives them (RAW: text on SQLite),
        converted only by what renders them.
        `versions_only`: rows of (id, revision_number, updated_at), for a caller that
        kept what it rendered before (api/ports.py) and reads whole rows (port_rows)
        only of what changed."""
        stmt = select(*(VERSIONS if versions_only else LISTED))
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
            scope: Any = (stmt.with_only_columns(Port.id) if not query.limit and
                          not query.marker and len(ids) > 500 else ids)
            if scope is not ids and visible is None and not query.filters and not query.tags:
                scope = True  # every port: the detail tables whole, no IN (…) to check
            details = await self._listed_details(await session.connection(), ids, scope)
        return rows, leftover, details

    @staticmethod
    async def _listed_details(connection: Any, ids: list[str], scope: Any) -> ListedDetails:
        """Plain tuples through the connection: 10,000 ports' worth of ORM result rows
        and dicts cost more than the queries."""
        fixed: dict[str, list[Any]] = {}
        groups: dict[str, list[Any]] = {}
        tags: dict[str, list[Any]] = {}

        async def rows(*columns: Any) -> Any:
            if scope is True:
                return await connection.execute(select(*columns))
            return [row for where in _in(columns[0], ids, scope)
                    for row in await connection.execute(select(*columns).where(where))]

        for port_id, subnet_id, address in await rows(
                IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address):
            fixed.setdefault(port_id, []).append((subnet_id, address))
        for port_id, group_id in await rows(PortSecurityGroup.port_id,
                                            PortSecurityGroup.security_group_id):
            groups.setdefault(port_id, []).append(group_id)
        for resource_id, tag in await rows(Tag.resource_id, Tag.tag):
            tags.setdefault(resource_id, []).append(tag)
        return fixed, groups, tags

    async def port_rows(self, port_ids: list[str]) -> dict[str, Any]:
        """Whole rows as list_ports reads them, by id (those that still exist)."""
        found: dict[str, Any] = {}
        async with self.db.session() as session:
            connection = await session.connection()
            for where in _in(Port.id, port_ids, None):
                for row in await connection.execute(select(*LISTED).where(where)):
                    found[row.id] = row
        return found

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
            staged = StagedPorts()
            for key in ("name", "description", "device_id", "device_owner", "dns_name"):
                if key in spec:
                    setattr(port, key, spec[key] or "")
            for key in ("admin_state_up", "extra_dhcp_opts"):
                if key in spec:
                    setattr(port, key, spec[key] if spec[key] is not None else [])
            await self._update_port_security(session, port, spec, staged)
            if "fixed_ips" in spec:
                await self._reallocate(session, port, spec["fixed_ips"] or [], staged)
            if "security_groups" in spec:
                await session.execute(delete(PortSecurityGroup).where(
                    PortSecurityGroup.port_id == port_id))
                await self._set_groups(session, context, port, spec["security_groups"] or [],
                                       staged)
            elif "port_security_enabled" in spec and not port.port_security_enabled and (
                    await session.scalars(select(PortSecurityGroup.port_id).where(
                        PortSecurityGroup.port_id == port_id))).first():
                raise errors.PortSecurityPortHasSecurityGroup()
            await self._write_staged(session, staged)
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

    async def _update_port_security(self, session: Any, port: Port, spec: dict[str, Any],
                                    staged: StagedPorts) -> None:
        if "mac_address" in spec and spec["mac_address"] != port.mac_address:
            if port.vif_type not in ("unbound", "binding_failed"):
                raise errors.PortBound(port_id=port.id, vif_type=port.vif_type,
                                       old_mac=port.mac_address, new_mac=spec["mac_address"])
            port.mac_address = await self._mac(session, port.network_id,
                                               spec["mac_address"], staged)
        if "port_security_enabled" in spec:
            port.port_security_enabled = spec["port_security_enabled"]
        if "allowed_address_pairs" in spec:
            port.allowed_address_pairs = self._pairs(port, spec["allowed_address_pairs"])
        elif not port.port_security_enabled and port.allowed_address_pairs:
            raise errors.AddressPairAndPortSecurityRequired()

    async def _reallocate(self, session: Any, port: Port, asked: list[dict[str, Any]],
                          staged: StagedPorts) -> None:
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
        staged.subnets = await self._subnets_of_network(session, port.network_id)
        for entry in fresh:
            await self._allocate_one(session, port, entry, staged)

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
