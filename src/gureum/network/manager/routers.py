"""Routers, as neutron's L3 (with ext-gw-mode and extraroute) keeps them: a router is on
subnets through its interfaces (router_interfaces.py) and reaches one external network
through a gateway port (the cloud's own, in no project), which SNATs unless enable_snat is
off; its routes send traffic on to nexthops on the subnets it is on. The L3 agents read
it all through `routers_for_agent`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from gureum.core.context import RequestContext
from gureum.core.errors import Conflict
from gureum.network import errors, ipam
from gureum.network.manager.base import new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.manager.ports import ROUTER_PORTS
from gureum.network.manager.router_interfaces import (
    GATEWAY,
    INTERFACES,
    RouterInterfaces,
    router_error,
    router_lock,
    within,
)
from gureum.network.models import (
    FloatingIP,
    IPAllocation,
    Network,
    Port,
    Router,
    Segment,
    Subnet,
    Tag,
)

MAX_ROUTES = 30  # neutron's max_routes
ROUTER_COLUMNS = {
    "id": Router.id, "name": Router.name, "project_id": Router.project_id,
    "tenant_id": Router.project_id, "admin_state_up": Router.admin_state_up,
    "status": Router.status, "distributed": Router.distributed, "ha": Router.ha,
    "description": Router.description, "revision_number": Router.revision_number,
    "created_at": Router.created_at, "updated_at": Router.updated_at,
}


class Routers(RouterInterfaces):
    # ------------------------------------------------------------ reading
    async def list_routers(self, context: RequestContext, query: ListQuery,
                           ) -> tuple[list[Router], dict[str, list[str]]]:
        stmt = select(Router)
        visible = self.owned(context, Router)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, ROUTER_COLUMNS, query)
        stmt = tagged(stmt, Router.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, Router, ROUTER_COLUMNS, query), leftover

    async def show_router(self, context: RequestContext, router_id: str) -> Router:
        async with self.db.session() as session:
            return await self.router_for(session, context, router_id)

    async def router_gateways(self, routers: list[Router]) -> dict[str, dict[str, Any] | None]:
        """Each router's gateway: its external network and addresses (or None)."""
        ports = [r.gw_port_id for r in routers if r.gw_port_id]
        async with self.db.session() as session:
            # (a Result has keys(): dict() would take it for a mapping)
            networks = {port_id: network_id for port_id, network_id in await session.execute(
                select(Port.id, Port.network_id).where(Port.id.in_(ports)))} if ports else {}
            fixed = await self._fixed_ips(session, ports)
        return {r.id: {"network_id": networks[r.gw_port_id], "fixed_ips": fixed[r.gw_port_id]}
                if r.gw_port_id in networks else None for r in routers}

    # ------------------------------------------------------------ create, update, delete
    async def create_router(self, context: RequestContext, spec: dict[str, Any]) -> Router:
        project_id = self.project_for(context, spec, "router")
        gateway = spec.get("external_gateway_info")
        self._router_gateway_network(gateway)
        async with self.db.session(lock=quota_lock(project_id, "router")) as session:
            await self.check_quota(session, project_id, "router", Router)
            router = Router(id=new_id(), project_id=project_id, name=spec.get("name") or "",
                            description=spec.get("description") or "",
                            admin_state_up=spec.get("admin_state_up", True),
                            availability_zone_hints=spec.get("availability_zone_hints") or [],
                            routes=[])
            session.add(router)
        if gateway:
            try:
                await self._router_set_gateway(context, router.id, gateway)
            except BaseException:
                await self.delete_router(RequestContext.admin(), router.id)
                raise
        await self.agents.router_changed(router.id)
        return await self.show_router(RequestContext.admin(), router.id)

    async def update_router(self, context: RequestContext, router_id: str,
                            spec: dict[str, Any]) -> Router:
        routes = self._router_routes(router_id, spec["routes"] or []) \
            if "routes" in spec else None
        if "external_gateway_info" in spec:
            await self._router_set_gateway(context, router_id, spec["external_gateway_info"])
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            for key in ("name", "description"):
                if key in spec:
                    setattr(router, key, spec[key] or "")
            if "admin_state_up" in spec:
                router.admin_state_up = spec["admin_state_up"]
            if routes is not None:
                await self._router_check_routes(session, router, routes)
                router.routes = routes
            self.bump(router)
        await self.agents.router_changed(router_id)
        return router

    async def delete_router(self, context: RequestContext, router_id: str) -> None:
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            legs = list((await session.execute(select(Port.id, Port.device_owner).where(
                Port.device_id == router_id, Port.device_owner.in_(ROUTER_PORTS))
                .order_by(Port.id))).tuples())
            attached = [port_id for port_id, owner in legs if owner in INTERFACES]
            if attached:
                raise errors.RouterInUse(router_id=router_id, reason="has ports still "
                                         "attached: " + ", ".join(attached))
            await self._router_gateway_unused(session, router)
            await session.execute(update(FloatingIP).where(FloatingIP.router_id == router_id)
                                  .values(router_id=None, port_id=None, fixed_ip_address=None,
                                          status="DOWN"))
            await session.execute(delete(Tag).where(Tag.resource_id == router_id))
            router.gw_port_id = None
            await session.flush()
            await session.delete(router)
        for port_id, _ in legs:
            await self._router_unplug(port_id)
        await self.agents.router_changed(router_id)

    # ------------------------------------------------------------ the gateway
    @staticmethod
    def _router_gateway_network(info: dict[str, Any] | None) -> str | None:
        if not info:
            return None
        if not info.get("network_id"):
            raise errors.InvalidInput(error_message="Validation of dictionary's keys failed. "
                                      "Expected keys: {'network_id'} Provided keys: "
                                      f"{set(info)}")
        return str(info["network_id"])

    async def _router_gateway_unused(self, session: Any, router: Router) -> None:
        """A gateway floating IPs go through stays."""
        if router.gw_port_id is None:
            return
        if (await session.scalars(select(FloatingIP.id).where(
                FloatingIP.router_id == router.id).limit(1))).first() is not None:
            network_id = await session.scalar(select(Port.network_id).where(
                Port.id == router.gw_port_id))
            raise errors.RouterExternalGatewayInUseByFloatingIp(router_id=router.id,
                                                                net_id=network_id)

    async def _router_set_gateway(self, context: RequestContext, router_id: str,
                                  info: dict[str, Any] | None) -> None:
        """Set, move or clear the gateway (neutron's _update_router_gw_info)."""
        network_id = self._router_gateway_network(info)
        asked = (info or {}).get("external_fixed_ips") or []
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            current = await session.get(Port, router.gw_port_id) if router.gw_port_id else None
            subnets = await self._router_external_subnets(session, context, network_id, asked)
            router.enable_snat = True if not info else info.get("enable_snat",
                                                                router.enable_snat)
            same = current is not None and current.network_id == network_id
            old = current.id if current is not None and not same else None
            if old is not None:
                await self._router_gateway_unused(session, router)
                router.gw_port_id = None
            if network_id and not same:
                await self._router_check_overlap(session, router, subnets, exclude={old})
            if not same:
                await self._router_check_routes(session, router, router.routes,
                                                [s.cidr for s in subnets], exclude={old})
            moved = same and current is not None and self._router_ips_changed(
                (await self._fixed_ips(session, [current.id]))[current.id], asked)
        if old is not None:
            await self._router_unplug(old)
        if moved and current is not None:
            await self.update_port(RequestContext.admin(), current.id, {"fixed_ips": asked})
        if network_id and not same:
            await self._router_plug_gateway(router_id, network_id, asked)

    async def _router_external_subnets(self, session: Any, context: RequestContext,
                                       network_id: str | None, asked: list[dict[str, Any]],
                                       ) -> list[Subnet]:
        if network_id is None:
            return []
        network = await self.network_for(session, context, network_id)
        if not network.external:
            raise router_error(f"Network {network_id} is not an external network")
        subnets = list(await session.scalars(select(Subnet).where(
            Subnet.network_id == network_id)))
        gateways = {s.gateway_ip for s in subnets if s.gateway_ip}
        for entry in asked:
            if entry.get("ip_address") in gateways:
                raise router_error(f"External IP {entry['ip_address']} is the same as the "
                                   "gateway IP")
        return subnets

    @staticmethod
    def _router_ips_changed(current: list[dict[str, str]], asked: list[dict[str, Any]],
                            ) -> bool:
        if not asked:
            return False
        if {i["subnet_id"] for i in current} != {a["subnet_id"] for a in asked
                                                 if a.get("subnet_id")}:
            return True
        return {i["ip_address"] for i in current} != {a["ip_address"] for a in asked
                                                      if a.get("ip_address")}

    async def _router_plug_gateway(self, router_id: str, network_id: str,
                                   asked: list[dict[str, Any]]) -> None:
        # No project, as in neutron: the gateway port is the cloud's, hidden from users.
        admin = RequestContext.admin()
        port = await self.create_port(admin, {
            "network_id": network_id, "device_id": router_id, "device_owner": GATEWAY,
            "admin_state_up": True, "name": "", "fixed_ips": asked or None})
        try:
            async with self.db.session(lock=router_lock(router_id)) as session:
                router = await session.get(Router, router_id)
                if router is None:
                    raise errors.RouterNotFound(router_id=router_id)
                if router.gw_port_id is not None:
                    raise Conflict(f"The gateway of router {router_id} was changed at the "
                                   "same time by another request.")
                router.gw_port_id = port.id
        except BaseException:
            await self._router_unplug(port.id)
            raise

    # ------------------------------------------------------------ subnets, routes
    @staticmethod
    def _router_route(route: dict[str, str], routes: list[dict[str, str]]) -> dict[str, str]:
        destination = ipam.parse_cidr(route["destination"])
        nexthop = ipam.parse_ip(route["nexthop"])
        if destination.version != nexthop.version:
            raise errors.InvalidRoutes(routes=routes, reason="the nexthop's IP version does "
                                       "not match the destination's")
        return {"destination": str(destination), "nexthop": str(nexthop)}

    def _router_routes(self, router_id: str, routes: list[dict[str, str]],
                       ) -> list[dict[str, str]]:
        if len(routes) > MAX_ROUTES:
            raise errors.RoutesExhausted(router_id=router_id, quota=MAX_ROUTES)
        checked: list[dict[str, str]] = []
        for route in routes:
            entry = self._router_route(route, routes)
            if entry in checked:
                raise errors.InvalidInput(error_message=f"Duplicate hostroute '{entry}'")
            checked.append(entry)
        return checked

    async def change_router_routes(self, context: RequestContext, router_id: str,
                                   routes: list[dict[str, str]], remove: bool = False,
                                   ) -> Router:
        """extraroute-atomic: add routes to the router's (an exact duplicate once) or take
        them away (missing ones are fine), in one step under the router's lock."""
        asked = [self._router_route(route, routes) for route in routes]
        async with self.db.session(lock=router_lock(router_id)) as session:
            router = await self.router_for(session, context, router_id)
            current = list(router.routes or [])
            if remove:
                wanted = [r for r in current if r not in asked]
            else:
                wanted = current + [r for i, r in enumerate(asked)
                                    if r not in current and r not in asked[:i]]
            wanted = self._router_routes(router_id, wanted)
            await self._router_check_routes(session, router, wanted)
            router.routes = wanted
            self.bump(router)
        await self.agents.router_changed(router_id)
        return router

    async def _router_check_routes(self, session: Any, router: Router,
                                   routes: list[dict[str, str]], extra: list[str] | None = None,
                                   exclude: set[str | None] | None = None) -> None:
        """Every nexthop is on a subnet the router is on, and none is the router's own."""
        if not routes:
            return
        legs = [p.id for p in await self._router_legs(session, router.id, exclude or set())]
        rows = list((await session.execute(select(IPAllocation.ip_address, Subnet.cidr).join(
            Subnet, Subnet.id == IPAllocation.subnet_id).where(
            IPAllocation.port_id.in_(legs)))).tuples())
        cidrs = [cidr for _, cidr in rows] + list(extra or [])
        own = {address for address, _ in rows}
        for route in routes:
            if not any(within(route["nexthop"], cidr) for cidr in cidrs):
                raise errors.InvalidRoutes(routes=routes,
                                           reason="the nexthop is not connected with router")
            if route["nexthop"] in own:
                raise errors.InvalidRoutes(routes=routes, reason="the nexthop is used by router")

    # ------------------------------------------------------------ for the L3 agents
    async def routers_for_agent(self, router_ids: list[str] | None) -> list[dict[str, Any]]:
        """What an L3 agent needs to run each router (all of them when None), shaped as
        the drivers' RouterState (drivers.base.encode) plus `id` and, on every fixed IP,
        its subnet's `gateway_ip` (an external subnet's is the default route)."""
        async with self.db.session() as session:
            stmt = select(Router).order_by(Router.id)
            if router_ids is not None:
                stmt = stmt.where(Router.id.in_(router_ids))
            routers = list(await session.scalars(stmt))
            if not routers:
                return []
            ids = [r.id for r in routers]
            legs = list(await session.scalars(select(Port).where(
                Port.device_id.in_(ids), Port.device_owner.in_((*INTERFACES, GATEWAY)))
                .order_by(Port.created_at, Port.id)))
            addresses = await self._router_agent_addresses(session, [p.id for p in legs])
            wires = await self._router_agent_wires(session, {p.network_id for p in legs})
            fips: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            for fip in await session.scalars(select(FloatingIP).where(
                    FloatingIP.router_id.in_(ids), FloatingIP.port_id.is_not(None))
                    .order_by(FloatingIP.id)):
                fips[str(fip.router_id)].append({
                    "id": fip.id, "floatingip_id": fip.id,
                    "floating_ip_address": fip.floating_ip_address,
                    "fixed_ip_address": fip.fixed_ip_address or "", "port_id": fip.port_id})

        def leg(port: Port) -> dict[str, Any]:
            segment, mtu = wires.get(port.network_id, ({"network_type": "local",
                                                         "physical_network": None,
                                                         "segmentation_id": None}, 1500))
            return {"port_id": port.id, "network_id": port.network_id,
                    "mac_address": port.mac_address, "segment": segment,
                    "fixed_ips": addresses.get(port.id, []), "mtu": mtu}

        return [{
            "id": r.id, "router_id": r.id, "admin_state_up": r.admin_state_up,
            "gateway": next((leg(p) for p in legs if p.id == r.gw_port_id), None),
            "enable_snat": r.enable_snat,
            "interfaces": [leg(p) for p in legs if p.device_id == r.id
                           and p.device_owner in INTERFACES and addresses.get(p.id)],
            "routes": [{"destination": x["destination"], "nexthop": x["nexthop"]}
                       for x in r.routes or []],
            "floating_ips": fips[r.id]} for r in routers]

    @staticmethod
    async def _router_agent_addresses(session: Any, port_ids: list[str],
                                      ) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(port_ids), 500):
            for port_id, subnet_id, address, cidr, gateway in await session.execute(
                    select(IPAllocation.port_id, IPAllocation.subnet_id,
                           IPAllocation.ip_address, Subnet.cidr, Subnet.gateway_ip)
                    .join(Subnet, Subnet.id == IPAllocation.subnet_id)
                    .where(IPAllocation.port_id.in_(port_ids[start:start + 500]))
                    .order_by(Subnet.ip_version, Subnet.created_at)):
                found.setdefault(port_id, []).append({
                    "subnet_id": subnet_id, "ip_address": address, "cidr": cidr,
                    "gateway_ip": gateway})
        return found

    @staticmethod
    async def _router_agent_wires(session: Any, network_ids: set[str],
                                  ) -> dict[str, tuple[dict[str, Any], int]]:
        """Each network's first segment and its MTU."""
        found: dict[str, tuple[dict[str, Any], int]] = {}
        if not network_ids:
            return found
        mtus = {network_id: mtu for network_id, mtu in await session.execute(
            select(Network.id, Network.mtu).where(Network.id.in_(network_ids)))}
        for segment in await session.scalars(select(Segment).where(
                Segment.network_id.in_(network_ids)).order_by(Segment.segment_index)):
            if segment.network_id not in found:
                found[segment.network_id] = ({
                    "network_type": segment.network_type,
                    "physical_network": segment.physical_network,
                    "segmentation_id": segment.segmentation_id}, mtus[segment.network_id])
        return found
