"""Scaled out: two `gureum identity` processes on one PostgreSQL database and one RabbitMQ
broker, driven with the real `openstack` CLI and httpx. What one process changes, the other
must honour at once: a revocation or a disabled user reaches the other process's caches as
a notification over RabbitMQ.

Needs GUREUM_TEST_DATABASE_URL and GUREUM_TEST_RABBIT_URL: `eval "$(scripts/services start)"`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cloudproc import (
    BIN,
    CloudProcess,
    block_storage_role,
    bootstrap,
    compute_role,
    fresh_database,
    headless_role,
    identity_role,
    image_role,
    needs_services,
    network_agent,
    network_role,
    scaled_env,
)
from tests.harness import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.scaled, needs_services]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@dataclass
class Scaled:
    state_dir: Path
    a: CloudProcess
    b: CloudProcess
    database_url: str

    @property
    def clouds_yaml(self) -> Path:
        return self.state_dir / "clouds.yaml"

    def passwords(self) -> dict[str, str]:
        return dict(json.loads((self.state_dir / "passwords.json").read_text()))

    def openstack(self, *args: str, via: CloudProcess | None = None) -> str:
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

    def openstack_json(self, *args: str, via: CloudProcess | None = None) -> Any:
        return json.loads(self.openstack(*args, "-f", "json", via=via))


@pytest.fixture(scope="module")
def scaled(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    state_dir = tmp_path_factory.mktemp("scaled") / "state"
    port_a, port_b = free_port(), free_port()
    env = scaled_env(database_url, GUREUM_PUBLIC_URL=f"http://127.0.0.1:{port_a}")
    bootstrap(state_dir, port_a, env)
    assert (state_dir / "clouds.yaml").exists()
    # Both started before either is awaited: they come up side by side, as they would
    # under a process manager.
    a = identity_role("a", port_a, state_dir, env)
    b = identity_role("b", port_b, state_dir, env)
    try:
        a.wait_ready()
        b.wait_ready()
        yield Scaled(state_dir, a, b, database_url)
    finally:
        for identity in (a, b):
            if identity.proc.poll() is None:
                identity.proc.kill()
                identity.proc.wait(10)


# ------------------------------------------------------------------ helpers
def password_token(identity: CloudProcess, user: str, password: str, project: str) -> str:
    response = httpx.post(f"{identity.url}/v3/auth/tokens", timeout=15, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}})
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


@pytest.fixture(scope="module")
def admin_token(scaled: Scaled) -> str:
    return password_token(scaled.a, "admin", scaled.passwords()["admin"], "admin")


def validate(identity: CloudProcess, admin_token: str, token: str) -> httpx.Response:
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
    base = scaled.a.url.removesuffix("/identity")
    assert urls and all(u.startswith(f"{base}/") for u in urls)
    assert f"{base}/identity" in urls


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


def test_the_image_role_works_beside_them(scaled: Scaled, admin_token: str) -> None:
    """`gureum image` as its own process: PostgreSQL for rows, identity A for tokens (over
    HTTP, as its service user), RabbitMQ for revocations."""
    env = scaled_env(scaled.database_url, GUREUM_PUBLIC_URL=scaled.a.url.removesuffix(
        "/identity"))
    image = image_role(free_port(), scaled.state_dir, env).wait_ready()
    try:
        with httpx.Client(base_url=image.url, timeout=15,
                          headers={"X-Auth-Token": admin_token}) as client:
            made = client.post("/v2/images", json={"name": unique("scaled-image"),
                                                   "disk_format": "raw",
                                                   "container_format": "bare"})
            assert made.status_code == 201, made.text
            url = f"/v2/images/{made.json()['id']}"
            assert client.put(f"{url}/file", content=b"scaled bytes").status_code == 204
            assert client.get(f"{url}/file").content == b"scaled bytes"
            assert client.get(url).json()["status"] == "active"
        victim = scaled.openstack_json("token", "issue")["id"]
        with httpx.Client(base_url=image.url, timeout=15,
                          headers={"X-Auth-Token": victim}) as client:
            assert client.get("/v2/images").status_code == 200
            scaled.openstack("token", "revoke", victim)
            took = within(3, lambda: client.get("/v2/images").status_code == 401)
        print(f"revocation reached the image role in {took:.2f}s")
    finally:
        assert image.terminate(10) == 0, image.output()
    assert "Traceback" not in image.output(), image.output()


def test_network_role_and_an_agent_process(scaled: Scaled, admin_token: str) -> None:
    """`gureum network` and `gureum network-agent --host` as processes of their own: the
    agent registers over RabbitMQ, a port bound to its host becomes ACTIVE, its DHCP
    agent serves the network with a port of its own."""
    env = scaled_env(scaled.database_url, GUREUM_PUBLIC_URL=scaled.a.url.removesuffix(
        "/identity"), GUREUM_NETWORK__REPORT_INTERVAL="2")
    network = network_role(free_port(), scaled.state_dir, env).wait_ready()
    agent = network_agent("scaled-host1", scaled.state_dir, env)
    try:
        with httpx.Client(base_url=f"{network.url}/v2.0", timeout=15,
                          headers={"X-Auth-Token": admin_token}) as client:
            def agents() -> set[str]:
                found = client.get("/agents", params={"host": "scaled-host1"}).json()
                return {a["binary"] for a in found["agents"] if a["alive"]}

            within(30, lambda: len(agents()) == 3)
            net = client.post("/networks", json={"network": {"name": unique("scaled")}}
                              ).json()["network"]
            made = client.post("/subnets", json={"subnet": {
                "network_id": net["id"], "ip_version": 4, "cidr": "10.99.0.0/24"}})
            assert made.status_code == 201, made.text
            port = client.post("/ports", json={"port": {
                "network_id": net["id"], "binding:host_id": "scaled-host1"}}).json()["port"]

            def status() -> str:
                return str(client.get(f"/ports/{port['id']}").json()["port"]["status"])

            within(30, lambda: status() == "ACTIVE")
            shown = client.get(f"/ports/{port['id']}").json()["port"]
            assert shown["binding:vif_type"] == "bridge"
            within(30, lambda: any(p["device_owner"] == "network:dhcp" for p in client.get(
                "/ports", params={"network_id": net["id"]}).json()["ports"]))
    finally:
        agent.terminate()
        assert agent.wait(15) == 0
        assert network.terminate(10) == 0, network.output()
    assert "Traceback" not in network.output(), network.output()


def point_endpoints_at(identity: CloudProcess, admin_token: str, url: str,
                       kinds: tuple[str, ...]) -> dict[str, str]:
    """Register where a service's process runs in the catalog (its service types, every
    interface), as an operator does; the old URLs, to put back."""
    old: dict[str, str] = {}
    with identity.client(admin_token) as client:
        for kind in kinds:
            for found in client.get("/v3/services", params={"type": kind}).json()["services"]:
                for endpoint in client.get("/v3/endpoints", params={
                        "service_id": found["id"]}).json()["endpoints"]:
                    old[endpoint["id"]] = endpoint["url"]
                    answer = client.patch(f"/v3/endpoints/{endpoint['id']}", json={
                        "endpoint": {"url": url + "/" + endpoint["url"].split("/", 3)[3]}})
                    assert answer.status_code == 200, answer.text
    return old


def stop_roles(scaled: Scaled, admin_token: str, old_endpoints: dict[str, str],
               roles: list[CloudProcess]) -> None:
    """Put the catalog back, stop the roles (last started first): each exits 0 and
    logged no traceback."""
    with scaled.a.client(admin_token) as client:
        for endpoint_id, url in old_endpoints.items():
            client.patch(f"/v3/endpoints/{endpoint_id}", json={"endpoint": {"url": url}})
    codes = [role.terminate(15) for role in reversed(roles)]
    for role in roles:
        assert "Traceback" not in role.output(), f"{role.name}:\n{role.output()}"
    assert codes == [0] * len(roles), "\n".join(r.output() for r in roles)


def test_block_storage_roles_as_processes(scaled: Scaled, admin_token: str) -> None:
    """`gureum block-storage`, `volume-scheduler`, `volume-agent` and `backup-agent`, each
    its own process on PostgreSQL and RabbitMQ: a volume made, snapshotted, backed up,
    restored and deleted through the real CLI, each step done by the process it belongs
    to (the volume lands on the agent's host; os-services shows all three). The CLI's
    volume create asks the Image service too: an image process serves it."""
    env = scaled_env(scaled.database_url, GUREUM_PUBLIC_URL=scaled.a.url.removesuffix(
        "/identity"), GUREUM_BLOCK_STORAGE__REPORT_INTERVAL="2")
    port, image_port = free_port(), free_port()
    roles = [block_storage_role(port, scaled.state_dir, env),
             image_role(image_port, scaled.state_dir, env),
             headless_role("volume-scheduler", scaled.state_dir, env),
             headless_role("volume-agent", scaled.state_dir, env, host="scaled-vol"),
             headless_role("backup-agent", scaled.state_dir, env, host="scaled-backup")]
    api = roles[0].wait_ready()
    roles[1].wait_ready()
    old = {**point_endpoints_at(scaled.a, admin_token, f"http://127.0.0.1:{port}",
                                ("block-storage", "volumev3")),
           **point_endpoints_at(scaled.a, admin_token, f"http://127.0.0.1:{image_port}",
                                ("image",))}
    try:
        with httpx.Client(base_url=f"{api.url}/v3", timeout=15,
                          headers={"X-Auth-Token": admin_token,
                                   "OpenStack-API-Version": "volume 3.44"}) as client:
            def status(path: str) -> str:
                shown = client.get(path)
                if shown.status_code == 404:
                    return "gone"
                assert shown.status_code == 200, shown.text
                return str(next(iter(shown.json().values()))["status"])

            def settles(path: str, wanted: str = "available") -> None:
                within(30, lambda: status(path) in (wanted, "error", "error_restoring"))
                assert status(path) == wanted, f"{path}: {status(path)}\n" + "\n".join(
                    f"--- {r.name}:\n{r.output()}" for r in roles)

            def services() -> set[tuple[str, str]]:
                return {(s["binary"], s["host"]) for s in client.get(
                    "/os-services").json()["services"] if s["state"] == "up"}

            within(20, lambda: {b for b, _ in services()} >= {
                "cinder-scheduler", "cinder-volume", "cinder-backup"})
            volume = scaled.openstack_json("volume", "create", "--size", "1",
                                           unique("scaled-vol"))
            settles(f"/volumes/{volume['id']}")
            snapshot = scaled.openstack_json("volume", "snapshot", "create", "--volume",
                                             volume["id"], unique("scaled-snap"))
            settles(f"/snapshots/{snapshot['id']}")
            backup = scaled.openstack_json("volume", "backup", "create", "--name",
                                           unique("scaled-backup"), volume["id"])
            settles(f"/backups/{backup['id']}")
            restored = scaled.openstack_json("volume", "backup", "restore", backup["id"],
                                             unique("scaled-restored"))
            settles(f"/volumes/{restored['volume_id']}")
            listed = scaled.openstack_json("volume", "service", "list")
            hosts = {s["Binary"]: s["Host"] for s in listed}
            assert hosts["cinder-backup"] == "scaled-backup", listed
            assert hosts["cinder-volume"].startswith("scaled-vol@"), listed
            shown = client.get(f"/volumes/{volume['id']}").json()["volume"]
            assert shown["os-vol-host-attr:host"].startswith("scaled-vol@")
            scaled.openstack("volume", "snapshot", "delete", snapshot["id"])
            settles(f"/snapshots/{snapshot['id']}", "gone")
            scaled.openstack("volume", "backup", "delete", backup["id"])
            settles(f"/backups/{backup['id']}", "gone")
            scaled.openstack("volume", "delete", volume["id"], restored["volume_id"])
            settles(f"/volumes/{volume['id']}", "gone")
            settles(f"/volumes/{restored['volume_id']}", "gone")
    finally:
        stop_roles(scaled, admin_token, old, roles)


def test_compute_roles_as_processes(scaled: Scaled, admin_token: str,
                                   tmp_path: Path) -> None:
    """`gureum compute`, `compute-scheduler`, `conductor` and two `compute-agent --host`,
    each its own process on PostgreSQL and RabbitMQ, beside image and network processes
    the catalog points at (services find each other there): two servers booted through
    the real CLI land one on each host with an address, then are deleted and their ports
    freed. The agents reach the database only through the conductor."""
    env = scaled_env(scaled.database_url, GUREUM_PUBLIC_URL=scaled.a.url.removesuffix(
        "/identity"), GUREUM_COMPUTE__REPORT_INTERVAL="2")
    ports = {"compute": free_port(), "image": free_port(), "network": free_port()}
    old = {**point_endpoints_at(scaled.a, admin_token, f"http://127.0.0.1:{ports['compute']}",
                                ("compute",)),
           **point_endpoints_at(scaled.a, admin_token, f"http://127.0.0.1:{ports['image']}",
                                ("image",)),
           **point_endpoints_at(scaled.a, admin_token,
                                f"http://127.0.0.1:{ports['network']}", ("network",))}
    roles = [compute_role(ports["compute"], scaled.state_dir, env),
             image_role(ports["image"], scaled.state_dir, env),
             network_role(ports["network"], scaled.state_dir, env),
             headless_role("conductor", scaled.state_dir, env),
             headless_role("compute-scheduler", scaled.state_dir, env),
             headless_role("compute-agent", scaled.state_dir, env, host="scaled-c1"),
             headless_role("compute-agent", scaled.state_dir, env, host="scaled-c2")]
    try:
        api = roles[0].wait_ready()
        roles[1].wait_ready()
        roles[2].wait_ready()
        with httpx.Client(base_url=f"{api.url}/v2.1", timeout=15,
                          headers={"X-Auth-Token": admin_token}) as client:
            def computes() -> set[str]:
                return {s["host"] for s in client.get("/os-services", params={
                    "binary": "nova-compute"}).json()["services"] if s["state"] == "up"}

            within(30, lambda: computes() == {"scaled-c1", "scaled-c2"})
            disk = tmp_path / "disk.raw"
            disk.write_bytes(b"\0" * 4096)
            image = scaled.openstack_json("image", "create", "--file", str(disk),
                                          "--disk-format", "raw", unique("scaled-image"))
            name = unique("scaled-server")
            scaled.openstack("server", "create", "--image", image["id"], "--flavor",
                             "m1.nano", "--network", "private", "--min", "2", "--max", "2",
                             name)
            listed = client.get("/servers/detail", params={"name": name}).json()["servers"]
            assert len(listed) == 2

            def statuses() -> set[str]:
                return {client.get(f"/servers/{s['id']}").json()["server"]["status"]
                        for s in listed}

            within(30, lambda: statuses() in ({"ACTIVE"}, {"ERROR"}, {"ACTIVE", "ERROR"}))
            shown = [client.get(f"/servers/{s['id']}").json()["server"] for s in listed]
            assert statuses() == {"ACTIVE"}, shown
            assert {s["OS-EXT-SRV-ATTR:host"] for s in shown} == {"scaled-c1", "scaled-c2"}
            assert all(s["addresses"]["private"] for s in shown)
            moved = move_across(client, shown)
            with httpx.Client(base_url=f"http://127.0.0.1:{ports['network']}/networking/v2.0",
                              timeout=15, headers={"X-Auth-Token": admin_token}) as net:
                for server in moved:  # each port bound to the server's new host
                    bound = {p["binding:host_id"] for p in net.get("/ports", params={
                        "device_id": server["id"]}).json()["ports"]}
                    assert bound == {server["OS-EXT-SRV-ATTR:host"]}
            scaled.openstack("server", "delete", "--wait", *[s["id"] for s in shown])
            with httpx.Client(base_url=f"http://127.0.0.1:{ports['network']}/networking/v2.0",
                              timeout=15, headers={"X-Auth-Token": admin_token}) as net:
                for server in shown:
                    assert net.get("/ports", params={"device_id": server["id"]}).json()[
                        "ports"] == []
    finally:
        stop_roles(scaled, admin_token, old, roles)


def move_across(client: httpx.Client, servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first server live-migrated to the other's host, the second cold-migrated to
    the first's old host and confirmed, each agent doing its half: both shown swapped."""
    (first, second), version = servers, {"OpenStack-API-Version": "compute 2.56"}
    hosts = [s["OS-EXT-SRV-ATTR:host"] for s in servers]

    def shown(server: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = client.get(f"/servers/{server['id']}").json()["server"]
        return found

    answer = client.post(f"/servers/{first['id']}/action", headers=version, json={
        "os-migrateLive": {"host": hosts[1], "block_migration": "auto"}})
    assert answer.status_code == 202, answer.text
    within(30, lambda: (shown(first)["status"], shown(first)["OS-EXT-SRV-ATTR:host"]) == (
        "ACTIVE", hosts[1]))
    answer = client.post(f"/servers/{second['id']}/action", headers=version,
                         json={"migrate": {"host": hosts[0]}})
    assert answer.status_code == 202, answer.text
    within(30, lambda: shown(second)["status"] == "VERIFY_RESIZE")
    assert client.post(f"/servers/{second['id']}/action",
                       json={"confirmResize": None}).status_code == 204
    within(30, lambda: (shown(second)["status"], shown(second)["OS-EXT-SRV-ATTR:host"]) == (
        "ACTIVE", hosts[0]))
    return [shown(first), shown(second)]


def test_sigterm_stops_both_cleanly(scaled: Scaled) -> None:
    for identity in (scaled.a, scaled.b):
        code = identity.terminate(10)
        assert code == 0, f"{identity.name} exited {code}:\n{identity.output()}"
        assert "Traceback" not in identity.output(), identity.output()


def test_roles_started_side_by_side_on_a_fresh_database_all_come_up(tmp_path: Path) -> None:
    """No bootstrap first: each process migrates on start, and only one may do it."""
    with fresh_database() as url:
        env = scaled_env(url)
        started = [identity_role(name, free_port(), tmp_path / name / "state", env)
                   for name in ("c", "d", "e")]
        try:
            for identity in started:
                identity.wait_ready()
        finally:
            codes = [identity.terminate(10) for identity in started]
        assert codes == [0, 0, 0], "\n".join(i.output() for i in started)
