"""Router interfaces: how subnets (and ports) join and leave a router, as neutron's L3
does it. An interface is a port holding the subnet's gateway address (or a port the
project brings along); a subnet joins a router once and overlaps nothing already on it.

The ports are made and removed by the port part of the manager (IPAM, quotas, the agents'
hints) as the cloud itself, each in its own transaction; the router's own rows change under
the router's lock (`router:<id>`), which floating IP associations take as well, so that an
interface cannot go while an association that needs it is being made."""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

from sqlalchemy import select

from gureum.core.context import RequestContext
from gureum.network import errors, ipam
from gureum.network.manager.base import is_admin
from gureum.network.manager.networks import Networks
from gureum.network.manager.ports import ROUTER_PORTS, Ports
from gureum.network.manager.subnets import Subnets
from gureum.network.models import FloatingIP, IPAllocation, Port, RBACPolicy, Router, Subnet

INTERFACE = "network:router_interface"
GATEWAY = "network:router_gateway"
INTERFACES = (INTERFACE, "network:router_interface_distributed",
              "network:ha_router_replicated_interface")


def router_lock(router_id: str) -> str:
    return f"router:{router_id}"


def router_error(msg: str) -> errors.NeutronBadRequest:
    return errors.NeutronBadRequest(resource="router", msg=msg)


def within(address: str, cidr: str) -> bool:
    ip, net = ipaddress.ip_address(address), ipaddress.ip_network(cidr)
    return ip.version == net.version and ip in net


def overlap(first: str, second: str) -> bool:
    a, b = ipaddress.ip_network(first), ipaddress.ip_network(second)
    return a.version == b.version and a.overlaps(b)


def _interface_info(router_id: str, port: Port, subnet_ids: list[str],
                    removed: bool = False) -> dict[str, Any]:
    """neutron's answer to add_router_interface (`subnet_id` the last subnet) and
    remove_router_interface (the first)."""
    subnet_id = (subnet_ids[0] if removed else subnet_ids[-1]) if subnet_ids else None
    return {"id": router_id, "tenant_id": port.project_id, "project_id": port.project_id,
            "port_id": port.id, "network_id": port.network_id, "subnet_id": subnet_id,
            "subnet_ids": subnet_ids}


class RouterInterfaces(Ports, Subnets, Networks):
    async def router_for(self, session: Any, context: RequestContext, router_id: str,
                         ) -> Router:
        return await self._get(session, Router, router_id,
                               errors.RouterNotFound(router_id=router_id),
                               self.owned(context, Router))

    async def _router_unplug(self, port_id: str) -> None:
        with contextlib.suppress(errors.PortNotFound):
            await self.delete_port(RequestContext.admin(), port_id, internal=True)

    # ------------------------------------------------------------ what a router is on
    async def _router_legs(self, session: Any, router_id: str, exclude: set[str | None],
                           ) -> list[Port]:
        return [p for p in await session.scalars(select(Port).where(
            Port.device_id == router_id, Port.device_owner.in_(ROUTER_PORTS))
            .order_by(Port.created_at, Port.id)) if p.id not in exclude]

    async def _router_check_overlap(self, session: Any, router: Router,
                                    new: list[Subnet], exclude: set[str | None] | None = None,
                                    ) -> None:
        """A subnet joins a router once, and its CIDR overlaps none already on it (an
        external network counts with all its subnets)."""
        legs = await self._router_legs(session, router.id, exclude or set())
        fixed = await self._fixed_ips(session, [p.id for p in legs])
        new_ids = {s.id for s in new}
        present: set[str] = set()
        for leg in legs:
            for entry in fixed[leg.id]:
                if entry["subnet_id"] in new_ids:
                    raise router_error(f"Router already has a port on subnet {entry['subnet_id']}")
                present.add(entry["subnet_id"])
            if leg.device_owner == GATEWAY:
                present.update(await session.scalars(select(Subnet.id).where(
                    Subnet.network_id == leg.network_id)))
        for existing in await session.scalars(select(Subnet).where(Subnet.id.in_(present))):
            for subnet in new:
                if overlap(existing.cidr, subnet.cidr):
                    raise router_error(f"Cidr {subnet.cidr} of subnet {subnet.id} overlaps "
                                       f"with cidr {existing.cidr} of subnet {existing.id}")

    # ------------------------------------------------------------ interfaces
    async def add_router_interface(self, context: RequestContext, router_id: str,
                                   spec: dict[str, Any]) -> dict[str, Any]:
        by_port, by_subnet = "port_id" in spec, "subnet_id" in spec
        if not (by_port or by_subnet):
            raise router_error("Either subnet_id or port_id must be specified")
        if by_port and by_subnet:
            raise router_error("Cannot specify both subnet-id and port-id")
        if by_port:
            info = await self._router_attach_port(context, router_id, spec["port_id"])
        else:
            info = await self._router_attach_subnet(context, router_id, spec["subnet_id"])
        await self.agents.router_changed(router_id)
        return info

    async def _router_attach_subnet(self, context: RequestContext, router_id: str,
                                    subnet_id: str) -> dict[str, Any]:
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            subnet = await self.subnet_for(session, context, subnet_id)
            await self._router_may_attach(session, context, subnet)
            await self._router_check_overlap(session, router, [subnet])
            extend = await self._router_v6_leg(session, router.id, subnet.network_id) \
                if subnet.ip_version == 6 else None
        admin = RequestContext.admin()
        fixed_ip = {"subnet_id": subnet.id, "ip_address": subnet.gateway_ip}
        if extend is not None:  # neutron puts a network's IPv6 prefixes on one port
            current = (await self.fixed_ips_of([extend]))[extend]
            port = await self.update_port(admin, extend, {"fixed_ips": [*current, fixed_ip]})
            return _interface_info(router_id, port, [subnet.id])
        port = await self.create_port(admin, {
            "network_id": subnet.network_id, "project_id": router.project_id,
            "device_id": router_id, "device_owner": INTERFACE, "admin_state_up": True,
            "name": "", "fixed_ips": [fixed_ip]})
        try:  # a racing attach may have brought an overlapping subnet meanwhile
            async with self.db.session(lock=router_lock(router_id)) as session:
                router = await self.router_for(session, admin, router_id)
                await self._router_check_overlap(session, router, [subnet], exclude={port.id})
        except BaseException:
            await self._router_unplug(port.id)
            raise
        return _interface_info(router_id, port, [subnet.id])

    async def _router_may_attach(self, session: Any, context: RequestContext,
                                 subnet: Subnet) -> None:
        if not subnet.gateway_ip:
            raise router_error("Subnet for router interface must have a gateway IP")
        if not is_admin(context) and subnet.project_id != context.project_id:
            # Shared with the project by RBAC: yes; shared with everyone: no (neutron's
            # LP-1757482 and LP-1975603).
            granted = (await session.scalars(select(RBACPolicy.id).where(
                RBACPolicy.object_id == subnet.network_id,
                RBACPolicy.action == "access_as_shared",
                RBACPolicy.target_tenant == context.project_id).limit(1))).first()
            if granted is None:
                raise router_error(f"Cannot add interface to router because subnet "
                                   f"{subnet.id} is not owned by project making the request")
        self._router_address_mode(subnet)

    @staticmethod
    def _router_address_mode(subnet: Subnet) -> None:
        if subnet.ip_version == 6 and subnet.ipv6_ra_mode is None and \
                subnet.ipv6_address_mode is not None:
            raise router_error(f"IPv6 subnet {subnet.id} configured to receive RAs from an "
                               "external router cannot be added to Neutron Router.")

    async def _router_v6_leg(self, session: Any, router_id: str, network_id: str,
                             exclude: str | None = None) -> str | None:
        """The router's interface on the network that has IPv6 addresses, if any."""
        legs = list(await session.scalars(select(Port.id).where(
            Port.device_id == router_id, Port.device_owner == INTERFACE,
            Port.network_id == network_id, Port.id != (exclude or ""))))
        fixed = await self._fixed_ips(session, legs)
        return next((leg for leg in legs if any(
            ipaddress.ip_address(f["ip_address"]).version == 6 for f in fixed[leg])), None)

    async def _router_attach_port(self, context: RequestContext, router_id: str,
                                  port_id: str) -> dict[str, Any]:
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            port = await self.port_for(session, context, port_id)
            if port.device_id:
                raise errors.PortInUse(port_id=port.id, net_id=port.network_id,
                                       device_id=port.device_id)
            fixed = (await self._fixed_ips(session, [port.id]))[port.id]
            if not fixed:
                raise router_error("Router port must have at least one fixed IP")
            subnets = list(await session.scalars(select(Subnet).where(
                Subnet.id.in_({f["subnet_id"] for f in fixed}))))
            for subnet in subnets:
                self._router_address_mode(subnet)
            if any(ipaddress.ip_address(f["ip_address"]).version == 6 for f in fixed):
                other = await self._router_v6_leg(session, router.id, port.network_id, port.id)
                if other is not None:
                    raise router_error(
                        f"Router already contains IPv6 port {other} belonging to network id "
                        f"{port.network_id}. Only one IPv6 port from the same network subnet "
                        "can be connected to a router.")
            await self._router_check_overlap(session, router, subnets)
            if len([s for s in subnets if s.ip_version == 4]) > 1:
                raise router_error("Cannot have multiple IPv4 subnets on router port")
            self._router_port_in_range(context, port, fixed, subnets)
            port.device_id, port.device_owner = router.id, INTERFACE
            self.bump(port)
        await self.agents.port_changed(port.id, port.host, port.network_id)
        return _interface_info(router_id, port, [s.id for s in subnets])

    @staticmethod
    def _router_port_in_range(context: RequestContext, port: Port,
                              fixed: list[dict[str, str]], subnets: list[Subnet]) -> None:
        """A project may not slip an address outside another project's pools (such as
        that subnet's gateway) into a router."""
        if is_admin(context):
            return
        by_id = {s.id: s for s in subnets}
        for entry in fixed:
            subnet = by_id[entry["subnet_id"]]
            if not ipam.in_pools(entry["ip_address"], subnet.allocation_pools) and \
                    subnet.project_id != context.project_id:
                raise router_error(
                    f"Cannot add interface to router because specified port {port.id} has an "
                    f"IP address out of the allocation pool of subnet {subnet.id}, which is "
                    "not owned by the project making the request")

    async def remove_router_interface(self, context: RequestContext, router_id: str,
                                      spec: dict[str, Any]) -> dict[str, Any]:
        by_port = "port_id" in spec
        if not by_port and "subnet_id" not in spec:
            raise router_error("Either subnet_id or port_id must be specified")
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            if by_port:
                port, subnets, keep = await self._router_leg_by_port(
                    session, router, spec["port_id"], spec.get("subnet_id"))
            else:
                port, subnets, keep = await self._router_leg_by_subnet(
                    session, context, router, spec["subnet_id"])
            if keep is None:  # off the router now, whatever happens to the port next
                port.device_id, port.device_owner = "", ""
        if keep is None:
            await self._router_unplug(port.id)
        else:
            await self.update_port(RequestContext.admin(), port.id, {"fixed_ips": keep})
        await self.agents.router_changed(router_id)
        return _interface_info(router_id, port, [s.id for s in subnets], removed=True)

    async def _router_leg_by_port(self, session: Any, router: Router, port_id: str,
                                  subnet_id: str | None,
                                  ) -> tuple[Port, list[Subnet], list[dict[str, str]] | None]:
        port = (await session.scalars(select(Port).where(
            Port.id == port_id, Port.device_id == router.id,
            Port.device_owner.in_(INTERFACES)))).first()
        if port is None:
            raise errors.RouterInterfaceNotFound(router_id=router.id, port_id=port_id)
        ids = [f["subnet_id"] for f in (await self._fixed_ips(session, [port_id]))[port_id]]
        if subnet_id and subnet_id not in ids:
            raise errors.SubnetMismatchForPort(port_id=port_id, subnet_id=subnet_id)
        subnets = list(await session.scalars(select(Subnet).where(Subnet.id.in_(ids))))
        for subnet in subnets:
            await self._router_leg_unused(session, router, subnet)
        return port, subnets, None

    async def _router_leg_by_subnet(self, session: Any, context: RequestContext,
                                    router: Router, subnet_id: str,
                                    ) -> tuple[Port, list[Subnet], list[dict[str, str]] | None]:
        subnet = await self.subnet_for(session, context, subnet_id)
        legs = list(await session.scalars(select(Port).where(
            Port.device_id == router.id, Port.device_owner.in_(INTERFACES),
            Port.network_id == subnet.network_id)))
        fixed = await self._fixed_ips(session, [p.id for p in legs])
        for leg in legs:
            ids = [f["subnet_id"] for f in fixed[leg.id]]
            if subnet_id in ids:
                await self._router_leg_unused(session, router, subnet)
                keep = [f for f in fixed[leg.id] if f["subnet_id"] != subnet_id]
                return leg, [subnet], keep or None
        raise errors.RouterInterfaceNotFoundForSubnet(router_id=router.id, subnet_id=subnet_id)

    async def _router_leg_unused(self, session: Any, router: Router, subnet: Subnet) -> None:
        """No floating IP reaches a port on the subnet through the router, and no route's
        nexthop is on it."""
        on_subnet = select(IPAllocation.port_id).where(IPAllocation.subnet_id == subnet.id)
        for address in await session.scalars(select(FloatingIP.fixed_ip_address).where(
                FloatingIP.router_id == router.id, FloatingIP.port_id.in_(on_subnet))):
            if address and within(address, subnet.cidr):
                raise errors.RouterInterfaceInUseByFloatingIP(router_id=router.id,
                                                              subnet_id=subnet.id)
        if any(within(route["nexthop"], subnet.cidr) for route in router.routes or []):
            raise errors.RouterInterfaceInUseByRoute(router_id=router.id, subnet_id=subnet.id)
