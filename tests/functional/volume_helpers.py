"""What the block storage tests share: httpx clients on the v3 API, waiting for a
status, and reaching the in-process volume agents' fake drivers."""

from __future__ import annotations

import time
from typing import Any

import httpx

from gureum.block_storage.drivers.fake import FakeVolumeDriver
from tests.harness import RunningCloud

LATEST = {"OpenStack-API-Version": "volume 3.44"}


def volume_client(cloud: RunningCloud, user: str, version: str | None = None,
                  ) -> httpx.Client:
    headers = {"X-Auth-Token": cloud.token(user, user)}
    if version:
        headers["OpenStack-API-Version"] = f"volume {version}"
    return httpx.Client(base_url=f"{cloud.url}/volume/v3", timeout=60, headers=headers)


def wait_for(client: httpx.Client, path: str, key: str, statuses: set[str],
              timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()[key]
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"{path} still {body['status']}"
        time.sleep(0.05)


def wait_gone(client: httpx.Client, path: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while client.get(path).status_code != 404:
        assert time.monotonic() < deadline, f"{path} still there"
        time.sleep(0.05)


def create_volume(client: httpx.Client, wait: str | None = "available",
                  **spec: Any) -> dict[str, Any]:
    spec.setdefault("size", 1)
    response = client.post("/volumes", json={"volume": spec})
    assert response.status_code == 202, response.text
    volume: dict[str, Any] = response.json()["volume"]
    if wait is None:
        return volume
    return wait_for(client, f"/volumes/{volume['id']}", "volume", {wait, "error"})


def driver(cloud: RunningCloud, backend: str) -> FakeVolumeDriver:
    agent = cloud.cloud.volume_agents[f"{cloud.settings.block_storage.host}@{backend}"]
    assert isinstance(agent.driver, FakeVolumeDriver)
    return agent.driver


def backend_of(volume: dict[str, Any]) -> str:
    """gureum-volume@fast#ssd → fast."""
    return str(volume["os-vol-host-attr:host"]).split("@", 1)[1].split("#", 1)[0]


def unlimited(cloud: RunningCloud) -> None:
    """The shared cloud's admin and demo projects make many volumes across tests: no
    quota in their way (the quota tests set their own and put this back)."""
    with volume_client(cloud, "admin") as client:
        for user in ("admin", "demo"):
            project = project_id(cloud, user)
            answer = client.put(f"/os-quota-sets/{project}", json={"quota_set": {
                "volumes": -1, "snapshots": -1, "gigabytes": -1}})
            assert answer.status_code == 200, answer.text


def project_id(cloud: RunningCloud, user: str) -> str:
    token = cloud.token(user, user)
    answer = httpx.get(f"{cloud.identity_url}/v3/auth/tokens",
                       headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return str(answer.json()["token"]["project"]["id"])
