"""The Compute service (Nova v2.1) on one screen: routes, policies, the nova fault
dialect, the microversion range, and URLs with or without the project id."""

from __future__ import annotations

from pathlib import Path

from gureum.compute import policies
from gureum.compute.api import (
    actions,
    aggregates,
    consoles,
    discovery,
    flavors,
    hypervisors,
    interfaces,
    keypairs,
    limits,
    metadata,
    moves,
    quotas,
    server_groups,
    servers,
    services,
    tags,
    usage,
    volume_attachments,
    zones,
)
from gureum.compute.manager import ComputeManager
from gureum.core.api import Microversions, Router, ServiceApp
from gureum.core.auth import Authenticator
from gureum.core.policy import PolicyEngine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "compute_alembic_version"
SERVICE_TYPE = "compute"
PATH = "/compute"
# nova's metadata API (as neutron's metadata proxy reaches it; see metadata_api.py)
METADATA_PATH = "/metadata"


def create_app(manager: ComputeManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(discovery.router, servers.router, actions.router, metadata.router,
                              tags.router, flavors.router, keypairs.router, limits.router,
                              server_groups.router, services.router, hypervisors.router,
                              zones.router, aggregates.router, quotas.router,
                              usage.router, volume_attachments.router,
                              interfaces.router, moves.router, consoles.router)
    return ServiceApp(
        name=SERVICE_TYPE, dialect="nova", router=router,
        policy=PolicyEngine("compute", policies.RULES, policy_file),
        authenticator=authenticator, manager=manager, project_in_url="/v2.1",
        microversions=Microversions("compute", discovery.MIN_VERSION, discovery.MAX_VERSION,
                                    legacy_header="X-OpenStack-Nova-API-Version"))
