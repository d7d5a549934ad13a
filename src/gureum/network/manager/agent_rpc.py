"""The server side of the agents' RPC (neutron's q-plugin topic): heartbeats, the desired
state of what each agent hosts, and what agents report back (ports up or down, floating
IPs active). Agents never touch the database: this is their only way in."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, func, or_, select, update

from gureum.core.bus import Bus, Handler
from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import GureumError
from gureum.network.drivers.base import RouterState, decode, encode
from gureum.network.manager.agent_state import AgentState
from gureum.network.manager.base import new_id
from gureum.network.manager.ports import Ports
from gureum.network.manager.routers import Routers
from gureum.network.messages import (
    AGENT_KINDS,
    BY_TYPE,
    DHCP_OWNER,
    PLUGIN_TOPIC,
    SERVICE_OWNERS,
    VIF_DETAILS,
    VIF_TYPE,
    agent_topic,
    dhcp_device_id,
)
from gureum.network.models import Agent, AgentBinding, FloatingIP, Network, Port, Router, Subnet

log = logging.getLogger(__name__)
# Consumers of the plugin topic in one process: agents' calls are served side by side.
PLUGIN_WORKERS = 4


class AgentRPC(AgentState):
    # ------------------------------------------------------------ agents' rows
    def agent_alive(self) -> ColumnElement[bool]:
        cutoff = utcnow() - timedelta(seconds=self.settings.agent_down_time)
        return Agent.heartbeat_timestamp >= cutoff

    def agent_is_alive(self, agent: Agent) -> bool:
        return agent.heartbeat_timestamp >= utcnow() - timedelta(
            seconds=self.settings.agent_down_time)

    @staticmethod
    async def agent_on(session: Any, kind: str, host: str) -> Agent | None:
        row: Agent | None = (await session.scalars(select(Agent).where(
            Agent.agent_type == AGENT_KINDS[kind].agent_type, Agent.host == host))).first()
        return row

    async def serve_agents_rpc(self, bus: Bus) -> None:
        handlers: dict[str, Handler] = {
            "report_state": self.rpc_report_state,
            "get_devices_for_host": self.rpc_get_devices_for_host,
            "get_device_details": self.rpc_get_device_details,
            "get_devices_details_list": self.rpc_get_devices_details_list,
            "security_group_info_for_port": self.rpc_security_group_info_for_port,
            "update_device_up": self.rpc_update_device_up,
            "update_device_down": self.rpc_update_device_down,
            "update_device_list": self.rpc_update_device_list,
            "get_active_networks": self.rpc_get_active_networks,
            "get_network_info": self.rpc_get_network_info,
            "get_dhcp_hosts": self.rpc_get_dhcp_hosts,
            "sync_routers": self.rpc_sync_routers,
            "update_floatingip_statuses": self.rpc_update_floatingip_statuses,
        }
        for _ in range(PLUGIN_WORKERS):
            await bus.serve(PLUGIN_TOPIC, handlers)

    # ------------------------------------------------------------ heartbeats
    async def rpc_report_state(self, agent_state: dict[str, Any]) -> dict[str, Any]:
        """Upsert the agent's row (agent_type, binary, host, topic, configurations,
        start_flag, …, as neutron's agents send them). Answers whether it is new, alive or
        revived (an agent that was shown dead resyncs everything)."""
        agent_type, host = str(agent_state["agent_type"]), str(agent_state["host"])
        binary, topic = str(agent_state["binary"]), str(agent_state["topic"])
        configurations = agent_state.get("configurations") or {}
        start_flag = bool(agent_state.get("start_flag"))
        availability_zone = agent_state.get("availability_zone")
        resources_synced = agent_state.get("resources_synced")
        kind = BY_TYPE.get(agent_type)
        now = utcnow()
        async with self.db.session(lock=f"agent:{agent_type}:{host}") as session:
            row = (await session.scalars(select(Agent).where(
                Agent.agent_type == agent_type, Agent.host == host))).first()
            if row is None:
                row = Agent(id=new_id(), agent_type=agent_type, host=host, created_at=now,
                            started_at=now, admin_state_up=True)
                session.add(row)
                status = "new"
            else:
                status = "alive" if self.agent_is_alive(row) else "revived"
            row.binary, row.topic = binary, topic
            row.availability_zone = availability_zone if kind is None else (
                kind.availability_zone)
            row.configurations = configurations or {}
            row.resources_synced = resources_synced
            row.heartbeat_timestamp = now
            if start_flag:
                row.started_at = now
        if status == "revived" and kind is not None and not start_flag:
            # It was shown dead: whatever it missed meanwhile, it looks at everything.
            await self.bus.cast(agent_topic(kind.kind, host), "resync")
        return {"id": row.id, "status": status, "admin_state_up": row.admin_state_up}

    # ------------------------------------------------------------ L2 agents
    async def rpc_get_devices_for_host(self, host: str) -> list[str]:
        """The ports the L2 agent on `host` must wire (not the DHCP and router ports,
        which their own agents wire)."""
        async with self.db.session() as session:
            return list(await session.scalars(select(Port.id).where(
                Port.host == host, Port.device_owner.not_in(SERVICE_OWNERS))
                .order_by(Port.id)))

    async def rpc_get_devices_details_list(self, devices: list[str],
                                           host: str) -> dict[str, Any]:
        """{port_id: {wiring, firewall, status, vif_type}} for the ports still bound to
        `host`; a port gone or moved elsewhere is left out (the agent unplugs it)."""
        found: dict[str, Any] = {}
        async with self.db.session() as session:
            for start in range(0, len(devices), 500):
                ports = list(await session.scalars(select(Port).where(
                    Port.id.in_(devices[start:start + 500]), Port.host == host)))
                for port in ports:
                    found[port.id] = {"status": port.status, "vif_type": port.vif_type}
                for port_id, (wiring, firewall) in (
                        await self.port_wirings(session, ports)).items():
                    found[port_id].update(wiring=encode(wiring), firewall=encode(firewall))
        return found

    async def rpc_get_device_details(self, device: str, host: str) -> dict[str, Any] | None:
        details: dict[str, Any] | None = (
            await self.rpc_get_devices_details_list([device], host)).get(device)
        return details

    async def rpc_security_group_info_for_port(self, device: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            port = await session.get(Port, device)
            if port is None:
                return None
            return dict(encode((await self.port_wirings(session, [port]))[port.id][1]))

    async def rpc_update_device_list(self, host: str, devices_up: Iterable[str] = (),
                                     devices_down: Iterable[str] = ()) -> None:
        """Wired → ACTIVE and bound (vif_type bridge); unwired → DOWN. Only for ports
        still bound to the reporting host, or DHCP and router ports (which are bound to
        the host of the agent that wires them); unchanged ports are left alone."""
        up, down = list(devices_up), list(devices_down)
        async with self.db.session() as session:
            if up:
                await session.execute(
                    update(Port).where(
                        Port.id.in_(up),
                        or_(Port.host == host, Port.device_owner.in_(SERVICE_OWNERS)),
                        or_(Port.status != "ACTIVE", Port.vif_type != VIF_TYPE,
                            Port.host != host))
                    .values(status="ACTIVE", host=host, vif_type=VIF_TYPE,
                            vif_details=VIF_DETAILS, revision_number=Port.revision_number + 1,
                            updated_at=utcnow()))
            if down:
                await session.execute(
                    update(Port).where(Port.id.in_(down), Port.host == host,
                                       Port.status != "DOWN")
                    .values(status="DOWN", revision_number=Port.revision_number + 1,
                            updated_at=utcnow()))

    async def rpc_update_device_up(self, device: str, host: str) -> None:
        await self.rpc_update_device_list(host, devices_up=[device])

    async def rpc_update_device_down(self, device: str, host: str) -> None:
        await self.rpc_update_device_list(host, devices_down=[device])

    # ------------------------------------------------------------ DHCP agents
    async def rpc_get_active_networks(self, host: str) -> list[str]:
        """The networks the DHCP agent on `host` serves; networks short of DHCP agents
        are given to it first (an agent that starts late picks up what was waiting)."""
        async with self.db.session() as session:
            agent = await self.agent_on(session, "dhcp", host)
            if agent is None:
                return []
            if agent.admin_state_up and self.agent_is_alive(agent):
                waiting = await self._agent_networks_wanting(session)
            else:
                waiting = []
        for network_id in waiting:
            await self.bind_dhcp_agents(network_id, prefer=agent.id)
        async with self.db.session() as session:
            return list(await session.scalars(select(AgentBinding.resource_id).where(
                AgentBinding.agent_id == agent.id, AgentBinding.kind == "network")
                .order_by(AgentBinding.resource_id)))

    async def _agent_networks_wanting(self, session: Any) -> list[str]:
        with_dhcp = set(await session.scalars(select(Subnet.network_id).where(
            Subnet.enable_dhcp).distinct()))
        counts: dict[str, int] = {network_id: count for network_id, count in await session.execute(
            select(AgentBinding.resource_id, func.count()).where(
                AgentBinding.kind == "network").group_by(AgentBinding.resource_id))}
        wanted = self.settings.dhcp_agents_per_network
        return sorted(n for n in with_dhcp if counts.get(n, 0) < wanted)

    async def bind_dhcp_agents(self, network_id: str, prefer: str | None = None) -> None:
        """Give the network up to dhcp_agents_per_network alive, enabled DHCP agents,
        least loaded first (`prefer`, an agent asking for work, before the others)."""
        async with self.db.session(lock=f"dhcp-schedule:{network_id}") as session:
            if (await session.scalars(select(Subnet.id).where(
                    Subnet.network_id == network_id, Subnet.enable_dhcp).limit(1))).first() is None:
                return
            bound = set(await session.scalars(select(AgentBinding.agent_id).where(
                AgentBinding.resource_id == network_id, AgentBinding.kind == "network")))
            need = self.settings.dhcp_agents_per_network - len(bound)
            if need <= 0:
                return
            candidates = await self._agent_least_loaded(session, "dhcp", "network", bound)
            if prefer in candidates:
                candidates.remove(prefer)
                candidates.insert(0, prefer)
            for agent_id in candidates[:need]:
                session.add(AgentBinding(resource_id=network_id, agent_id=agent_id,
                                         kind="network"))

    async def _agent_least_loaded(self, session: Any, kind: str, binding: str,
                                  exclude: set[str]) -> list[str]:
        load = func.count(AgentBinding.resource_id)
        stmt = (select(Agent.id, load)
                .outerjoin(AgentBinding, (AgentBinding.agent_id == Agent.id)
                           & (AgentBinding.kind == binding))
                .where(Agent.agent_type == AGENT_KINDS[kind].agent_type, Agent.admin_state_up,
                       self.agent_alive())
                .group_by(Agent.id).order_by(load, Agent.id))
        return [agent_id for agent_id, _ in await session.execute(stmt)
                if agent_id not in exclude]

    async def rpc_get_network_info(self, network_id: str, host: str) -> dict[str, Any] | None:
        """What the DHCP agent on `host` must serve on the network, with its own DHCP
        port (made on first need, given an address on every DHCP subnet); None when it
        has nothing to serve there (its port, if any, is released)."""
        async with self.db.session() as session:
            agent = await self.agent_on(session, "dhcp", host)
            hosted = agent is not None and await session.get(
                AgentBinding, (network_id, agent.id)) is not None
            subnets = list(await session.scalars(select(Subnet.id).where(
                Subnet.network_id == network_id, Subnet.enable_dhcp).order_by(
                Subnet.created_at, Subnet.id))) if hosted else []
            port = await self._agent_dhcp_port_row(session, network_id, host)
        if not subnets:
            if port is not None:
                await self._agent_ports().delete_port(RequestContext.admin(), port.id,
                                                      internal=True)
            return None
        port = await self._agent_ensure_dhcp_port(network_id, host, port, subnets)
        if port is None:
            return None
        async with self.db.session() as session:
            state = await self.dhcp_network_state(session, network_id, port)
        return {"network": encode(state), "port_status": port.status}

    async def rpc_get_dhcp_hosts(self, network_id: str, port_ids: list[str], host: str,
                                 ) -> dict[str, Any]:
        """Some ports of a network as its DHCP server answers for them, and which of them
        are gone: what a DHCP agent needs after ports changed, without the whole network
        (10,000 hosts) each time."""
        async with self.db.session() as session:
            served = set(await session.scalars(select(Subnet.id).where(
                Subnet.network_id == network_id, Subnet.enable_dhcp)))
            hosts, _ = await self.dhcp_hosts(session, network_id, served, port_ids)
        found = {h.port_id for h in hosts}
        return {"hosts": encode(hosts), "gone": [p for p in port_ids if p not in found]}

    @staticmethod
    async def _agent_dhcp_port_row(session: Any, network_id: str, host: str) -> Port | None:
        row: Port | None = (await session.scalars(select(Port).where(
            Port.network_id == network_id, Port.device_owner == DHCP_OWNER,
            Port.device_id == dhcp_device_id(host, network_id)))).first()
        return row

    def _agent_ports(self) -> Ports:
        """The ports part of the manager (a sibling mixin)."""
        return cast(Ports, self)

    async def _agent_ensure_dhcp_port(self, network_id: str, host: str, port: Port | None,
                                      subnets: list[str]) -> Port | None:
        admin = RequestContext.admin()
        ports = self._agent_ports()
        try:
            if port is None:
                # Held while the port is made (in its own transactions): one per agent.
                async with self.db.session(lock=f"dhcp-port:{network_id}:{host}") as session:
                    port = await self._agent_dhcp_port_row(session, network_id, host)
                    network = await session.get(Network, network_id)
                    if port is None and network is not None:
                        port = await ports.create_port(admin, {
                            "network_id": network_id, "project_id": network.project_id,
                            "device_owner": DHCP_OWNER,
                            "device_id": dhcp_device_id(host, network_id),
                            "binding:host_id": host,
                            "fixed_ips": [{"subnet_id": s} for s in subnets]})
                return port
            have = {f["subnet_id"] for f in (await ports.fixed_ips_of([port.id]))[port.id]}
            if set(subnets) - have:
                current = (await ports.fixed_ips_of([port.id]))[port.id]
                port = await ports.update_port(admin, port.id, {"fixed_ips": current + [
                    {"subnet_id": s} for s in subnets if s not in have]})
        except GureumError as exc:  # e.g. no free address, over quota: retried later
            log.warning("no DHCP port on network %s for %s: %s", network_id, host, exc)
            return None
        return port

    # ------------------------------------------------------------ L3 agents
    async def rpc_sync_routers(self, host: str,
                               router_ids: list[str] | None = None) -> dict[str, Any]:
        """The routers the L3 agent on `host` runs (those of `router_ids` it hosts, or
        all of them, routers waiting for an agent given to it first), the router ports
        not yet up, and the floating IPs not yet active."""
        async with self.db.session() as session:
            agent = await self.agent_on(session, "l3", host)
            if agent is None:
                return {"routers": [], "ports_down": [], "floatingips_down": []}
            if router_ids is None and agent.admin_state_up and self.agent_is_alive(agent):
                bound = select(AgentBinding.resource_id).where(AgentBinding.kind == "router")
                waiting = list(await session.scalars(select(Router.id).where(
                    Router.id.not_in(bound))))
            else:
                waiting = []
        for router_id in waiting:
            await self.bind_l3_agent(router_id, prefer=agent.id)
        async with self.db.session() as session:
            stmt = select(AgentBinding.resource_id).where(
                AgentBinding.agent_id == agent.id, AgentBinding.kind == "router")
            if router_ids is not None:
                stmt = stmt.where(AgentBinding.resource_id.in_(router_ids))
            hosted = list(await session.scalars(stmt))
        states = await self._agent_router_states(hosted)
        return await self._agent_router_reply(states, host)

    async def _agent_router_states(self, router_ids: list[str]) -> list[RouterState]:
        if not router_ids:
            return []
        built = await cast(Routers, self).routers_for_agent(router_ids)
        return [decode(RouterState, r) for r in built]

    async def _agent_router_reply(self, states: list[RouterState],
                                  host: str) -> dict[str, Any]:
        legs = [leg.port_id for s in states for leg in (
            *s.interfaces, *([s.gateway] if s.gateway else []))]
        fips = [f.floatingip_id for s in states for f in s.floating_ips]
        async with self.db.session() as session:
            down = list(await session.scalars(select(Port.id).where(
                Port.id.in_(legs), or_(Port.status != "ACTIVE", Port.vif_type != VIF_TYPE,
                                       Port.host != host))))
            fips_down = list(await session.scalars(select(FloatingIP.id).where(
                FloatingIP.id.in_(fips), FloatingIP.status != "ACTIVE")))
        return {"routers": [encode(s) for s in states], "ports_down": sorted(down),
                "floatingips_down": sorted(fips_down)}

    async def bind_l3_agent(self, router_id: str, prefer: str | None = None) -> None:
        """A router runs on one L3 agent: the least loaded alive, enabled one."""
        async with self.db.session(lock=f"l3-schedule:{router_id}") as session:
            if await session.get(Router, router_id) is None or (await session.scalars(
                    select(AgentBinding.agent_id).where(
                        AgentBinding.resource_id == router_id,
                        AgentBinding.kind == "router"))).first() is not None:
                return
            candidates = await self._agent_least_loaded(session, "l3", "router", set())
            if prefer in candidates:
                candidates = [prefer]
            if candidates:
                session.add(AgentBinding(resource_id=router_id, agent_id=candidates[0],
                                         kind="router"))

    async def rpc_update_floatingip_statuses(self, statuses: dict[str, str]) -> None:
        async with self.db.session() as session:
            for status in set(statuses.values()):
                ids = [i for i, s in statuses.items() if s == status]
                await session.execute(
                    update(FloatingIP).where(FloatingIP.id.in_(ids),
                                             FloatingIP.status != status)
                    .values(status=status, revision_number=FloatingIP.revision_number + 1,
                            updated_at=utcnow()))
