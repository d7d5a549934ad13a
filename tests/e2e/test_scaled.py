"""Scaled out: two `gureum identity` processes on one PostgreSQL database and one RabbitMQ
broker, driven with the real `openstack` CLI and httpx. What one process changes, the other
must honour at once: a revocation or a disabled user reaches the other process's caches as
a notification over RabbitMQ.

Needs GUREUM_TEST_DATABASE_URL and GUREUM_TEST_RABBIT_URL: `eval "$(scripts/services start)"`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

DATABASE_URL = os.environ.get("GUREUM_TEST_DATABASE_URL")
RABBIT_URL = os.environ.get("GUREUM_TEST_RABBIT_URL")
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.scaled,
    pytest.mark.skipif(not (DATABASE_URL and RABBIT_URL),
                       reason="GUREUM_TEST_DATABASE_URL / GUREUM_TEST_RABBIT_URL not set "
                       "(eval \"$(scripts/services start)\")"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------ a database of our own
def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


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
        yield _with_database(DATABASE_URL, name)
    finally:
        asyncio.run(_admin_sql(DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


# ------------------------------------------------------------------ the processes
@dataclass
class Identity:
    """One `gureum identity` process."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/identity"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=15,
                            headers={"X-Auth-Token": token} if token else {})


@dataclass
class Scaled:
    state_dir: Path
    a: Identity
    b: Identity
    env: dict[str, str]

    @property
    def clouds_yaml(self) -> Path:
        return self.state_dir / "clouds.yaml"

    def passwords(self) -> dict[str, str]:
        return dict(json.loads((self.state_dir / "passwords.json").read_text()))

    def openstack(self, *args: str, via: Identity | None = None) -> str:
        """The real CLI, as a user runs it with the clouds.yaml bootstrap wrote; `via`
        sends authentication to another process than the one clouds.yaml names."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_CLIENT_CONFIG_FILE=str(self.clouds_yaml), OS_CLOUD="gureum")
        command = [str(BIN / "openstack"), *(["--os-auth-url", via.url] if via else []), *args]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (
            f"openstack {' '.join(args)} failed ({result.returncode}):\n{result.stderr}\n"
            f"--- A:\n{self.a.output()}\n--- B:\n{self.b.output()}")
        return result.stdout

    def openstack_json(self, *args: str, via: Identity | None = None) -> Any:
        return json.loads(self.openstack(*args, "-f", "json", via=via))


def gureum_env(database_url: str, **more: str) -> dict[str, str]:
    assert RABBIT_URL is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUREUM_")}
    env.update(GUREUM_DATABASE_URL=database_url, GUREUM_BUS_URL=RABBIT_URL,
               GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS="4", **more)
    return env


def _start_identity(name: str, port: int, state_dir: Path, env: dict[str, str]) -> Identity:
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    log = state_dir.parent / f"identity-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "gureum"), "identity", "--state-dir", str(state_dir), "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    return Identity(name, port, proc, log)


def _wait_ready(identity: Identity, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if identity.proc.poll() is not None:
            pytest.fail(f"identity {identity.name} exited with {identity.proc.returncode}:\n"
                        f"{identity.output()}")
        try:
            if httpx.get(f"{identity.url}/v3", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"identity {identity.name} did not answer in {timeout}s:\n{identity.output()}")


@pytest.fixture(scope="module")
def scaled(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    state_dir = tmp_path_factory.mktemp("scaled") / "state"
    port_a, port_b = free_port(), free_port()
    env = gureum_env(database_url, GUREUM_PUBLIC_URL=f"http://127.0.0.1:{port_a}")
    boot = subprocess.run(
        [str(BIN / "gureum"), "bootstrap", "--state-dir", str(state_dir), "--port", str(port_a)],
        env=env, capture_output=True, text=True, timeout=60)
    assert boot.returncode == 0, f"gureum bootstrap failed:\n{boot.stdout}\n{boot.stderr}"
    assert (state_dir / "clouds.yaml").exists()

    # Both started before either is awaited: they come up side by side, as they would
    # under a process manager.
    a = _start_identity("a", port_a, state_dir, env)
    b = _start_identity("b", port_b, state_dir, env)
    try:
        _wait_ready(a)
        _wait_ready(b)
        yield Scaled(state_dir, a, b, env)
    finally:
        for identity in (a, b):
            if identity.proc.poll() is None:
                identity.proc.kill()
                identity.proc.wait(10)


# ------------------------------------------------------------------ helpers
def password_token(identity: Identity, user: str, password: str, project: str) -> str:
    response = httpx.post(f"{identity.url}/v3/auth/tokens", timeout=15, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}})
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


@pytest.fixture(scope="module")
def admin_token(scaled: Scaled) -> str:
    return password_token(scaled.a, "admin", scaled.passwords()["admin"], "admin")


def validate(identity: Identity, admin_token: str, token: str) -> httpx.Response:
    with identity.client(admin_token) as client:
        return client.get("/v3/auth/tokens", headers={"X-Subject-Token": token})


def within(seconds: float, condition: Callable[[], bool]) -> float:
    """Poll until `condition` holds; the time it took, or fail after `seconds`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not true within {seconds}s")
        time.sleep(0.05)
    return time.monotonic() - started


# ------------------------------------------------------------------ tests
def test_a_token_from_a_validates_on_b(scaled: Scaled, admin_token: str) -> None:
    issued = scaled.openstack_json("token", "issue")
    response = validate(scaled.b, admin_token, issued["id"])
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert token["user"]["name"] == "admin"
    assert token["project"]["id"] == issued["project_id"]
    assert response.headers["X-Subject-Token"] == issued["id"]
    # The catalog names A's URL (GUREUM_PUBLIC_URL), whichever process answered.
    urls = [e["url"] for s in token["catalog"] for e in s["endpoints"]]
    assert urls and all(u.startswith(f"http://127.0.0.1:{scaled.a.port}/") for u in urls)


def test_a_token_from_b_validates_on_a(scaled: Scaled, admin_token: str) -> None:
    issued = scaled.openstack_json("token", "issue", via=scaled.b)
    assert validate(scaled.a, admin_token, issued["id"]).status_code == 200


def test_a_token_revoked_through_a_is_rejected_by_b(scaled: Scaled, admin_token: str) -> None:
    victim = scaled.openstack_json("token", "issue")["id"]
    # B has validated it (and so cached what it knows) before A revokes it.
    assert validate(scaled.b, admin_token, victim).status_code == 200
    scaled.openstack("token", "revoke", victim)
    assert validate(scaled.a, admin_token, victim).status_code == 404
    took = within(3, lambda: validate(scaled.b, admin_token, victim).status_code == 404)
    print(f"revocation reached B in {took:.2f}s")
    with scaled.b.client(victim) as client:
        assert client.get("/v3/auth/projects").status_code == 401
    # Other tokens of the same user are untouched.
    assert validate(scaled.b, admin_token, admin_token).status_code == 200


def test_a_project_created_through_a_is_visible_through_b(scaled: Scaled,
                                                          admin_token: str) -> None:
    name = unique("scaled-project")
    project = scaled.openstack_json("project", "create", "--description", "made on A", name)
    with scaled.b.client(admin_token) as client:
        shown = client.get(f"/v3/projects/{project['id']}")
        listed = client.get("/v3/projects", params={"name": name})
    assert shown.status_code == 200, shown.text
    assert shown.json()["project"]["name"] == name
    assert shown.json()["project"]["description"] == "made on A"
    assert [p["id"] for p in listed.json()["projects"]] == [project["id"]]


def test_a_user_disabled_through_a_loses_its_token_on_b(scaled: Scaled,
                                                        admin_token: str) -> None:
    project = scaled.openstack_json("project", "create", unique("scaled-home"))
    name, password = unique("scaled-user"), uuid.uuid4().hex
    user = scaled.openstack_json("user", "create", "--password", password,
                            "--project", project["id"], name)
    scaled.openstack("role", "add", "--user", user["id"], "--project", project["id"],
                     "member")
    token = password_token(scaled.b, name, password, project["name"])
    with scaled.b.client(token) as client:
        # Used on B first, so B holds the token's document in its cache.
        assert client.get("/v3/auth/projects").status_code == 200
        scaled.openstack("user", "set", "--disable", user["id"])
        took = within(3, lambda: client.get("/v3/auth/projects").status_code == 401)
    print(f"the disabled user reached B in {took:.2f}s")
    assert validate(scaled.b, admin_token, token).status_code == 404
    response = httpx.post(f"{scaled.b.url}/v3/auth/tokens", timeout=15, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user["id"], "password": password}}}}})
    assert response.status_code == 401


def test_sigterm_stops_both_cleanly(scaled: Scaled) -> None:
    for identity in (scaled.a, scaled.b):
        identity.proc.send_signal(signal.SIGTERM)
    for identity in (scaled.a, scaled.b):
        try:
            code = identity.proc.wait(10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"identity {identity.name} still running 10s after SIGTERM:\n"
                        f"{identity.output()}")
        assert code == 0, f"identity {identity.name} exited {code}:\n{identity.output()}"
        assert "Traceback" not in identity.output(), identity.output()


def test_roles_started_side_by_side_on_a_fresh_database_all_come_up(tmp_path: Path) -> None:
    """No bootstrap first: each process migrates on start, and only one may do it."""
    with fresh_database() as url:
        env = gureum_env(url)
        started = [_start_identity(name, free_port(), tmp_path / name / "state", env)
                   for name in ("c", "d", "e")]
        try:
            for identity in started:
                _wait_ready(identity)
        finally:
            for identity in started:
                if identity.proc.poll() is None:
                    identity.proc.send_signal(signal.SIGTERM)
            codes = [identity.proc.wait(10) for identity in started]
        assert codes == [0, 0, 0], "\n".join(i.output() for i in started)
