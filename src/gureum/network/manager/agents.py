"""Network agents: the notifier that tells them what changed (hints cast on the bus to
the agents concerned), their scheduling onto networks (DHCP) and routers (L3), and the
agent API (/v2.0/agents, dhcp-networks, l3-routers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update

from gureum.core.context import RequestContext
from gureum.network import errors
from gureum.network.manager.agent_rpc import AgentRPC
from gureum.network.manager.listing import ListQuery, filtered, paged
from gureum.network.messages import AGENT_KINDS, SERVICE_OWNERS, agent_topic
from gureum.network.models import (
    Agent,
    AgentBinding,
    Network,
    Port,
    PortSecurityGroup,
    Router,
    SecurityGroupRule,
)

AGENT_COLUMNS = {
    "id": Agent.id, "agent_type": Agent.agent_type, "binary": Agent.binary,
    "topic": Agent.topic, "host": Agent.host, "availability_zone": Agent.availability_zone,
    "admin_state_up": Agent.admin_state_up, "description": Agent.description,
    "created_at": Agent.created_at, "started_at": Agent.started_at,
    "heartbeat_timestamp": Agent.heartbeat_timestamp,
}
UPDATABLE = ("admin_state_up", "description")


class Agents(AgentRPC):
    async def start_agents_rpc(self) -> None:
        """From now on changes reach the agents, and agents reach the control plane."""
        self.agents = self
        await self.serve_agents_rpc(self.bus)

    # ------------------------------------------------------------ the notifier
    async def _agent_cast(self, kind: str, hosts: Iterable[str], method: str,
                          **kwargs: Any) -> None:
        for host in sorted(set(hosts)):
            await self.bus.cast(agent_topic(kind, host), method, **kwargs)

    async def _agent_hosts(self, session: Any, resource_id: str, kind: str) -> list[str]:
        return list(await session.scalars(
            select(Agent.host).join(AgentBinding, AgentBinding.agent_id == Agent.id)
            .where(AgentBinding.resource_id == resource_id, AgentBinding.kind == kind)))

    async def network_changed(self, network_id: str) -> None:
        async with self.db.session() as session:
            gone = await session.get(Network, network_id) is None
        if not gone:
            await self.bind_dhcp_agents(network_id)
        async with self.db.session() as session:
            hosts = await self._agent_hosts(session, network_id, "network")
            if gone:
                await session.execute(delete(AgentBinding).where(
                    AgentBinding.resource_id == network_id, AgentBinding.kind == "network"))
        await self._agent_cast("dhcp", hosts, "network_update", network_id=network_id)

    async def port_changed(self, port_id: str, host: str, network_id: str) -> None:
        await self.ports_changed(network_id, [(port_id, host)])

    async def ports_changed(self, network_id: str, ports: list[tuple[str, str]]) -> None:
        """Ports (id, host) of one network were made or changed: its DHCP agents look at
        the network once, each port's L2 agent at the port."""
        async with self.db.session() as session:
            dhcp_hosts = await self._agent_hosts(session, network_id, "network")
        await self._agent_cast("dhcp", dhcp_hosts, "network_update", network_id=network_id,
                               port_ids=[port_id for port_id, _ in ports])
        for port_id, host in ports:
            if host:
                await self._bound_port_changed(port_id, host)

    async def _bound_port_changed(self, port_id: str, host: str) -> None:
        async with self.db.session() as session:
            port = await session.get(Port, port_id)
            l2 = await self.agent_on(session, "l2", host) if port is not None else None
        if port is None or port.device_owner in SERVICE_OWNERS:
            return
        if l2 is None or not self.agent_is_alive(l2):
            # neutron's behaviour: no live L2 agent on the host, no binding.
            async with self.db.session() as session:
                await session.execute(update(Port).where(Port.id == port_id, Port.host == host)
                                      .values(vif_type="binding_failed", vif_details={},
                                              status="DOWN"))
            return
        await self._agent_cast("l2", [host], "port_update", port_id=port_id)
        async with self.db.session() as session:
            groups = list(await session.scalars(select(PortSecurityGroup.security_group_id)
                                                .where(PortSecurityGroup.port_id == port_id)))
        if groups:  # its addresses are members of remote groups other ports filter on
            await self.security_groups_changed(groups)

    async def port_deleted(self, port_id: str, host: str, network_id: str) -> None:
        async with self.db.session() as session:
            dhcp_hosts = await self._agent_hosts(session, network_id, "network")
            l2 = await self.agent_on(session, "l2", host) if host else None
        await self._agent_cast("dhcp", dhcp_hosts, "network_update", network_id=network_id,
                               port_ids=[port_id])
        if l2 is not None:
            await self._agent_cast("l2", [host], "port_delete", port_id=port_id)

    async def router_changed(self, router_id: str) -> None:
        async with self.db.session() as session:
            gone = await session.get(Router, router_id) is None
        if not gone:
            await self.bind_l3_agent(router_id)
        async with self.db.session() as session:
            hosts = await self._agent_hosts(session, router_id, "router")
            if gone:
                await session.execute(delete(AgentBinding).where(
                    AgentBinding.resource_id == router_id, AgentBinding.kind == "router"))
        await self._agent_cast("l3", hosts, "router_update", router_id=router_id)

    async def security_groups_changed(self, group_ids: Iterable[str]) -> None:
        """Ports in the groups, and ports whose rules name them as remote groups, get
        their firewalls recomputed by the L2 agents that wired them."""
        groups = list(group_ids)
        if not groups:
            return
        async with self.db.session() as session:
            referring = select(SecurityGroupRule.security_group_id).where(
                SecurityGroupRule.remote_group_id.in_(groups))
            rows = await session.execute(
                select(Port.id, Port.host).join(
                    PortSecurityGroup, PortSecurityGroup.port_id == Port.id)
                .where(Port.host != "", PortSecurityGroup.security_group_id.in_(groups)
                       | PortSecurityGroup.security_group_id.in_(referring)).distinct())
            by_host: dict[str, list[str]] = defaultdict(list)
            for port_id, host in rows:
                by_host[host].append(port_id)
        for host, ports in sorted(by_host.items()):
            await self._agent_cast("l2", [host], "security_groups_changed",
                                   port_ids=sorted(ports))

    # ------------------------------------------------------------ the API: agents
    async def list_agents(self, context: RequestContext, query: ListQuery) -> tuple[
            list[Agent], dict[str, list[str]]]:
        stmt = select(Agent)
        alive = query.filters.get("alive")
        stmt, leftover = filtered(stmt, AGENT_COLUMNS, query.without("alive"))
        for wanted in alive or []:
            clause = self.agent_alive()
            stmt = stmt.where(clause if wanted.lower() in ("true", "1") else ~clause)
        async with self.db.session() as session:
            return await paged(session, stmt, Agent, AGENT_COLUMNS, query), leftover

    async def agent_row(self, session: Any, agent_id: str) -> Agent:
        return await self._get(session, Agent, agent_id, errors.AgentNotFound(id=agent_id))

    async def show_agent(self, context: RequestContext, agent_id: str) -> Agent:
        async with self.db.session() as session:
            return await self.agent_row(session, agent_id)

    async def update_agent(self, context: RequestContext, agent_id: str,
                           spec: dict[str, Any]) -> Agent:
        async with self.db.session() as session:
            row = await self.agent_row(session, agent_id)
            for key in UPDATABLE:
                if key in spec:
                    setattr(row, key, spec[key])
        return row

    async def delete_agent(self, context: RequestContext, agent_id: str) -> None:
        async with self.db.session() as session:
            row = await self.agent_row(session, agent_id)
            await session.execute(delete(AgentBinding).where(AgentBinding.agent_id == agent_id))
            await session.delete(row)

    async def agents_hosting(self, resource_id: str, kind: str) -> list[Agent]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(Agent).join(AgentBinding, AgentBinding.agent_id == Agent.id)
                .where(AgentBinding.resource_id == resource_id, AgentBinding.kind == kind)
                .order_by(Agent.host, Agent.id)))

    async def hosted_by_agent(self, agent_id: str, kind: str) -> list[str]:
        async with self.db.session() as session:
            await self.agent_row(session, agent_id)
            return list(await session.scalars(select(AgentBinding.resource_id).where(
                AgentBinding.agent_id == agent_id, AgentBinding.kind == kind)
                .order_by(AgentBinding.resource_id)))

    # ------------------------------------------------------------ DHCP scheduling by hand
    async def add_network_to_dhcp_agent(self, context: RequestContext, agent_id: str,
                                        network_id: str) -> None:
        async with self.db.session(lock=f"dhcp-schedule:{network_id}") as session:
            agent = await self.agent_row(session, agent_id)
            if agent.agent_type != AGENT_KINDS["dhcp"].agent_type or not agent.admin_state_up:
                raise errors.InvalidDHCPAgent(id=agent_id)
            await self.network_for(session, context, network_id)
            if await session.get(AgentBinding, (network_id, agent_id)) is not None:
                raise errors.NetworkHostedByDHCPAgent(network_id=network_id, agent_id=agent_id)
            session.add(AgentBinding(resource_id=network_id, agent_id=agent_id, kind="network"))
        await self._agent_cast("dhcp", [agent.host], "network_update", network_id=network_id)

    async def remove_network_from_dhcp_agent(self, context: RequestContext, agent_id: str,
                                             network_id: str) -> None:
        async with self.db.session(lock=f"dhcp-schedule:{network_id}") as session:
            agent = await self.agent_row(session, agent_id)
            if agent.agent_type != AGENT_KINDS["dhcp"].agent_type:
                raise errors.InvalidDHCPAgent(id=agent_id)
            binding = await session.get(AgentBinding, (network_id, agent_id))
            if binding is None:
                raise errors.NetworkNotHostedByDhcpAgent(network_id=network_id,
                                                         agent_id=agent_id)
            await session.delete(binding)
            port = await self._agent_dhcp_port_row(session, network_id, agent.host)
        if port is not None:  # the agent's port goes with it, as in neutron
            await self._agent_ports().delete_port(RequestContext.admin(), port.id,
                                                  internal=True)
        await self._agent_cast("dhcp", [agent.host], "network_update", network_id=network_id)

    # ------------------------------------------------------------ L3 scheduling by hand
    async def add_router_to_l3_agent(self, context: RequestContext, agent_id: str,
                                     router_id: str) -> None:
        async with self.db.session(lock=f"l3-schedule:{router_id}") as session:
            agent = await self.agent_row(session, agent_id)
            if agent.agent_type != AGENT_KINDS["l3"].agent_type or not agent.admin_state_up:
                raise errors.InvalidL3Agent(id=agent_id)
            await self.agent_router(session, router_id)
            current = (await session.scalars(select(AgentBinding.agent_id).where(
                AgentBinding.resource_id == router_id,
                AgentBinding.kind == "router"))).first()
            if current is not None:
                raise errors.RouterHostedByL3Agent(router_id=router_id, agent_id=current)
            session.add(AgentBinding(resource_id=router_id, agent_id=agent_id, kind="router"))
        await self._agent_cast("l3", [agent.host], "router_update", router_id=router_id)

    async def remove_router_from_l3_agent(self, context: RequestContext, agent_id: str,
                                          router_id: str) -> None:
        async with self.db.session(lock=f"l3-schedule:{router_id}") as session:
            agent = await self.agent_row(session, agent_id)
            if agent.agent_type != AGENT_KINDS["l3"].agent_type:
                raise errors.InvalidL3Agent(id=agent_id)
            binding = await session.get(AgentBinding, (router_id, agent_id))
            if binding is None:
                raise errors.RouterNotHostedByL3Agent(router_id=router_id, agent_id=agent_id)
            await session.delete(binding)
        await self._agent_cast("l3", [agent.host], "router_update", router_id=router_id)

    @staticmethod
    async def agent_router(session: Any, router_id: str) -> Router:
        row: Router | None = await session.get(Router, router_id)
        if row is None:
            raise errors.RouterNotFound(router_id=router_id)
        return row
