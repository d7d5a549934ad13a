"""The Network service on one screen: routes, policies, fault dialect, token checking."""

from __future__ import annotations

from pathlib import Path

from gureum.core.api import Router, ServiceApp
from gureum.core.auth import Authenticator
from gureum.core.policy import PolicyEngine
from gureum.network import policies
from gureum.network.api import discovery, networks, ports, subnets
from gureum.network.manager import NetworkManager

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "network_alembic_version"
SERVICE_TYPE = "network"
PATH = "/networking"


def create_app(manager: NetworkManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(discovery.router, networks.router, subnets.router, ports.router)
    return ServiceApp(name=SERVICE_TYPE, dialect="neutron", router=router,
                      policy=PolicyEngine(SERVICE_TYPE, policies.RULES, policy_file),
                      authenticator=authenticator, manager=manager)
