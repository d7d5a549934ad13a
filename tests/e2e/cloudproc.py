"""A `gureum` process of its own, and the real `openstack` CLI pointed at it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


class CloudProcess:
    def __init__(self, args: list[str], env: dict[str, str], ready_url: str,
                 log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen([str(BIN / "gureum"), *args], env={**os.environ, **env},
                                     stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gureum exited: {log.read_text()}")
            try:
                httpx.get(ready_url, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"gureum did not answer in 60s: {log.read_text()}")

    def terminate(self, timeout: float = 15) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log_file.close()


class OpenStackCLI:
    def __init__(self, clouds_yaml: Path, cloud: str = "gureum") -> None:
        self.env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "OS_CLOUD": cloud}

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(BIN / "openstack"), *args], env={**self.env, **env},
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args: str, **env: str) -> Any:
        return json.loads(self.run(*args, "-f", "json", **env).stdout)
