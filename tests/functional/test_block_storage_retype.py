"""os-retype over HTTP: in place when the volume's pool fits the new type, a migration to
another backend with `on-demand` (the bytes move agent to agent), none with `never`, and
cinder's refusals."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.functional.volume_helpers import (
    backend_of,
    create_volume,
    driver,
    wait_for,
)
from tests.harness import RunningCloud, unique

pytestmark = pytest.mark.usefixtures("volumes_unlimited")


def retype(client: httpx.Client, volume_id: str, new_type: str,
           policy: str | None = None) -> httpx.Response:
    body: dict[str, str] = {"new_type": new_type}
    if policy:
        body["migration_policy"] = policy
    return client.post(f"/volumes/{volume_id}/action", json={"os-retype": body})


def make_type(client: httpx.Client, prefix: str, **specs: str) -> str:
    name = unique(prefix)
    answer = client.post("/types", json={"volume_type": {"name": name,
                                                         "extra_specs": specs}})
    assert answer.status_code == 200, answer.text
    return name


def test_retype_in_place_and_refusals(vol: httpx.Client) -> None:
    fast = make_type(vol, "fast", volume_backend_name="fast")
    plain = make_type(vol, "plain")
    volume = create_volume(vol, volume_type=fast)
    # the pool it is on fits a type without specs: only the type changes
    assert retype(vol, volume["id"], plain).status_code == 202
    moved = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert moved["volume_type"] == plain
    assert moved["os-vol-host-attr:host"] == volume["os-vol-host-attr:host"]
    # cinder's refusals: the same type, an unknown type, a bad policy, a busy volume
    assert retype(vol, volume["id"], plain).status_code == 400
    assert retype(vol, volume["id"], "no-such-type").status_code == 404
    assert retype(vol, volume["id"], fast, "sometimes").status_code == 400
    vol.post(f"/volumes/{volume['id']}/action", json={"os-reserve": None})
    assert retype(vol, volume["id"], fast).status_code == 400  # attaching


def test_retype_migrates_on_demand_only(cloud: RunningCloud, vol: httpx.Client) -> None:
    fast = make_type(vol, "fast", volume_backend_name="fast")
    bulk = make_type(vol, "bulk", volume_backend_name="bulk")
    volume = create_volume(vol, volume_type=fast)
    driver(cloud, "fast").data[volume["id"]] = b"the volume's bytes"
    # `never` (the default): the volume stays, a message says why
    assert retype(vol, volume["id"], bulk).status_code == 202
    stayed = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert stayed["volume_type"] == fast and backend_of(stayed) == "fast"
    messages = vol.get("/messages", params={"resource_uuid": volume["id"]}).json()
    assert "retype volume" in messages["messages"][0]["user_message"]
    # on-demand: the scheduler finds bulk, the bytes move, the old copy goes
    assert retype(vol, volume["id"], bulk, "on-demand").status_code == 202
    assert vol.get(f"/volumes/{volume['id']}").json()["volume"]["status"] in (
        "retyping", "available")
    deadline = time.monotonic() + 10
    while True:
        moved = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
        if backend_of(moved) == "bulk" or time.monotonic() > deadline:
            break
    assert moved["volume_type"] == bulk and backend_of(moved) == "bulk"
    assert driver(cloud, "bulk").data[volume["id"]] == b"the volume's bytes"
    deadline = time.monotonic() + 5
    while volume["id"] in driver(cloud, "fast").volumes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert volume["id"] not in driver(cloud, "fast").volumes


def test_retype_migration_failure_and_in_use(cloud: RunningCloud, vol: httpx.Client,
                                             ) -> None:
    fast = make_type(vol, "fast", volume_backend_name="fast")
    bulk = make_type(vol, "bulk", volume_backend_name="bulk")
    nowhere = make_type(vol, "nowhere", volume_backend_name="nowhere")
    volume = create_volume(vol, volume_type=fast)
    # no backend fits: back to available, still fast, with a message
    assert retype(vol, volume["id"], nowhere, "on-demand").status_code == 202
    wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    time.sleep(0.2)
    stayed = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert stayed["volume_type"] == fast and backend_of(stayed) == "fast"
    # the copy fails on the target: the volume stays where it was
    driver(cloud, "bulk").fail_next("create_volume")
    assert retype(vol, volume["id"], bulk, "on-demand").status_code == 202
    time.sleep(0.3)
    stayed = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert stayed["volume_type"] == fast and backend_of(stayed) == "fast"
    # an attached volume cannot move (the server would have to swap disks)
    vol.post(f"/volumes/{volume['id']}/action", json={"os-reserve": None})
    vol.post(f"/volumes/{volume['id']}/action",
             json={"os-attach": {"instance_uuid": "c" * 8, "mountpoint": "/dev/vdb"}})
    assert retype(vol, volume["id"], bulk, "on-demand").status_code == 400
