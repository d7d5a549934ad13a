"""What the compute CLI tests share: a `gureum up` cloud of their module's own, the CLI
as admin and as demo, and a public image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cloudproc import OpenStackCLI, gureum_up


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("compute")
    with gureum_up(folder / "state", GUREUM_IMAGE__DEFAULT_GUEST="false") as state:
        yield state


@pytest.fixture(scope="module")
def admin(state: Path) -> OpenStackCLI:
    return OpenStackCLI(state / "clouds.yaml")


@pytest.fixture(scope="module")
def demo(state: Path) -> OpenStackCLI:
    return OpenStackCLI(state / "clouds.yaml", "gureum-demo")


@pytest.fixture(scope="module")
def image(admin: OpenStackCLI, state: Path) -> str:
    disk = state.parent / "tiny.raw"
    disk.write_bytes(b"\0" * 65536)
    made = admin.json("image", "create", "--file", str(disk), "--disk-format", "raw",
                      "--container-format", "bare", "--public", "cli-image")
    return str(made["id"])
