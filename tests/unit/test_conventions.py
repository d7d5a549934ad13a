"""Every route declares its policy (unless public) and every POST and PATCH its schema;
every policy a route names is registered. For every service."""

from __future__ import annotations

from pathlib import Path

import pytest

from gureum.block_storage import service as block_storage
from gureum.block_storage.config import BlockStorageSettings
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import ServiceApp
from gureum.core.bus import InProcessBus
from gureum.identity import service as identity
from gureum.identity.config import IdentitySettings
from gureum.identity.manager import IdentityManager
from gureum.identity.tokens import KeyRepository
from gureum.image import service as image
from gureum.image.manager import ImageManager
from gureum.image.store import FilesystemStore
from gureum.network import service as network
from gureum.network.config import NetworkSettings
from gureum.network.manager import NetworkManager

# Writes that take no body: DELETE of a token; actions named by their URL.
BODYLESS = {"/v3/auth/tokens", "/v2/images/{image_id}/actions/deactivate",
            "/v2/images/{image_id}/actions/reactivate",
            "/v2/metadefs/namespaces/{namespace}/tags/{name}"}  # the name is in the path


def apps(tmp_path: Path) -> list[ServiceApp]:
    bus = InProcessBus()
    manager = IdentityManager(None, bus, IdentitySettings(),  # type: ignore[arg-type]
                              KeyRepository(tmp_path / "k"), KeyRepository(tmp_path / "c"))
    stores = {"file": FilesystemStore(tmp_path / "i")}
    images = ImageManager(None, bus, stores, FilesystemStore(tmp_path / "s"))  # type: ignore[arg-type]
    networks = NetworkManager(None, bus, NetworkSettings())  # type: ignore[arg-type]
    volumes = BlockStorageManager(None, bus, BlockStorageSettings())  # type: ignore[arg-type]
    return [identity.create_app(manager, None, "http://x/identity"),
            image.create_app(images, identity.LocalAuthenticator(manager), None),
            network.create_app(networks, identity.LocalAuthenticator(manager), None),
            block_storage.create_app(volumes, identity.LocalAuthenticator(manager), None)]


SERVICES = pytest.mark.parametrize("index", [0, 1, 2, 3],
                                   ids=["identity", "image", "network", "block-storage"])


@SERVICES
def test_every_route_has_a_registered_policy_or_is_public(tmp_path: Path, index: int) -> None:
    app = apps(tmp_path)[index]
    registered = app.policy.names()
    for route in app.routes:
        if route.public:
            continue
        assert route.policy, f"{route.method} {route.path} has no policy"
        assert route.policy in registered, f"{route.policy} is not a registered rule"


@SERVICES
def test_every_post_and_patch_has_a_schema(tmp_path: Path, index: int) -> None:
    """And every network and block storage PUT: neutron and cinder update with PUT and
    a body."""
    app = apps(tmp_path)[index]
    writes = (("POST", "PATCH", "PUT") if app.name in ("network", "block-storage")
              else ("POST", "PATCH"))
    for route in app.routes:
        if route.method in writes and route.path not in BODYLESS:
            assert route.schema is not None, f"{route.method} {route.path} has no schema"
