"""What the compute tests share: httpx clients on the v2.1 API at a microversion, a
bootable image, waiting for a server's status, and messages lost on the bus."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.harness import RunningCloud, unique


def compute_client(cloud: RunningCloud, user: str, version: str | None = "2.37",
                   project: str | None = None, token: str | None = None) -> httpx.Client:
    headers = {"X-Auth-Token": token or cloud.token(user, project or user)}
    if version:
        headers["OpenStack-API-Version"] = f"compute {version}"
    return httpx.Client(base_url=f"{cloud.url}/compute/v2.1", timeout=60, headers=headers)


def image_client(cloud: RunningCloud, user: str) -> httpx.Client:
    """An httpx client on the Image v2 API as `user` (on the project of that name)."""
    return httpx.Client(base_url=f"{cloud.url}/image/v2", timeout=60,
                        headers={"X-Auth-Token": cloud.token(user, user)})


def public_image(cloud: RunningCloud, name: str = "compute-test-image") -> str:
    """A small active public image (made once per cloud)."""
    with image_client(cloud, "admin") as image:
        found = image.get("/images", params={"name": name}).json()["images"]
        if found and found[0]["status"] == "active":
            return str(found[0]["id"])
        made = image.post("/images", json={"name": name, "disk_format": "raw",
                                           "container_format": "bare",
                                           "visibility": "public"}).json()
        uploaded = image.put(f"/images/{made['id']}/file", content=b"\0" * 4096,
                             headers={"Content-Type": "application/octet-stream"})
        assert uploaded.status_code == 204, uploaded.text
        return str(made["id"])


def network_id(cloud: RunningCloud, name: str, user: str = "admin") -> str:
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=60,
                      headers={"X-Auth-Token": cloud.token(user, user)}) as net:
        found = net.get("/networks", params={"name": name}).json()["networks"]
    assert found, f"no network {name}"
    return str(found[0]["id"])


def create_server(client: httpx.Client, image: str, networks: Any = "none",
                  flavor: str = "42", **extra: Any) -> dict[str, Any]:
    body = {"server": {"name": extra.pop("name", "srv"), "imageRef": image,
                       "flavorRef": flavor, "networks": networks, **extra}}
    made = client.post("/servers", json=body)
    assert made.status_code == 202, made.text
    return made.json()["server"]  # type: ignore[no-any-return]


def wait_status(client: httpx.Client, server_id: str, statuses: set[str],
                timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/servers/{server_id}")
        assert response.status_code == 200, response.text
        server: dict[str, Any] = response.json()["server"]
        if server["status"] in statuses:
            return server
        assert time.monotonic() < deadline, f"{server_id} still {server['status']}"
        time.sleep(0.05)


def settle(client: httpx.Client, server_id: str, status: str) -> dict[str, Any]:
    """The server in `status` with no task under way."""
    shown = wait_status(client, server_id, {status})
    while shown["OS-EXT-STS:task_state"] is not None:
        shown = wait_status(client, server_id, {status})
    return shown


def act(client: httpx.Client, server_id: str, action: str, argument: Any = None,
        ) -> httpx.Response:
    """`POST /servers/{id}/action` with `{action: argument}`."""
    return client.post(f"/servers/{server_id}/action", json={action: argument})


def wait_deleted(client: httpx.Client, server_id: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while client.get(f"/servers/{server_id}").status_code != 404:
        assert time.monotonic() < deadline, f"{server_id} was not deleted"
        time.sleep(0.05)


def new_project_member(cloud: RunningCloud, prefix: str) -> tuple[str, str]:
    """A fresh project with a member user of its own: (project id, that user's token)."""
    with cloud.client(cloud.token("admin", "admin")) as identity:
        project = identity.post("/v3/projects", json={"project": {
            "name": unique(prefix), "domain_id": "default"}}).json()["project"]
        password = uuid.uuid4().hex
        user = identity.post("/v3/users", json={"user": {
            "name": unique(f"{prefix}-user"), "password": password,
            "domain_id": "default"}}).json()["user"]
        member = identity.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
        identity.put(f"/v3/projects/{project['id']}/users/{user['id']}/roles/{member['id']}")
    return project["id"], cloud.token(user["name"], project["name"], password=password)


@contextmanager
def messages_lost(cloud: RunningCloud, method: str) -> Iterator[list[dict[str, Any]]]:
    """Casts of `method` vanish (as on a restart of the in-process bus) while inside."""
    bus: Any = cloud.cloud.bus
    real_cast = bus.cast
    lost: list[dict[str, Any]] = []

    async def cast(topic: str, name: str, **kwargs: Any) -> None:
        if name == method:
            lost.append(kwargs)
            return
        await real_cast(topic, name, **kwargs)

    bus.cast = cast
    try:
        yield lost
    finally:
        del bus.cast  # the class's own again
