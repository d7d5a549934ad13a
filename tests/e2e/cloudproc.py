"""`gureum` processes of their own, the real `openstack` CLI pointed at them, and the
PostgreSQL + RabbitMQ set-up of the scaled-out runs."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.harness import free_port

BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("GUREUM_TEST_DATABASE_URL")
RABBIT_URL = os.environ.get("GUREUM_TEST_RABBIT_URL")
needs_services = pytest.mark.skipif(
    not (DATABASE_URL and RABBIT_URL),
    reason="GUREUM_TEST_DATABASE_URL / GUREUM_TEST_RABBIT_URL not set "
    "(eval \"$(scripts/services start)\")")


class CloudProcess:
    """`gureum ARGS` in the background; `url` is where its Identity API answers."""

    def __init__(self, args: list[str], env: dict[str, str], url: str, log: Path,
                 name: str = "gureum", ready_path: str = "/v3") -> None:
        self.name = name
        self.url = url
        self.ready_path = ready_path
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            self.proc = subprocess.Popen([str(BIN / "gureum"), *args], env=env, stdout=out,
                                         stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> CloudProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}{self.ready_path}", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"{self.name} did not answer in {timeout}s:\n{self.output()}")

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=15,
                            headers={"X-Auth-Token": token} if token else {})

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM, and the exit code (failing if it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"{self.name} still running {timeout}s after SIGTERM:\n"
                        f"{self.output()}")


@contextmanager
def gureum_up(state: Path, **settings: str) -> Iterator[Path]:
    """`gureum up` on its embedded defaults (bcrypt made cheap; `settings` are more
    GUREUM_* variables) on a free port, its state in `state`; stopped cleanly after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUREUM_")}
    process = CloudProcess(["up", "--state-dir", str(state), "--port", str(port)],
                           {**env, "GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS": "6", **settings},
                           f"http://127.0.0.1:{port}/identity", state.parent / "gureum.log")
    process.wait_ready()
    yield state
    assert process.terminate() == 0
    assert "Traceback" not in process.output()


class OpenStackCLI:
    """The real `openstack` CLI for one cloud of a clouds.yaml, run through the one
    `openstack_forks` process (a fork per command, so each runs as a fresh CLI)."""

    def __init__(self, clouds_yaml: Path, cloud: str = "gureum") -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        self.env = {**env, "OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "OS_CLOUD": cloud}

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        result = _FORKS.run(list(args), {**self.env, **env}, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args: str, **env: str) -> Any:
        return json.loads(self.run(*args, "-f", "json", **env).stdout)


class _OpenStackForks:
    """The `openstack_forks` process, started on first use and for the whole session."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()
        self.dir = Path(tempfile.mkdtemp(prefix="openstack-cli-"))

    def run(self, args: list[str], env: dict[str, str], timeout: float,
            ) -> subprocess.CompletedProcess[str]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = subprocess.Popen(
                    [sys.executable, str(Path(__file__).with_name("openstack_forks.py"))],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                atexit.register(self.proc.kill)
            out, err = self.dir / "stdout", self.dir / "stderr"
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps({"args": args, "env": env, "timeout": timeout,
                                              "stdout": str(out), "stderr": str(err)}) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if not answer:
                raise AssertionError("the openstack_forks process died")
            code = json.loads(answer)["returncode"]
            return subprocess.CompletedProcess(["openstack", *args], code,
                                               out.read_text(), err.read_text())


_FORKS = _OpenStackForks()


# ------------------------------------------------------------------ scaled out
async def _admin_sql(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    assert DATABASE_URL is not None
    name = f"gureum_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_sql(DATABASE_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin_sql(DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def scaled_env(database_url: str, **more: str) -> dict[str, str]:
    """The environment of a scaled-out role: PostgreSQL, RabbitMQ, cheap bcrypt."""
    assert RABBIT_URL is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUREUM_")}
    env.update(GUREUM_DATABASE_URL=database_url, GUREUM_BUS_URL=RABBIT_URL,
               GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS="4", **more)
    return env


def bootstrap(state_dir: Path, port: int, env: dict[str, str]) -> None:
    done = subprocess.run([str(BIN / "gureum"), "bootstrap", "--state-dir", str(state_dir),
                           "--port", str(port)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"gureum bootstrap failed:\n{done.stdout}\n{done.stderr}"


def identity_role(name: str, port: int, state_dir: Path, env: dict[str, str]
                  ) -> CloudProcess:
    """`gureum identity` alone, as a scaled-out deployment runs it (not yet awaited)."""
    return CloudProcess(["identity", "--state-dir", str(state_dir), "--port", str(port)],
                        env, f"http://127.0.0.1:{port}/identity",
                        state_dir.parent / f"identity-{name}.log", name=f"identity {name}")


def image_role(port: int, state_dir: Path, env: dict[str, str]) -> CloudProcess:
    """`gureum image` alone: it checks tokens with the identity process over HTTP."""
    return CloudProcess(["image", "--state-dir", str(state_dir), "--port", str(port)],
                        env, f"http://127.0.0.1:{port}/image",
                        state_dir.parent / "image.log", name="image",
                        ready_path="/healthcheck")


def network_role(port: int, state_dir: Path, env: dict[str, str]) -> CloudProcess:
    """`gureum network` alone: the Network API and the agents' RPC server."""
    return CloudProcess(["network", "--state-dir", str(state_dir), "--port", str(port)],
                        env, f"http://127.0.0.1:{port}/networking",
                        state_dir.parent / "network.log", name="network",
                        ready_path="/healthcheck")


def network_agent(host: str, state_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`gureum network-agent` for one host: no API, no database, only RabbitMQ."""
    log = (state_dir.parent / f"agent-{host}.log").open("wb")
    return subprocess.Popen([str(BIN / "gureum"), "network-agent", "--state-dir",
                             str(state_dir), "--host", host], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def block_storage_role(port: int, state_dir: Path, env: dict[str, str]) -> CloudProcess:
    """`gureum block-storage` alone: the Block Storage API and the agents' RPC server."""
    return CloudProcess(["block-storage", "--state-dir", str(state_dir), "--port", str(port)],
                        env, f"http://127.0.0.1:{port}/volume",
                        state_dir.parent / "block-storage.log", name="block-storage",
                        ready_path="/healthcheck")


def compute_role(port: int, state_dir: Path, env: dict[str, str]) -> CloudProcess:
    """`gureum compute` alone: the Compute API (and nova's metadata API)."""
    return CloudProcess(["compute", "--state-dir", str(state_dir), "--port", str(port)],
                        env, f"http://127.0.0.1:{port}/compute",
                        state_dir.parent / "compute.log", name="compute",
                        ready_path="/healthcheck")


def headless_role(role: str, state_dir: Path, env: dict[str, str], host: str | None = None,
                  ) -> CloudProcess:
    """A role without an API (volume-scheduler, volume-agent, backup-agent): no URL to
    wait on; it is up once it says so in its log."""
    args = [role, "--state-dir", str(state_dir), *(["--host", host] if host else [])]
    return CloudProcess(args, env, "", state_dir.parent / f"{role}-{host or 'any'}.log",
                        name=role)
