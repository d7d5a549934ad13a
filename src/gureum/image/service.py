"""The Image service on one screen: routes, policies, fault dialect, token checking."""

from __future__ import annotations

from pathlib import Path

from gureum.core.api import Router, ServiceApp
from gureum.core.auth import Authenticator
from gureum.core.policy import PolicyEngine
from gureum.image import policies
from gureum.image.api import data, discovery, images, imports, members, metadefs
from gureum.image.manager import ImageManager

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "image_alembic_version"
SERVICE_TYPE = "image"
PATH = "/image"


def create_app(manager: ImageManager, authenticator: Authenticator,
               policy_file: Path | None) -> ServiceApp:
    router = Router().include(discovery.router, images.router, data.router, members.router,
                              imports.router, metadefs.router)
    return ServiceApp(name=SERVICE_TYPE, dialect="glance", router=router,
                      policy=PolicyEngine(SERVICE_TYPE, policies.RULES, policy_file),
                      authenticator=authenticator, manager=manager)
