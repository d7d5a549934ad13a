"""The network control plane: the only thing the API layer (and the agents' RPC) calls."""

from __future__ import annotations

from gureum.network.manager.agents import Agents
from gureum.network.manager.auto_allocation import AutoAllocation
from gureum.network.manager.availability import Availability
from gureum.network.manager.base import is_admin
from gureum.network.manager.floating_ips import FloatingIPs
from gureum.network.manager.networks import Networks
from gureum.network.manager.ports import Ports
from gureum.network.manager.quotas import Quotas
from gureum.network.manager.rbac import RBACPolicies
from gureum.network.manager.routers import Routers
from gureum.network.manager.security_groups import SecurityGroups
from gureum.network.manager.subnetpools import SubnetPools
from gureum.network.manager.subnets import Subnets
from gureum.network.manager.tags import Tags

__all__ = ["NetworkManager", "is_admin"]


class NetworkManager(AutoAllocation, Agents, FloatingIPs, Routers, SecurityGroups, Ports,
                     Subnets, SubnetPools, Networks, Quotas, RBACPolicies, Tags, Availability):
    """Networks, subnets, ports, security groups, routers, floating IPs, quotas, RBAC and
    agents, over one database and bus."""
