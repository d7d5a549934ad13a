"""What the network control plane and its agents say to each other over the bus.

The server serves `PLUGIN_TOPIC` (neutron's q-plugin): agents report their state there
and ask it for the desired state of what they host. Each agent serves one topic per kind
and host (`network.l2.<host>`, `network.dhcp.<host>`, `network.l3.<host>`) on which the
server casts hints: ids to look at, never state. Payloads are ids and JSON data; the
driver's dataclasses travel encoded (drivers.base.encode/decode)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

PLUGIN_TOPIC = "network.plugin"
KINDS = ("l2", "dhcp", "l3")
VIF_TYPE = "bridge"
VIF_DETAILS = {"port_filter": True, "connectivity": "l2"}
DHCP_OWNER = "network:dhcp"
ROUTER_OWNERS = ("network:router_interface", "network:router_gateway",
                 "network:router_interface_distributed",
                 "network:ha_router_replicated_interface")
# Ports the DHCP and L3 agents wire themselves; the L2 agent leaves them alone.
SERVICE_OWNERS = (DHCP_OWNER, *ROUTER_OWNERS)


@dataclass(frozen=True)
class AgentKind:
    """How neutron names an agent of this kind."""

    kind: str
    agent_type: str
    binary: str
    topic: str
    availability_zone: str | None


AGENT_KINDS = {
    "l2": AgentKind("l2", "Linux bridge agent", "neutron-linuxbridge-agent", "N/A", None),
    "dhcp": AgentKind("dhcp", "DHCP agent", "neutron-dhcp-agent", "dhcp_agent", "nova"),
    "l3": AgentKind("l3", "L3 agent", "neutron-l3-agent", "l3_agent", "nova"),
}
BY_TYPE = {k.agent_type: k for k in AGENT_KINDS.values()}


def agent_topic(kind: str, host: str) -> str:
    return f"network.{kind}.{host}"


def dhcp_device_id(host: str, network_id: str) -> str:
    """neutron's device_id of a DHCP agent's port: one per (host, network)."""
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-{network_id}"
