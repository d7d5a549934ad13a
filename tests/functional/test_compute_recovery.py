"""Restarts never leave a server in a transitional state forever: a request whose message
was lost (the bus forgets on a restart) is finished by the scheduler's and the agents'
resync, as nova-compute does on start."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    messages_lost,
    wait_deleted,
    wait_status,
)
from tests.functional.volume_helpers import create_volume, volume_client, wait_for
from tests.harness import RunningCloud, unique


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


def migration_of(cloud: RunningCloud, server_id: str) -> dict[str, Any]:
    with compute_client(cloud, "admin", "2.59") as admin:
        found: dict[str, Any] = admin.get("/os-migrations", params={
            "instance_uuid": server_id}).json()["migrations"][0]
    return found


def until(condition: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_a_resize_whose_step_was_lost_is_finished_by_the_destination(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    server = create_server(nova, image)
    wait_status(nova, server["id"], {"ACTIVE"})
    with messages_lost(cloud, "finish_resize") as lost:
        assert nova.post(f"/servers/{server['id']}/action",
                         json={"resize": {"flavorRef": "84"}}).status_code == 202
        until(lambda: bool(lost))
    migration = migration_of(cloud, server["id"])
    assert migration["status"] == "post-migrating"
    shown = nova.get(f"/servers/{server['id']}").json()["server"]
    assert shown["OS-EXT-STS:task_state"] == "resize_migrated"
    source = cloud.cloud.compute_agents[migration["source_compute"]]
    cloud.run(source.resync_after_start())  # not the source's step
    assert migration_of(cloud, server["id"])["status"] == "post-migrating"
    destination = cloud.cloud.compute_agents[migration["dest_compute"]]
    cloud.run(destination.resync_after_start())
    resized = wait_status(nova, server["id"], {"VERIFY_RESIZE"})
    assert resized["OS-EXT-SRV-ATTR:host"] == migration["dest_compute"]
    assert nova.post(f"/servers/{server['id']}/action",
                     json={"confirmResize": None}).status_code == 204
    assert wait_status(nova, server["id"], {"ACTIVE"})["flavor"]["id"] == "84"
    assert nova.delete(f"/servers/{server['id']}").status_code == 204


def test_a_live_migration_cut_midway_fails_back_to_its_source(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    server = create_server(nova, image)
    source = wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
    with messages_lost(cloud, "live_migrate") as lost:
        assert nova.post(f"/servers/{server['id']}/action", json={"os-migrateLive": {
            "host": None, "block_migration": "auto"}}
        ).status_code == 202
        until(lambda: bool(lost))
    migration = migration_of(cloud, server["id"])
    conductor = cloud.cloud.conductor
    # the source's agent had begun (preparing) when it went away
    assert cloud.run(conductor.move_step(migration["uuid"], "preparing", None, "queued"))
    cloud.run(cloud.cloud.compute_agents[source].resync_after_start())
    back = wait_status(nova, server["id"], {"ACTIVE"})
    assert (back["OS-EXT-SRV-ATTR:host"], back["OS-EXT-STS:task_state"]) == (source, None)
    assert migration_of(cloud, server["id"])["status"] == "error"
    action = nova.get(f"/servers/{server['id']}/os-instance-actions").json()[
        "instanceActions"][0]
    events = nova.get(f"/servers/{server['id']}/os-instance-actions/"
                      f"{action['request_id']}").json()["instanceAction"]["events"]
    assert (action["action"], [(e["event"], e["result"]) for e in events]) == (
        "live-migration", [("compute_live_migration", "Error")])
    # and one whose message was lost is carried out by its source's resync
    with messages_lost(cloud, "live_migrate") as lost:
        assert nova.post(f"/servers/{server['id']}/action", json={"os-migrateLive": {
            "host": None, "block_migration": "auto"}}
        ).status_code == 202
        until(lambda: bool(lost))
    cloud.run(cloud.cloud.compute_agents[source].resync_after_start())
    until(lambda: nova.get(f"/servers/{server['id']}").json()["server"][
        "OS-EXT-SRV-ATTR:host"] != source)
    assert migration_of(cloud, server["id"])["status"] == "completed"
    assert nova.delete(f"/servers/{server['id']}").status_code == 204


def test_a_swap_whose_message_was_lost_is_finished_by_the_agent(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    server = create_server(nova, image)
    host = wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
    with volume_client(cloud, "admin", "3.44") as volumes:
        old, new = (create_volume(volumes)["id"] for _ in range(2))
        assert nova.post(f"/servers/{server['id']}/os-volume_attachments", json={
            "volumeAttachment": {"volumeId": old}}).status_code == 200
        wait_for(volumes, f"/volumes/{old}", "volume", {"in-use"})
        with messages_lost(cloud, "swap_volume") as lost:
            assert nova.put(f"/servers/{server['id']}/os-volume_attachments/{old}", json={
                "volumeAttachment": {"volumeId": new}}).status_code == 202
        assert lost and volumes.get(f"/volumes/{new}").json()["volume"]["status"] == \
            "reserved"
        cloud.run(cloud.cloud.compute_agents[host].resync_after_start())
        wait_for(volumes, f"/volumes/{new}", "volume", {"in-use"})
        wait_for(volumes, f"/volumes/{old}", "volume", {"available"})
        attached = nova.get(f"/servers/{server['id']}/os-volume_attachments").json()[
            "volumeAttachments"]
        assert [a["volumeId"] for a in attached] == [new]
        assert nova.delete(f"/servers/{server['id']}").status_code == 204
        wait_deleted(nova, server["id"])
        for volume_id in (old, new):
            wait_for(volumes, f"/volumes/{volume_id}", "volume", {"available"})
            volumes.delete(f"/volumes/{volume_id}")
