"""/v2.0/agents (neutron's agent, dhcp_agent_scheduler and l3_agent_scheduler
extensions), with /v2.0/networks/{id}/dhcp-agents and /v2.0/routers/{id}/l3-agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import Response

from gureum.core.api import Request, Router
from gureum.core.validation import BOOLEAN, ID, envelope, obj
from gureum.network.api import networks as networks_api
from gureum.network.api import routers as routers_api
from gureum.network.api.collection import list_query, listed
from gureum.network.manager import NetworkManager
from gureum.network.models import Agent

router = Router("/v2.0")

UPDATE_AGENT = envelope("agent", obj({"admin_state_up": BOOLEAN,
                                      "description": {"type": ["string", "null"],
                                                      "maxLength": 255}}))
ADD_NETWORK = obj({"network_id": ID}, ("network_id",))
ADD_ROUTER = obj({"router_id": ID}, ("router_id",))


def agent_time(moment: datetime | None) -> str | None:
    """neutron's format for agents: 2017-09-12 19:39:56."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def agent_view(row: Agent, alive: bool) -> dict[str, Any]:
    return {
        "id": row.id, "agent_type": row.agent_type, "binary": row.binary,
        "host": row.host, "topic": row.topic, "alive": alive,
        "admin_state_up": row.admin_state_up, "availability_zone": row.availability_zone,
        "configurations": row.configurations, "description": row.description,
        "created_at": agent_time(row.created_at), "started_at": agent_time(row.started_at),
        "heartbeat_timestamp": agent_time(row.heartbeat_timestamp),
        "resources_synced": row.resources_synced,
    }


def render(manager: NetworkManager, rows: list[Agent]) -> list[dict[str, Any]]:
    return [agent_view(r, manager.agent_is_alive(r)) for r in rows]


def created() -> Response:
    """neutron answers these POSTs 201 with a JSON null."""
    return Response(b"null", 201, media_type="application/json")


# ------------------------------------------------------------------ agents
@router.get("/agents", policy="get_agent")
async def list_agents(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_agents(req.context, query)
    return listed(req, "agents", render(manager, rows), leftover, query)


@router.get("/agents/{agent_id}", policy="get_agent")
async def show_agent(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_agent(req.context, req.params["agent_id"])
    return {"agent": render(manager, [row])[0]}


@router.put("/agents/{agent_id}", schema=UPDATE_AGENT, policy="update_agent")
async def update_agent(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.update_agent(req.context, req.params["agent_id"], req.body["agent"])
    return {"agent": render(manager, [row])[0]}


@router.delete("/agents/{agent_id}", status=204, policy="delete_agent")
async def delete_agent(req: Request, manager: NetworkManager) -> None:
    await manager.delete_agent(req.context, req.params["agent_id"])


# ------------------------------------------------------------------ DHCP agents
@router.get("/agents/{agent_id}/dhcp-networks", policy="get_dhcp-networks")
async def list_dhcp_networks(req: Request, manager: NetworkManager) -> dict[str, Any]:
    ids = await manager.hosted_by_agent(req.params["agent_id"], "network")
    rows = [await manager.show_network(req.context, i) for i in ids]
    return {"networks": await networks_api.render(req, manager, rows)}


@router.post("/agents/{agent_id}/dhcp-networks", schema=ADD_NETWORK,
             policy="create_dhcp-network")
async def add_dhcp_network(req: Request, manager: NetworkManager) -> Response:
    await manager.add_network_to_dhcp_agent(req.context, req.params["agent_id"],
                                            req.body["network_id"])
    return created()


@router.delete("/agents/{agent_id}/dhcp-networks/{network_id}", status=204,
               policy="delete_dhcp-network")
async def remove_dhcp_network(req: Request, manager: NetworkManager) -> None:
    await manager.remove_network_from_dhcp_agent(req.context, req.params["agent_id"],
                                                 req.params["network_id"])


@router.get("/networks/{network_id}/dhcp-agents", policy="get_dhcp-agents")
async def list_dhcp_agents(req: Request, manager: NetworkManager) -> dict[str, Any]:
    network = await manager.show_network(req.context, req.params["network_id"])
    return {"agents": render(manager, await manager.agents_hosting(network.id, "network"))}


# ------------------------------------------------------------------ L3 agents
@router.get("/agents/{agent_id}/l3-routers", policy="get_l3-routers")
async def list_l3_routers(req: Request, manager: NetworkManager) -> dict[str, Any]:
    ids = await manager.hosted_by_agent(req.params["agent_id"], "router")
    return {"routers": await _routers(req, manager, ids)}


@router.post("/agents/{agent_id}/l3-routers", schema=ADD_ROUTER, policy="create_l3-router")
async def add_l3_router(req: Request, manager: NetworkManager) -> Response:
    await manager.add_router_to_l3_agent(req.context, req.params["agent_id"],
                                         req.body["router_id"])
    return created()


@router.delete("/agents/{agent_id}/l3-routers/{router_id}", status=204,
               policy="delete_l3-router")
async def remove_l3_router(req: Request, manager: NetworkManager) -> None:
    await manager.remove_router_from_l3_agent(req.context, req.params["agent_id"],
                                              req.params["router_id"])


@router.get("/routers/{router_id}/l3-agents", policy="get_l3-agents")
async def list_l3_agents(req: Request, manager: NetworkManager) -> dict[str, Any]:
    router_id = req.params["router_id"]
    async with manager.db.session() as session:
        await manager.agent_router(session, router_id)
    return {"agents": render(manager, await manager.agents_hosting(router_id, "router"))}


async def _routers(req: Request, manager: NetworkManager, ids: list[str],
                   ) -> list[dict[str, Any]]:
    """As GET /v2.0/routers renders them."""
    rows = [await manager.show_router(req.context, i) for i in ids]
    return await routers_api.render(req, manager, rows)
