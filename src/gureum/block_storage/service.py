"""The Block Storage service (Cinder v3) on one screen: routes, policies, the cinder
fault dialect, the microversion range, and URLs with or without the project id."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.types import Receive, Scope, Send

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
# /v3/{project_id}/volumes and /v3/volumes are the same resource (3.67 made the project
# id optional; it was always the token's that counted). Keystone's ids are 32 hex digits;
# uuids with dashes are accepted too.
PROJECT_IN_URL = re.compile(r"^/v3/(?:[0-9a-f]{32}|[0-9a-f-]{36})(?=/|$)")


class BlockStorageApp(ServiceApp):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path: str = scope["path"]
            route = path[len(root):] if path.startswith(root) else path
            stripped = PROJECT_IN_URL.sub("/v3", route, count=1)
            if stripped != route:
                scope = {**scope, "path": root + stripped,
                         "raw_path": (root + stripped).encode()}
        await super().__call__(scope, receive, send)


def create_app(manager: BlockStorageManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(
        discovery.router, volumes.router, actions.router, snapshots.router, types.router,
        attachments.router, quotas.router, services.router, transfers.router, backups.router)
    return BlockStorageApp(
        name=SERVICE_TYPE, dialect="cinder", router=router,
        policy=PolicyEngine("block_storage", policies.RULES, policy_file),
        authenticator=authenticator, manager=manager,
        microversions=Microversions("volume", discovery.MIN_VERSION, discovery.MAX_VERSION))
