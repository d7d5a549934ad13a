"""What the compute CLI tests share: a `gureum up` cloud of their module's own, the CLI
as admin and as demo, and a public image."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cloudproc import CloudProcess, OpenStackCLI
from tests.harness import free_port


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state = tmp_path_factory.mktemp("compute") / "state"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUREUM_")}
    process = CloudProcess(["up", "--state-dir", str(state), "--port", str(port)],
                           {**env, "GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS": "6",
                            "GUREUM_IMAGE__DEFAULT_GUEST": "false"},
                           f"http://127.0.0.1:{port}/identity", state.parent / "gureum.log")
    process.wait_ready()
    yield state
    assert process.terminate() == 0
    assert "Traceback" not in process.output()


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
