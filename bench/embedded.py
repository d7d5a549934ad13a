"""`gureum up` for a benchmark: on a temp state dir and a free port, with cheap bcrypt
(password checks are not what these benchmarks measure), and an admin token."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent


@dataclass
class Embedded:
    base: str  # http://127.0.0.1:PORT
    token: str  # admin on project admin
    server: subprocess.Popen[bytes]
    work: Path  # a temp dir, removed afterwards (the state dir is work/state)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def embedded_cloud(name: str, ready_path: str, **env: str) -> Iterator[Embedded]:
    """The cloud, once `ready_path` answers; `env`: more GUREUM_* settings."""
    work = Path(tempfile.mkdtemp(prefix=f"gureum-bench-{name}-", dir=os.environ.get("TMPDIR")))
    state, port = work / "state", free_port()
    environ = {**os.environ, "GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
               "GUREUM_IMAGE__DEFAULT_GUEST": "false", **env}
    server = subprocess.Popen([str(VENV_BIN / "gureum"), "up", "--state-dir", str(state),
                               "--port", str(port)], env=environ, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                httpx.get(f"{base}{ready_path}", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        password = json.loads((state / "passwords.json").read_text())["admin"]
        token = httpx.post(f"{base}/identity/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        ).headers["X-Subject-Token"]
        yield Embedded(base, token, server, work)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)
