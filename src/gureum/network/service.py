"""The Network service on one screen: routes, policies, fault dialect, token checking."""

from __future__ import annotations

from pathlib import Path

from gureum.core.api import Router, ServiceApp
from gureum.core.auth import Authenticator
from gureum.core.policy import PolicyEngine
from gureum.network import policies
from gureum.network.api import (
    agents,
    auto_allocation,
    availability,
    discovery,
    floating_ips,
    networks,
    ports,
    quotas,
    rbac,
    routers,
    security_groups,
    subnetpools,
    subnets,
    tags,
)
from gureum.network.manager import NetworkManager

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "network_alembic_version"
SERVICE_TYPE = "network"
PATH = "/networking"


def create_app(manager: NetworkManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(
        discovery.router, networks.router, subnets.router, ports.router, subnetpools.router,
        security_groups.router, routers.router, floating_ips.router, quotas.router,
        rbac.router, tags.router, availability.router, auto_allocation.router, agents.router)
    return ServiceApp(name=SERVICE_TYPE, dialect="neutron", router=router,
                      policy=PolicyEngine(SERVICE_TYPE, policies.RULES, policy_file),
                      authenticator=authenticator, manager=manager)
