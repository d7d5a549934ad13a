"""Every route declares its policy (unless public) and every write its schema; every
policy a route names is registered."""

from __future__ import annotations

from pathlib import Path

from gureum.core.bus import InProcessBus
from gureum.identity import service
from gureum.identity.config import IdentitySettings
from gureum.identity.manager import IdentityManager
from gureum.identity.tokens import KeyRepository

BODYLESS_WRITES = {"/v3/auth/tokens"}  # DELETE; grants and tags are PUTs without bodies


def identity_app(tmp_path: Path) -> service.ServiceApp:
    manager = IdentityManager(None, InProcessBus(), IdentitySettings(),  # type: ignore[arg-type]
                              KeyRepository(tmp_path / "k"), KeyRepository(tmp_path / "c"))
    return service.create_app(manager, None, "http://x/identity")


def test_every_route_has_a_registered_policy_or_is_public(tmp_path: Path) -> None:
    app = identity_app(tmp_path)
    registered = app.policy.names()
    for route in app.routes:
        if route.public:
            continue
        assert route.policy, f"{route.method} {route.path} has no policy"
        assert route.policy in registered, f"{route.policy} is not a registered rule"


def test_every_post_and_patch_has_a_schema(tmp_path: Path) -> None:
    for route in identity_app(tmp_path).routes:
        if route.method in ("POST", "PATCH") and route.path not in BODYLESS_WRITES:
            assert route.schema is not None, f"{route.method} {route.path} has no schema"
