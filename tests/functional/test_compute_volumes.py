"""Volumes attached to servers (issue 7's first part): compute reserves the volume in
Block Storage, the host's agent connects and completes it, and the volume's states are
the ones Block Storage shows at each step; the reservation decides between two servers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    image_client,
    public_image,
    wait_deleted,
    wait_status,
)
from tests.functional.volume_helpers import volume_client, wait_for
from tests.harness import RunningCloud, unique


@pytest.fixture()
def demo_volumes(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with volume_client(cloud, "demo", "3.44") as client:
        yield client


def new_volume(client: httpx.Client, **extra: object) -> str:
    made = client.post("/volumes", json={"volume": {"size": 1, "name": unique("att"),
                                                    **extra}})
    assert made.status_code == 202, made.text
    volume_id = str(made.json()["volume"]["id"])
    wait_for(client, f"/volumes/{volume_id}", "volume", {"available"})
    return volume_id


def attach(nova: httpx.Client, server_id: str, volume_id: str) -> httpx.Response:
    return nova.post(f"/servers/{server_id}/os-volume_attachments",
                     json={"volumeAttachment": {"volumeId": volume_id}})


def test_attach_and_detach_move_the_volume_through_its_states(
        demo_nova: httpx.Client, demo_volumes: httpx.Client, image: str) -> None:
    server = create_server(demo_nova, image, name=unique("att-server"))
    wait_status(demo_nova, server["id"], {"ACTIVE"})
    volume_id = new_volume(demo_volumes)
    attached = attach(demo_nova, server["id"], volume_id)
    assert attached.status_code == 200, attached.text
    assert attached.json()["volumeAttachment"] == {
        "id": volume_id, "serverId": server["id"], "volumeId": volume_id,
        "device": "/dev/vdb"}
    volume = wait_for(demo_volumes, f"/volumes/{volume_id}", "volume", {"in-use"})
    assert volume["attachments"][0]["server_id"] == server["id"]
    shown = demo_nova.get(f"/servers/{server['id']}").json()["server"]
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": volume_id, "delete_on_termination": False}]
    listed = demo_nova.get(f"/servers/{server['id']}/os-volume_attachments").json()
    assert [a["volumeId"] for a in listed["volumeAttachments"]] == [volume_id]
    # attached already: a second attach to the same server is refused
    assert attach(demo_nova, server["id"], volume_id).status_code in (400, 409)
    detached = demo_nova.delete(f"/servers/{server['id']}/os-volume_attachments/{volume_id}")
    assert detached.status_code == 202
    wait_for(demo_volumes, f"/volumes/{volume_id}", "volume", {"available"})
    assert demo_nova.get(f"/servers/{server['id']}/os-volume_attachments/{volume_id}"
                         ).status_code == 404
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:2] == ["detach_volume", "attach_volume"]
    missing = attach(demo_nova, server["id"], "00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    demo_nova.delete(f"/servers/{server['id']}")


def test_one_server_per_volume_unless_multiattach(cloud: RunningCloud, nova: httpx.Client,
                                                  demo_nova: httpx.Client,
                                                  demo_volumes: httpx.Client,
                                                  image: str) -> None:
    first = create_server(demo_nova, image, name=unique("first"))
    second = create_server(demo_nova, image, name=unique("second"))
    for server in (first, second):
        wait_status(demo_nova, server["id"], {"ACTIVE"})
    volume_id = new_volume(demo_volumes)
    assert attach(demo_nova, first["id"], volume_id).status_code == 200
    refused = attach(demo_nova, second["id"], volume_id)
    assert refused.status_code == 400 and "badRequest" in refused.json()
    wait_for(demo_volumes, f"/volumes/{volume_id}", "volume", {"in-use"})
    shared = new_volume(demo_volumes, multiattach=True)
    old = attach(demo_nova, first["id"], shared)  # below 2.60 nova refuses them
    assert old.status_code == 400 and "2.60" in old.json()["badRequest"]["message"]
    with compute_client(cloud, "demo", "2.60") as nova_260:
        for server in (first, second):
            assert attach(nova_260, server["id"], shared).status_code == 200
    volume = wait_for(demo_volumes, f"/volumes/{shared}", "volume", {"in-use"})
    while len(volume["attachments"]) < 2:
        volume = demo_volumes.get(f"/volumes/{shared}").json()["volume"]
    assert {a["server_id"] for a in volume["attachments"]} == {first["id"], second["id"]}
    # a server's delete detaches what it holds: the volumes stay, available again
    assert demo_nova.delete(f"/servers/{first['id']}").status_code == 204
    wait_deleted(demo_nova, first["id"])
    wait_for(demo_volumes, f"/volumes/{volume_id}", "volume", {"available"})
    still = demo_volumes.get(f"/volumes/{shared}").json()["volume"]
    assert still["status"] == "in-use"
    assert [a["server_id"] for a in still["attachments"]] == [second["id"]]
    assert demo_nova.delete(f"/servers/{second['id']}").status_code == 204
    wait_deleted(demo_nova, second["id"])
    wait_for(demo_volumes, f"/volumes/{shared}", "volume", {"available"})


def test_an_image_of_a_server_boots_another(cloud: RunningCloud, demo_nova: httpx.Client,
                                            image: str) -> None:
    server = create_server(demo_nova, image, name=unique("snap-source"))
    wait_status(demo_nova, server["id"], {"ACTIVE"})
    made = demo_nova.post(f"/servers/{server['id']}/action", json={
        "createImage": {"name": unique("snap"), "metadata": {"purpose": "backup"}}})
    assert made.status_code == 202, made.text
    image_id = made.headers["Location"].rsplit("/", 1)[-1]
    with image_client(cloud, "demo") as glance:
        deadline = time.monotonic() + 15
        while (record := glance.get(f"/images/{image_id}").json())["status"] != "active":
            assert record["status"] in ("queued", "saving") and time.monotonic() < deadline
            time.sleep(0.05)
    assert (record["image_type"], record["instance_uuid"], record["purpose"]) == (
        "snapshot", server["id"], "backup")
    assert record["visibility"] == "private" and record["size"] == 4096
    shown = wait_status(demo_nova, server["id"], {"ACTIVE"})
    while shown["OS-EXT-STS:task_state"] is not None:
        shown = wait_status(demo_nova, server["id"], {"ACTIVE"})
    child = create_server(demo_nova, image_id, name=unique("from-snap"))
    assert wait_status(demo_nova, child["id"], {"ACTIVE"})["image"]["id"] == image_id
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[0] == "createImage"
    for made_server in (server, child):
        demo_nova.delete(f"/servers/{made_server['id']}")


def test_rebuild_keeps_id_and_addresses_on_a_new_image(cloud: RunningCloud,
                                                       demo_nova: httpx.Client,
                                                       image: str) -> None:
    other = public_image(cloud, "compute-rebuild-image")
    server = create_server(demo_nova, image, networks="auto", name=unique("rebuild"))
    before = wait_status(demo_nova, server["id"], {"ACTIVE"})
    rebuilt = demo_nova.post(f"/servers/{server['id']}/action", json={"rebuild": {
        "imageRef": other, "name": "rebuilt", "metadata": {"v": "2"}}})
    assert rebuilt.status_code == 202, rebuilt.text
    assert rebuilt.json()["server"]["status"] == "REBUILD"
    assert rebuilt.json()["server"]["adminPass"]
    after = wait_status(demo_nova, server["id"], {"ACTIVE"})
    assert (after["image"]["id"], after["name"], after["metadata"]) == (other, "rebuilt",
                                                                        {"v": "2"})
    assert after["addresses"] == before["addresses"]
    # a stopped server is rebuilt stopped
    demo_nova.post(f"/servers/{server['id']}/action", json={"os-stop": None})
    wait_status(demo_nova, server["id"], {"SHUTOFF"})
    assert demo_nova.post(f"/servers/{server['id']}/action", json={"rebuild": {
        "imageRef": image}}).status_code == 202
    shown = wait_status(demo_nova, server["id"], {"SHUTOFF"})
    while shown["OS-EXT-STS:task_state"] is not None:
        shown = wait_status(demo_nova, server["id"], {"SHUTOFF"})
    assert shown["image"]["id"] == image
    unknown = demo_nova.post(f"/servers/{server['id']}/action", json={"rebuild": {
        "imageRef": "00000000-0000-0000-0000-000000000000"}})
    assert unknown.status_code == 400
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:3] == ["rebuild", "stop", "rebuild"]
    demo_nova.delete(f"/servers/{server['id']}")


def test_interfaces_attach_and_detach(cloud: RunningCloud, demo_nova: httpx.Client,
                                      image: str) -> None:
    server = create_server(demo_nova, image, networks="auto", name=unique("nics"))
    sid = server["id"]
    before = wait_status(demo_nova, sid, {"ACTIVE"})
    (first,) = demo_nova.get(f"/servers/{sid}/os-interface").json()["interfaceAttachments"]
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("demo", "demo")}) as net:
        network = net.post("/networks", json={"network": {"name": unique("extra")}}).json()[
            "network"]
        net.post("/subnets", json={"subnet": {"network_id": network["id"],
                                              "cidr": "10.88.0.0/24", "ip_version": 4}})
        added = demo_nova.post(f"/servers/{sid}/os-interface", json={"interfaceAttachment": {
            "net_id": network["id"], "fixed_ips": [{"ip_address": "10.88.0.20"}]}})
        assert added.status_code == 200, added.text
        attachment = added.json()["interfaceAttachment"]
        assert attachment["net_id"] == network["id"]
        assert attachment["fixed_ips"][0]["ip_address"] == "10.88.0.20"
        listed = demo_nova.get(f"/servers/{sid}/os-interface").json()["interfaceAttachments"]
        assert {i["port_id"] for i in listed} == {first["port_id"], attachment["port_id"]}
        shown = demo_nova.get(f"/servers/{sid}").json()["server"]
        assert shown["addresses"][network["name"]][0]["addr"] == "10.88.0.20"
        assert set(before["addresses"]) < set(shown["addresses"])
        assert demo_nova.delete(f"/servers/{sid}/os-interface/{attachment['port_id']}"
                                ).status_code == 202
        assert net.get(f"/ports/{attachment['port_id']}").status_code == 404
        assert network["name"] not in demo_nova.get(f"/servers/{sid}").json()["server"][
            "addresses"]
        assert demo_nova.delete(f"/servers/{sid}/os-interface/{attachment['port_id']}"
                                ).status_code == 404
        assert demo_nova.post(f"/servers/{sid}/os-interface", json={"interfaceAttachment": {
            "net_id": "00000000-0000-0000-0000-000000000000"}}).status_code == 400
    demo_nova.delete(f"/servers/{sid}")


def test_swap_a_volume_and_change_what_goes_with_the_server(
        cloud: RunningCloud, nova: httpx.Client, demo_nova: httpx.Client,
        demo_volumes: httpx.Client, image: str) -> None:
    server = create_server(demo_nova, image, name=unique("swap"))
    wait_status(demo_nova, server["id"], {"ACTIVE"})
    old, new = new_volume(demo_volumes), new_volume(demo_volumes)
    assert attach(demo_nova, server["id"], old).status_code == 200
    wait_for(demo_volumes, f"/volumes/{old}", "volume", {"in-use"})
    path = f"/servers/{server['id']}/os-volume_attachments/{old}"
    body = {"volumeAttachment": {"volumeId": new}}
    assert demo_nova.put(path, json=body).status_code == 403  # swapping is for admins
    assert nova.put(path, json=body).status_code == 202
    wait_for(demo_volumes, f"/volumes/{new}", "volume", {"in-use"})
    wait_for(demo_volumes, f"/volumes/{old}", "volume", {"available"})
    (attached,) = demo_nova.get(f"/servers/{server['id']}/os-volume_attachments").json()[
        "volumeAttachments"]
    assert (attached["volumeId"], attached["device"]) == (new, "/dev/vdb")
    # 2.85: a member changes delete_on_termination of what is attached
    with compute_client(cloud, "demo", "2.85") as demo_285:
        changed = demo_285.put(f"/servers/{server['id']}/os-volume_attachments/{new}", json={
            "volumeAttachment": {"volumeId": new, "delete_on_termination": True}})
        assert changed.status_code == 202
        shown = demo_285.get(f"/servers/{server['id']}/os-volume_attachments/{new}").json()
        assert shown["volumeAttachment"]["delete_on_termination"] is True
    assert demo_nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(demo_nova, server["id"])
    deadline = time.monotonic() + 15
    while demo_volumes.get(f"/volumes/{new}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    demo_volumes.delete(f"/volumes/{old}")
