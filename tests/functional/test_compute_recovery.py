"""Restarts never leave a server in a transitional state forever: a request whose message
was lost (the bus forgets on a restart) is finished by the scheduler's and the agents'
resync, as nova-compute does on start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.functional.compute_helpers import (
    create_server,
    wait_status,
)
from tests.harness import RunningCloud, unique


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


def test_a_server_whose_schedule_request_was_lost_is_placed_by_the_resync(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    with messages_lost(cloud, "schedule_server") as lost:
        server = create_server(nova, image)
    assert [m["server_id"] for m in lost] == [server["id"]]
    waiting = nova.get(f"/servers/{server['id']}").json()["server"]
    assert (waiting["status"], waiting["OS-EXT-STS:task_state"]) == ("BUILD", "scheduling")
    scheduler = cloud.cloud.compute_scheduler
    assert scheduler is not None
    cloud.run(scheduler.resync(older_than=3600))  # too young to count yet
    assert nova.get(f"/servers/{server['id']}").json()["server"]["status"] == "BUILD"
    cloud.run(scheduler.resync(older_than=0))
    assert wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-STS:power_state"] == 1
    assert nova.delete(f"/servers/{server['id']}").status_code == 204


def test_a_power_action_whose_message_was_lost_is_redone_by_the_agent(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    server = create_server(nova, image)
    host = wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
    with messages_lost(cloud, "server_action"):
        stop = nova.post(f"/servers/{server['id']}/action", json={"os-stop": None})
    assert stop.status_code == 202, stop.text
    stopping = nova.get(f"/servers/{server['id']}").json()["server"]
    assert stopping["OS-EXT-STS:task_state"] == "powering-off"
    # a second request waits its turn, as in nova
    assert nova.post(f"/servers/{server['id']}/action",
                     json={"os-start": None}).status_code == 409
    agent = cloud.cloud.compute_agents[host]
    cloud.run(agent.resync_after_start())
    stopped = wait_status(nova, server["id"], {"SHUTOFF"})
    assert (stopped["OS-EXT-STS:task_state"], stopped["OS-EXT-STS:power_state"]) == (None, 4)
    assert nova.delete(f"/servers/{server['id']}").status_code == 204


def test_actions_on_a_server_that_never_got_a_host_are_refused(
        nova: httpx.Client, image: str) -> None:
    flavor = nova.post("/flavors", json={"flavor": {
        "name": unique("recovery-huge"), "ram": 64, "vcpus": 1, "disk": 100_000}})
    assert flavor.status_code == 200, flavor.text
    flavor_id = flavor.json()["flavor"]["id"]
    try:
        server = create_server(nova, image, flavor=flavor_id)
        assert "No valid host" in wait_status(nova, server["id"], {"ERROR"})["fault"]["message"]
        stop = nova.post(f"/servers/{server['id']}/action", json={"os-stop": None})
        assert stop.status_code == 409, stop.text  # not left "powering-off" for no agent
        assert "is not ready" in stop.json()["conflictingRequest"]["message"]
        shown = nova.get(f"/servers/{server['id']}").json()["server"]
        assert shown["OS-EXT-STS:task_state"] is None
        assert nova.delete(f"/servers/{server['id']}").status_code == 204
    finally:
        nova.delete(f"/flavors/{flavor_id}")
