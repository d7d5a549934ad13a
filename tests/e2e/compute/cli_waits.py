"""Waiting, through the CLI, for a server or a volume to reach a state."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.cloudproc import OpenStackCLI


def wait(cli: OpenStackCLI, server: str, status: str, timeout: float = 30,
         ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown: dict[str, Any] = cli.json("server", "show", server)
        if shown["status"] == status and not shown.get("OS-EXT-STS:task_state"):
            return shown
        assert time.monotonic() < deadline, f"{server} still {shown['status']}"
        time.sleep(0.2)


def volume_status(cli: OpenStackCLI, name: str, wanted: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (status := cli.json("volume", "show", name)["status"]) != wanted:
        assert time.monotonic() < deadline, f"{name} still {status}"
        time.sleep(0.2)
