"""The Block Storage service (Cinder v3) on one screen: routes, policies, the cinder
fault dialect, the microversion range, and URLs with or without the project id."""

from __future__ import annotations

from pathlib import Path

from gureum.block_storage import policies
from gureum.block_storage.api import (
    actions,
    attachments,
    backups,
    discovery,
    quotas,
    services,
    snapshots,
    transfers,
    types,
    volumes,
)
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Microversions, Router, ServiceApp
from gureum.core.auth import Authenticator
from gureum.core.policy import PolicyEngine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "block_storage_alembic_version"
SERVICE_TYPE = "block-storage"
PATH = "/volume"


def create_app(manager: BlockStorageManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(
        discovery.router, volumes.router, actions.router, snapshots.router, types.router,
        attachments.router, quotas.router, services.router, transfers.router, backups.router)
    return ServiceApp(
        name=SERVICE_TYPE, dialect="cinder", router=router,
        policy=PolicyEngine("block_storage", policies.RULES, policy_file),
        authenticator=authenticator, manager=manager, project_in_url="/v3",
        microversions=Microversions("volume", discovery.MIN_VERSION, discovery.MAX_VERSION))
