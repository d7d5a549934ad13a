"""Floating IPs: an address on an external network (held by a port of the cloud's own,
device_owner network:floatingip, in no project, as neutron's) that a project maps to one
fixed IPv4 address of one of its ports. The mapping goes through the router whose gateway
is on the floating network and which has an interface on the fixed address's subnet; the
association is made under that router's lock, so the interface cannot go meanwhile."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, select

from gureum.core.context import RequestContext
from gureum.network import errors
from gureum.network.manager.base import is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.manager.router_interfaces import GATEWAY, INTERFACES, router_lock
from gureum.network.manager.routers import Routers
from gureum.network.models import FloatingIP, IPAllocation, Port, Router, Subnet, Tag

FLOATINGIP = "network:floatingip"
FIP_COLUMNS = {
    "id": FloatingIP.id, "project_id": FloatingIP.project_id,
    "tenant_id": FloatingIP.project_id, "floating_ip_address": FloatingIP.floating_ip_address,
    "floating_network_id": FloatingIP.floating_network_id, "router_id": FloatingIP.router_id,
    "port_id": FloatingIP.port_id, "fixed_ip_address": FloatingIP.fixed_ip_address,
    "status": FloatingIP.status, "description": FloatingIP.description,
    "revision_number": FloatingIP.revision_number, "created_at": FloatingIP.created_at,
    "updated_at": FloatingIP.updated_at,
}
PORT_DETAILS = ("name", "network_id", "mac_address", "admin_state_up", "status", "device_id",
                "device_owner")


def _bad(msg: str) -> errors.NeutronBadRequest:
    return errors.NeutronBadRequest(resource="floatingip", msg=msg)


def _fip_lock(fip_id: str) -> str:
    return f"floatingip:{fip_id}"


class FloatingIPs(Routers):
    # ------------------------------------------------------------ reading
    async def floatingip_for(self, session: Any, context: RequestContext, fip_id: str,
                             ) -> FloatingIP:
        return await self._get(session, FloatingIP, fip_id,
                               errors.FloatingIPNotFound(floatingip_id=fip_id),
                               self.owned(context, FloatingIP))

    async def list_floatingips(self, context: RequestContext, query: ListQuery,
                               ) -> tuple[list[FloatingIP], dict[str, list[str]]]:
        stmt = select(FloatingIP)
        visible = self.owned(context, FloatingIP)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, FIP_COLUMNS, query)
        stmt = tagged(stmt, FloatingIP.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, FloatingIP, FIP_COLUMNS, query), leftover

    async def show_floatingip(self, context: RequestContext, fip_id: str) -> FloatingIP:
        async with self.db.session() as session:
            return await self.floatingip_for(session, context, fip_id)

    async def floatingip_port_details(self, fips: list[FloatingIP],
                                      ) -> dict[str, dict[str, Any] | None]:
        """fip-port-details: a few attributes of each associated port."""
        ids = [f.port_id for f in fips if f.port_id]
        async with self.db.session() as session:
            ports = {p.id: p for p in await session.scalars(
                select(Port).where(Port.id.in_(ids)))} if ids else {}
        found: dict[str, dict[str, Any] | None] = {}
        for fip in fips:
            port = ports.get(fip.port_id or "")
            found[fip.id] = None if port is None else {
                key: getattr(port, key) for key in PORT_DETAILS}
        return found

    # ------------------------------------------------------------ create
    async def create_floatingip(self, context: RequestContext, spec: dict[str, Any],
                                ) -> FloatingIP:
        project_id = self.project_for(context, spec, "floatingip")
        network_id = spec["floating_network_id"]
        self._fip_check_spec(spec)
        async with self.db.session(lock=quota_lock(project_id, "floatingip")) as session:
            network = await self.network_for(session, context, network_id)
            if not network.external:
                raise _bad(f"Network {network_id} is not a valid external network")
            if (await session.scalars(select(Subnet.id).where(
                    Subnet.network_id == network_id, Subnet.ip_version == 4).limit(1))
                    ).first() is None:
                raise _bad(f"Network {network_id} does not contain any IPv4 subnet")
            await self.check_quota(session, project_id, "floatingip", FloatingIP)
        fip = FloatingIP(id=new_id(), project_id=project_id, floating_network_id=network_id,
                         description=spec.get("description") or "", status="DOWN")
        port = await self._fip_port(fip, spec)
        try:
            await self._fip_store(context, fip, spec)
        except BaseException:
            await self._router_unplug(port.id)
            raise
        await self.set_port_status(port.id, "N/A")
        if fip.router_id:
            await self.agents.router_changed(fip.router_id)
        return fip

    @staticmethod
    def _fip_check_spec(spec: dict[str, Any]) -> None:
        if spec.get("fixed_ip_address") and not spec.get("port_id"):
            raise _bad("fixed_ip_address cannot be specified without a port_id")

    async def _fip_port(self, fip: FloatingIP, spec: dict[str, Any]) -> Port:
        """The port holding the address; no project, as in neutron (the cloud's own)."""
        fixed: dict[str, str] = {}
        if spec.get("subnet_id"):
            fixed["subnet_id"] = spec["subnet_id"]
        if spec.get("floating_ip_address"):
            fixed["ip_address"] = spec["floating_ip_address"]
        port = await self.create_port(RequestContext.admin(), {
            "network_id": fip.floating_network_id, "device_id": fip.id,
            "device_owner": FLOATINGIP, "admin_state_up": True, "name": "",
            "fixed_ips": [fixed] if fixed else None})
        addresses = [f["ip_address"] for f in (await self.fixed_ips_of([port.id]))[port.id]
                     if ipaddress.ip_address(f["ip_address"]).version == 4]
        if not addresses:
            await self._router_unplug(port.id)
            raise errors.ExternalIpAddressExhausted(net_id=fip.floating_network_id)
        fip.floating_port_id, fip.floating_ip_address = port.id, addresses[0]
        return port

    async def _fip_store(self, context: RequestContext, fip: FloatingIP,
                         spec: dict[str, Any]) -> None:
        locks = [quota_lock(fip.project_id, "floatingip"), _fip_lock(fip.id)]
        locks += await self._fip_target_locks(context, fip, spec.get("port_id"),
                                              spec.get("fixed_ip_address"))
        async with self.db.session(lock=locks) as session:
            await self.check_quota(session, fip.project_id, "floatingip", FloatingIP)
            session.add(fip)
            if spec.get("port_id"):
                await self._fip_associate(session, context, fip, spec["port_id"],
                                          spec.get("fixed_ip_address"))

    # ------------------------------------------------------------ association
    async def _fip_target_locks(self, context: RequestContext, fip: FloatingIP,
                                port_id: str | None, fixed_ip: str | None) -> list[str]:
        """The locks an association takes: the router it goes through (found first,
        checked again under the lock) and the fixed port's."""
        if not port_id:
            return []
        async with self.db.session() as session:
            _, _, router_id = await self._fip_target(session, context, fip, port_id, fixed_ip)
        return [router_lock(router_id), f"floatingip-port:{port_id}"]

    async def _fip_associate(self, session: Any, context: RequestContext, fip: FloatingIP,
                             port_id: str, fixed_ip: str | None) -> None:
        port_id, address, router_id = await self._fip_target(session, context, fip, port_id,
                                                             fixed_ip)
        taken = (await session.scalars(select(FloatingIP.id).where(
            FloatingIP.port_id == port_id, FloatingIP.fixed_ip_address == address,
            FloatingIP.id != fip.id).limit(1))).first()
        if taken is not None:
            raise errors.FloatingIPPortAlreadyAssociated(
                port_id=port_id, fip_id=fip.id, floating_ip_address=fip.floating_ip_address,
                fixed_ip=address, net_id=fip.floating_network_id)
        fip.port_id, fip.fixed_ip_address, fip.router_id = port_id, address, router_id
        # The L3 agent reports the real state once it has wired it (agents part).
        fip.status = "ACTIVE"

    async def _fip_target(self, session: Any, context: RequestContext, fip: FloatingIP,
                          port_id: str, fixed_ip: str | None) -> tuple[str, str, str]:
        """(port, fixed address, router) of an association, as neutron's
        _internal_fip_assoc_data and get_router_for_floatingip decide them."""
        port = await self.port_for(session, context, port_id)
        if port.project_id != fip.project_id and not is_admin(context):
            raise _bad(f"Cannot process floating IP association with Port {port_id}, since "
                       "that port is owned by a different tenant")
        if port.device_owner == "network:dhcp":
            raise _bad(f"Port {port_id} is unable to be assigned a floating IP")
        fixed = (await self._fixed_ips(session, [port_id]))[port_id]
        subnet_id, address = self._fip_fixed_ip(port_id, fixed, fixed_ip)
        router_id = await self._fip_router(session, port, subnet_id, fip.floating_network_id)
        return port_id, address, router_id

    @staticmethod
    def _fip_fixed_ip(port_id: str, fixed: list[dict[str, str]], asked: str | None,
                      ) -> tuple[str, str]:
        if asked:
            try:
                ip = ipaddress.ip_address(asked)
            except ValueError as exc:
                raise errors.InvalidInput(error_message=f"'{asked}' is not a valid IP "
                                          "address") from exc
            if ip.version != 4:
                raise _bad(f"Cannot process floating IP association with {asked}, since that "
                           "is not an IPv4 address")
            match = next((f for f in fixed if f["ip_address"] == str(ip)), None)
            if match is None:
                raise _bad(f"Port {port_id} does not have fixed ip {asked}")
            return match["subnet_id"], match["ip_address"]
        v4 = [f for f in fixed if ipaddress.ip_address(f["ip_address"]).version == 4]
        if not v4:
            raise _bad(f"Cannot add floating IP to port {port_id} that has no fixed IPv4 "
                       "addresses")
        if len(v4) > 1:
            raise _bad(f"Port {port_id} has multiple fixed IPv4 addresses.  Must provide a "
                       "specific IPv4 address when assigning a floating IP")
        return v4[0]["subnet_id"], v4[0]["ip_address"]

    @staticmethod
    async def _fip_router(session: Any, port: Port, subnet_id: str, network_id: str) -> str:
        """A router with an interface on the subnet and its gateway on the floating
        network; the one holding the subnet's gateway address first."""
        gateways = select(Router.id).join(Port, Port.id == Router.gw_port_id).where(
            Port.network_id == network_id, Port.device_owner == GATEWAY)
        rows = list((await session.execute(
            select(Port.device_id, IPAllocation.ip_address)
            .join(IPAllocation, IPAllocation.port_id == Port.id)
            .where(Port.network_id == port.network_id, Port.device_owner.in_(INTERFACES),
                   IPAllocation.subnet_id == subnet_id, Port.device_id.in_(gateways))
            .order_by(Port.created_at, Port.id))).tuples())
        gateway_ip = await session.scalar(select(Subnet.gateway_ip).where(
            Subnet.id == subnet_id))
        for router_id, address in rows:
            if address == gateway_ip:
                return str(router_id)
        if rows:
            return str(rows[0][0])
        raise errors.ExternalGatewayForFloatingIPNotFound(
            subnet_id=subnet_id, external_network_id=network_id, port_id=port.id)

    # ------------------------------------------------------------ update, delete
    async def update_floatingip(self, context: RequestContext, fip_id: str,
                                spec: dict[str, Any]) -> FloatingIP:
        self._fip_check_spec(spec)
        port_id = spec.get("port_id")
        async with self.db.session() as session:
            fip = await self.floatingip_for(session, context, fip_id)
        locks = [_fip_lock(fip_id), *await self._fip_target_locks(
            context, fip, port_id, spec.get("fixed_ip_address"))]
        async with self.db.session(lock=locks) as session:
            fip = await self.floatingip_for(session, context, fip_id)
            before = fip.router_id
            if port_id:
                await self._fip_associate(session, context, fip, port_id,
                                          spec.get("fixed_ip_address"))
            elif "port_id" in spec:
                fip.port_id, fip.fixed_ip_address, fip.router_id = None, None, None
                fip.status = "DOWN"
            if "description" in spec:
                fip.description = spec["description"] or ""
            self.bump(fip)
        for router_id in sorted({r for r in (before, fip.router_id) if r}):
            await self.agents.router_changed(router_id)
        return fip

    async def delete_floatingip(self, context: RequestContext, fip_id: str) -> None:
        async with self.db.session(lock=_fip_lock(fip_id)) as session:
            fip = await self.floatingip_for(session, context, fip_id)
            await session.execute(delete(Tag).where(Tag.resource_id == fip_id))
            await session.delete(fip)
        await self._router_unplug(fip.floating_port_id)
        if fip.router_id:
            await self.agents.router_changed(fip.router_id)
