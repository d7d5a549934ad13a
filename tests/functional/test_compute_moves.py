"""Moving servers (issue 7): resize to VERIFY_RESIZE then confirm or revert, cold and
live migration between the fake hosts, the migration records, and the claims following
the server (hypervisor usage shows where it is)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.functional.compute_helpers import (
    act,
    compute_client,
    create_server,
    messages_lost,
    network_id,
    settle,
    wait_deleted,
)
from tests.harness import RunningCloud, unique


@pytest.fixture()
def admin(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with compute_client(cloud, "admin", "2.80") as client:
        yield client




def host_of(admin: httpx.Client, server_id: str) -> str:
    return str(admin.get(f"/servers/{server_id}").json()["server"]["OS-EXT-SRV-ATTR:host"])


def used(admin: httpx.Client) -> dict[str, int]:
    """Each host's RAM in use."""
    return {h["hypervisor_hostname"]: h["memory_mb_used"] for h in admin.get(
        "/os-hypervisors/detail", headers={"OpenStack-API-Version": "compute 2.87"}
    ).json()["hypervisors"]}


def test_resize_confirm_and_revert(cloud: RunningCloud, admin: httpx.Client,
                                   demo_nova: httpx.Client, image: str) -> None:
    made = create_server(demo_nova, image, networks=[
        {"uuid": network_id(cloud, "private", "demo")}], name=unique("resize"))
    before = settle(demo_nova, made["id"], "ACTIVE")
    source = host_of(admin, made["id"])
    start = used(admin)
    nano, micro = (admin.get(f"/flavors/{f}").json()["flavor"]["ram"] for f in ("42", "84"))
    assert act(demo_nova, made["id"], "resize", {"flavorRef": "84"}).status_code == 202
    resized = settle(demo_nova, made["id"], "VERIFY_RESIZE")
    assert resized["flavor"]["id"] == "84" and resized["addresses"] == before["addresses"]
    target = host_of(admin, made["id"])
    assert target != source  # compute.allow_resize_to_same_host is off
    during = used(admin)  # both ends held until it is confirmed
    assert during[source] == start[source] and during[target] == start[target] + micro
    assert act(demo_nova, made["id"], "confirmResize").status_code == 204
    settle(demo_nova, made["id"], "ACTIVE")
    after = used(admin)
    assert after[source] == start[source] - nano and after[target] == start[target] + micro
    migrations = admin.get("/os-migrations", params={"instance_uuid": made["id"]}).json()[
        "migrations"]
    assert [(m["migration_type"], m["status"], m["source_compute"], m["dest_compute"])
            for m in migrations] == [("resize", "confirmed", source, target)]
    assert migrations[0]["new_instance_type_id"] == "84" and len(migrations[0]["uuid"]) == 36
    # a revert: back to the old flavor on the old host
    assert act(demo_nova, made["id"], "resize", {"flavorRef": "1"}).status_code == 202
    settle(demo_nova, made["id"], "VERIFY_RESIZE")
    assert act(demo_nova, made["id"], "revertResize").status_code == 202
    back = settle(demo_nova, made["id"], "ACTIVE")
    assert back["flavor"]["id"] == "84" and host_of(admin, made["id"]) == target
    assert used(admin)[target] == start[target] + micro
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{made['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:4] == ["revertResize", "resize", "confirmResize", "resize"]
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])
    assert used(admin) == {h: u - (nano if h == source else 0) for h, u in start.items()}


def test_resize_refusals(demo_nova: httpx.Client, image: str) -> None:
    made = create_server(demo_nova, image, name=unique("resize"), flavor="84")
    settle(demo_nova, made["id"], "ACTIVE")
    same = act(demo_nova, made["id"], "resize", {"flavorRef": "84"})
    assert same.status_code == 400 and "must change flavor" in same.text
    assert act(demo_nova, made["id"], "resize", {"flavorRef": "nope"}).status_code == 400
    assert act(demo_nova, made["id"], "confirmResize").status_code == 409
    assert act(demo_nova, made["id"], "migrate").status_code == 403  # admins only
    statuses = {act(demo_nova, made["id"], "resize", {"flavorRef": "1"}).status_code
                for _ in range(3)}
    assert 202 in statuses and statuses <= {202, 409}
    settle(demo_nova, made["id"], "VERIFY_RESIZE")
    assert act(demo_nova, made["id"], "revertResize").status_code == 202
    settle(demo_nova, made["id"], "ACTIVE")
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_cold_and_live_migration(cloud: RunningCloud, admin: httpx.Client,
                                 image: str) -> None:
    made = create_server(admin, image, name=unique("moving"))
    settle(admin, made["id"], "ACTIVE")
    hosts = sorted(used(admin))
    first = host_of(admin, made["id"])
    assert act(admin, made["id"], "migrate").status_code == 202
    settle(admin, made["id"], "VERIFY_RESIZE")
    second = host_of(admin, made["id"])
    assert second != first
    assert act(admin, made["id"], "confirmResize").status_code == 204
    settle(admin, made["id"], "ACTIVE")
    # live, to a named host (2.30+)
    third = next(h for h in hosts if h not in (first, second))
    assert act(admin, made["id"], "os-migrateLive", {
        "host": second, "block_migration": "auto"}).status_code == 400  # where it is
    assert act(admin, made["id"], "os-migrateLive", {
        "host": third, "block_migration": "auto"}).status_code == 202
    settle(admin, made["id"], "ACTIVE")
    assert host_of(admin, made["id"]) == third
    # 2.56: a cold migration to a named host
    assert act(admin, made["id"], "migrate", {"host": first}).status_code == 202
    settle(admin, made["id"], "VERIFY_RESIZE")
    assert host_of(admin, made["id"]) == first
    assert act(admin, made["id"], "confirmResize").status_code == 204
    settle(admin, made["id"], "ACTIVE")
    kinds = [(m["migration_type"], m["status"]) for m in admin.get(
        "/os-migrations", params={"instance_uuid": made["id"]}).json()["migrations"]]
    assert kinds == [("migration", "confirmed"), ("live-migration", "completed"),
                     ("migration", "confirmed")]
    live = admin.get("/os-migrations", params={"migration_type": "live-migration",
                                               "host": third}).json()["migrations"]
    assert made["id"] in {m["instance_uuid"] for m in live}
    assert admin.get(f"/servers/{made['id']}/migrations").json() == {"migrations": []}
    paged = admin.get("/os-migrations", params={"instance_uuid": made["id"], "limit": 1})
    assert paged.json()["migrations_links"][0]["rel"] == "next"
    assert admin.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(admin, made["id"])


def test_unconfirmed_resizes_are_confirmed_after_the_window(
        cloud: RunningCloud, demo_nova: httpx.Client, image: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_server(demo_nova, image, name=unique("resize"))
    settle(demo_nova, made["id"], "ACTIVE")
    assert act(demo_nova, made["id"], "resize", {"flavorRef": "84"}).status_code == 202
    settle(demo_nova, made["id"], "VERIFY_RESIZE")
    conductor = cloud.cloud.conductor
    assert conductor is not None
    cloud.run(conductor.confirm_resizes())  # window 0: never
    time.sleep(0.3)
    assert settle(demo_nova, made["id"], "VERIFY_RESIZE")
    monkeypatch.setattr(cloud.settings.compute, "resize_confirm_window", 1)
    time.sleep(1.1)
    cloud.run(conductor.confirm_resizes())
    settle(demo_nova, made["id"], "ACTIVE")
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_evacuate_from_a_host_forced_down(cloud: RunningCloud, admin: httpx.Client,
                                          image: str) -> None:
    made = create_server(admin, image, name=unique("evacuee"))
    settle(admin, made["id"], "ACTIVE")
    source = host_of(admin, made["id"])
    refused = act(admin, made["id"], "evacuate", {})
    assert refused.status_code == 409 and "still in use" in refused.text
    service = next(s for s in admin.get("/os-services", params={
        "binary": "nova-compute", "host": source}).json()["services"])
    assert admin.put(f"/os-services/{service['id']}", json={"forced_down": True}
                     ).status_code == 200
    try:
        with compute_client(cloud, "admin", "2.13") as old:
            assert act(old, made["id"], "evacuate", {}).status_code == 400
            answer = act(old, made["id"], "evacuate", {"onSharedStorage": False})
        assert answer.status_code == 200 and answer.json()["adminPass"]
        back = settle(admin, made["id"], "ACTIVE")
        assert back["OS-EXT-SRV-ATTR:host"] not in (None, source)
        migration = admin.get("/os-migrations", params={
            "instance_uuid": made["id"], "migration_type": "evacuation"}).json()["migrations"]
        assert [(m["status"], m["source_compute"]) for m in migration] == [("done", source)]
        assert act(admin, made["id"], "evacuate", {"onSharedStorage": False}
                   ).status_code == 400  # gone at 2.14
    finally:
        admin.put(f"/os-services/{service['id']}", json={"forced_down": False})
    settle(admin, made["id"], "ACTIVE")
    assert admin.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(admin, made["id"])


def test_live_migrations_aborted_and_forced(cloud: RunningCloud, admin: httpx.Client,
                                            image: str) -> None:
    """2.22 force_complete and 2.24 abort take running live migrations only (2.65: an
    abort queued or preparing ones too); one aborted leaves the server on its source,
    the destination's claim given back."""
    server = create_server(admin, image, name=unique("abort"))
    source = settle(admin, server["id"], "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    before = used(admin)
    path = f"/servers/{server['id']}/migrations"
    live = {"os-migrateLive": {"host": None, "block_migration": "auto"}}
    with messages_lost(cloud, "live_migrate") as lost:
        assert act(admin, server["id"], "os-migrateLive", live["os-migrateLive"]
                   ).status_code == 202
        deadline = time.monotonic() + 10
        while not lost:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    (queued,) = admin.get(path).json()["migrations"]
    assert queued["status"] == "queued" and queued["dest_compute"] != source
    assert used(admin) != before  # the destination is claimed
    mid = f"{path}/{queued['id']}"
    forced = admin.post(f"{mid}/action", json={"force_complete": None})
    assert forced.status_code == 400 and "Cannot force_complete" in forced.text
    early = admin.delete(mid, headers={"OpenStack-API-Version": "compute 2.64"})
    assert early.status_code == 400 and "is queued" in early.text
    assert admin.delete(f"{path}/999999", headers={
        "OpenStack-API-Version": "compute 2.65"}).status_code == 404
    assert admin.delete(mid, headers={"OpenStack-API-Version": "compute 2.23"}
                        ).status_code == 404  # no such API yet
    assert admin.delete(mid, headers={"OpenStack-API-Version": "compute 2.65"}
                        ).status_code == 202
    back = settle(admin, server["id"], "ACTIVE")
    assert back["OS-EXT-SRV-ATTR:host"] == source
    assert admin.get(path).json()["migrations"] == []
    cancelled = admin.get("/os-migrations", params={"instance_uuid": server["id"]}).json()[
        "migrations"][0]
    assert cancelled["status"] == "cancelled"
    assert used(admin) == before
    actions = [a["action"] for a in admin.get(
        f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:2] == ["live_migration_abort", "live-migration"]
    # one the scheduler has not placed yet is cancelled by the API itself
    with messages_lost(cloud, "schedule_move"):
        assert act(admin, server["id"], "os-migrateLive", live["os-migrateLive"]
                   ).status_code == 202
    (unplaced,) = admin.get(path).json()["migrations"]
    assert unplaced["dest_compute"] is None
    assert admin.delete(f"{path}/{unplaced['id']}", headers={
        "OpenStack-API-Version": "compute 2.65"}).status_code == 202
    assert settle(admin, server["id"], "ACTIVE")["OS-EXT-SRV-ATTR:host"] == source
    assert admin.get(path).json()["migrations"] == [] and used(admin) == before
    # a migration that has ended takes neither
    assert act(admin, server["id"], "os-migrateLive", live["os-migrateLive"]
               ).status_code == 202
    settle(admin, server["id"], "ACTIVE")
    done = admin.get("/os-migrations", params={"instance_uuid": server["id"]}).json()[
        "migrations"][0]
    assert done["status"] == "completed"
    ended = f"{path}/{done['id']}"
    assert admin.post(f"{ended}/action", json={"force_complete": None}).status_code == 400
    assert admin.delete(ended, headers={"OpenStack-API-Version": "compute 2.65"}
                        ).status_code == 400
    assert admin.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(admin, server["id"])
