"""Shelving (issue 7): a shelved server keeps its disk as an image and leaves its host
(at once, or after compute.shelved_offload_time, or by an admin's shelveOffload); its
ports stay its own, unbound; unshelving brings it back where the scheduler places it,
with its addresses; the image goes when it is no longer needed."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.functional.compute_helpers import (
    act,
    compute_client,
    create_server,
    network_id,
    settle,
    wait_deleted,
)
from tests.harness import RunningCloud, unique


def test_shelve_offloads_and_unshelve_brings_it_back(cloud: RunningCloud, nova: httpx.Client,
                                                     demo_nova: httpx.Client,
                                                     demo_images: httpx.Client, image: str) -> None:
    name = unique("shelf")
    made = create_server(demo_nova, image, networks=[
        {"uuid": network_id(cloud, "private", "demo")}], name=name)
    before = settle(demo_nova, made["id"], "ACTIVE")
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    shelved = settle(demo_nova, made["id"], "SHELVED_OFFLOADED")
    admin_view = nova.get(f"/servers/{made['id']}").json()["server"]
    assert admin_view["OS-EXT-SRV-ATTR:host"] is None
    assert shelved["addresses"] == before["addresses"]  # its ports are kept
    found = demo_images.get("/images", params={"name": f"{name}-shelved"}).json()["images"]
    assert [i["status"] for i in found] == ["active"]
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("admin", "admin")}) as net:
        ports = net.get("/ports", params={"device_id": made["id"]}).json()["ports"]
        assert ports and all(p["binding:host_id"] == "" for p in ports)
        assert act(demo_nova, made["id"], "unshelve").status_code == 202
        back = settle(demo_nova, made["id"], "ACTIVE")
        host = nova.get(f"/servers/{made['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
        assert host and back["addresses"] == before["addresses"]
        ports = net.get("/ports", params={"device_id": made["id"]}).json()["ports"]
        assert all(p["binding:host_id"] == host for p in ports)
    assert demo_images.get(f"/images/{found[0]['id']}").status_code == 404  # done with
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{made['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:2] == ["unshelve", "shelve"]
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_a_shelved_server_waits_on_its_host(cloud: RunningCloud, nova: httpx.Client,
                                            demo_nova: httpx.Client, demo_images: httpx.Client,
                                            image: str, monkeypatch: pytest.MonkeyPatch,
                                            ) -> None:
    monkeypatch.setattr(cloud.settings.compute, "shelved_offload_time", 3600)
    made = create_server(demo_nova, image, name=unique("shelf"))
    settle(demo_nova, made["id"], "ACTIVE")
    host = nova.get(f"/servers/{made['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    settle(demo_nova, made["id"], "SHELVED")
    assert nova.get(f"/servers/{made['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"] == host
    # unshelved where it is
    assert act(demo_nova, made["id"], "unshelve").status_code == 202
    settle(demo_nova, made["id"], "ACTIVE")
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    settle(demo_nova, made["id"], "SHELVED")
    assert act(demo_nova, made["id"], "shelveOffload").status_code == 403  # admins only
    assert act(nova, made["id"], "shelveOffload").status_code == 202
    settle(demo_nova, made["id"], "SHELVED_OFFLOADED")
    assert act(demo_nova, made["id"], "unshelve").status_code == 202
    settle(demo_nova, made["id"], "ACTIVE")
    # the periodic offload takes servers shelved for longer than the window
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    settle(demo_nova, made["id"], "SHELVED")
    monkeypatch.setattr(cloud.settings.compute, "shelved_offload_time", 1)
    cloud.run(cloud.cloud.conductor.offload_shelved())  # type: ignore[union-attr]
    time.sleep(0.3)
    assert settle(demo_nova, made["id"], "SHELVED")  # not yet: shelved just now
    time.sleep(1.1)
    cloud.run(cloud.cloud.conductor.offload_shelved())  # type: ignore[union-attr]
    settle(demo_nova, made["id"], "SHELVED_OFFLOADED")
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_shelving_refusals(cloud: RunningCloud, demo_nova: httpx.Client, image: str) -> None:
    made = create_server(demo_nova, image, name=unique("shelf"))
    settle(demo_nova, made["id"], "ACTIVE")
    refused = act(demo_nova, made["id"], "unshelve")
    assert refused.status_code == 409 and "conflictingRequest" in refused.json()
    assert act(demo_nova, made["id"], "shelveOffload").status_code == 403
    assert act(demo_nova, made["id"], "shelve", {"x": 1}).status_code == 400
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    settle(demo_nova, made["id"], "SHELVED_OFFLOADED")
    assert act(demo_nova, made["id"], "shelve").status_code == 409
    zone = {"availability_zone": "nowhere"}
    assert act(demo_nova, made["id"], "unshelve", zone).status_code == 400  # before 2.77
    with compute_client(cloud, "demo", "2.77") as nova_277:
        assert act(nova_277, made["id"], "unshelve", zone).status_code == 400  # unknown
        assert act(nova_277, made["id"], "unshelve", {"availability_zone": "nova"}
                   ).status_code == 202
    settle(demo_nova, made["id"], "ACTIVE")
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_unshelve_to_a_named_host(cloud: RunningCloud, nova: httpx.Client,
                                  demo_nova: httpx.Client, image: str) -> None:
    made = create_server(demo_nova, image, name=unique("shelf"))
    settle(demo_nova, made["id"], "ACTIVE")
    first = nova.get(f"/servers/{made['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    assert act(demo_nova, made["id"], "shelve").status_code == 202
    settle(demo_nova, made["id"], "SHELVED_OFFLOADED")
    hosts = [h["hypervisor_hostname"] for h in nova.get("/os-hypervisors").json()[
        "hypervisors"]]
    target = next(h for h in hosts if h != first)
    with compute_client(cloud, "admin", "2.91") as admin, \
            compute_client(cloud, "demo", "2.91") as demo:
        assert act(demo, made["id"], "unshelve", {"host": target}).status_code == 403
        assert act(admin, made["id"], "unshelve", {"host": "nowhere"}).status_code == 400
        assert act(nova, made["id"], "unshelve", {"host": target}).status_code == 400  # 2.37
        assert act(admin, made["id"], "unshelve", {"host": target}).status_code == 202
        settle(demo_nova, made["id"], "ACTIVE")
        assert admin.get(f"/servers/{made['id']}").json()["server"][
            "OS-EXT-SRV-ATTR:host"] == target
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])
