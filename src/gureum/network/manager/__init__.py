"""The network control plane: the only thing the API layer (and the agents' RPC) calls."""

from __future__ import annotations

from gureum.network.manager.base import is_admin
from gureum.network.manager.networks import Networks
from gureum.network.manager.ports import Ports
from gureum.network.manager.subnets import Subnets

__all__ = ["NetworkManager", "is_admin"]


class NetworkManager(Ports, Subnets, Networks):
    """Networks, subnets, ports, security groups, routers, floating IPs, quotas, RBAC and
    agents, over one database and bus."""
