"""Boot from volume (issue 7): block_device_mapping_v2 makes the root and data volumes in
Block Storage (from an image, a snapshot, or blank) or takes the user's own; the host's
agent attaches them before it spawns; delete_on_termination decides what goes with the
server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.functional.compute_helpers import (
    compute_client,
    image_client,
    wait_deleted,
    wait_status,
)
from tests.functional.volume_helpers import volume_client, wait_for, wait_gone
from tests.harness import RunningCloud, unique


@pytest.fixture()
def volumes(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with volume_client(cloud, "demo", "3.44") as client:
        yield client


def boot(nova: httpx.Client, mappings: list[dict[str, Any]], image: str = "",
         ) -> httpx.Response:
    return nova.post("/servers", json={"server": {
        "name": unique("bfv"), "imageRef": image, "flavorRef": "42", "networks": "none",
        "block_device_mapping_v2": mappings}})


def gone(volumes: httpx.Client, volume_id: str) -> None:
    deadline = time.monotonic() + 15
    while volumes.get(f"/volumes/{volume_id}").status_code != 404:
        assert time.monotonic() < deadline, f"volume {volume_id} is still there"
        time.sleep(0.05)


def new_volume(volumes: httpx.Client, **extra: Any) -> str:
    made = volumes.post("/volumes", json={"volume": {"size": 1, **extra}}).json()["volume"]
    wait_for(volumes, f"/volumes/{made['id']}", "volume", {"available"})
    return str(made["id"])


def test_a_root_volume_from_an_image(demo_nova: httpx.Client, volumes: httpx.Client,
                                     image: str) -> None:
    made = boot(demo_nova, [{"uuid": image, "source_type": "image",
                             "destination_type": "volume", "volume_size": 1,
                             "boot_index": 0, "delete_on_termination": True}])
    assert made.status_code == 202, made.text
    server = wait_status(demo_nova, made.json()["server"]["id"], {"ACTIVE", "ERROR"})
    assert server["status"] == "ACTIVE", server.get("fault")
    assert server["image"] == ""  # volume-backed
    (root,) = server["os-extended-volumes:volumes_attached"]
    assert root["delete_on_termination"] is True
    volume = volumes.get(f"/volumes/{root['id']}").json()["volume"]
    assert volume["status"] == "in-use" and volume["bootable"] == "true"
    assert [a["server_id"] for a in volume["attachments"]] == [server["id"]]
    attached = demo_nova.get(f"/servers/{server['id']}/os-volume_attachments").json()[
        "volumeAttachments"]
    assert [(a["volumeId"], a["device"]) for a in attached] == [(root["id"], "/dev/vda")]
    assert demo_nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(demo_nova, server["id"])
    gone(volumes, root["id"])  # it was to go with the server


def test_own_volumes_snapshots_and_blank_ones(demo_nova: httpx.Client,
                                              volumes: httpx.Client, image: str) -> None:
    mine = new_volume(volumes, imageRef=image)
    source = new_volume(volumes)
    snapshot = volumes.post("/snapshots", json={"snapshot": {"volume_id": source}}).json()[
        "snapshot"]
    wait_for(volumes, f"/snapshots/{snapshot['id']}", "snapshot", {"available"})
    made = boot(demo_nova, [
        {"uuid": mine, "source_type": "volume", "destination_type": "volume",
         "boot_index": 0},
        {"uuid": snapshot["id"], "source_type": "snapshot", "destination_type": "volume",
         "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True}])
    assert made.status_code == 202, made.text
    server = wait_status(demo_nova, made.json()["server"]["id"], {"ACTIVE", "ERROR"})
    assert server["status"] == "ACTIVE", server.get("fault")
    attached = {a["id"]: a["delete_on_termination"]
                for a in server["os-extended-volumes:volumes_attached"]}
    assert len(attached) == 3 and attached[mine] is False
    devices = sorted(a["device"] for a in demo_nova.get(
        f"/servers/{server['id']}/os-volume_attachments").json()["volumeAttachments"])
    assert devices == ["/dev/vda", "/dev/vdb", "/dev/vdc"]
    # still attachable afterwards, at the next device
    extra = new_volume(volumes)
    assert demo_nova.post(f"/servers/{server['id']}/os-volume_attachments", json={
        "volumeAttachment": {"volumeId": extra}}).json()["volumeAttachment"][
        "device"] == "/dev/vdd"
    wait_for(volumes, f"/volumes/{extra}", "volume", {"in-use"})
    assert demo_nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(demo_nova, server["id"])
    for kept in (mine, extra):  # the user's own stay, available again
        wait_for(volumes, f"/volumes/{kept}", "volume", {"available"})
    for made_for_it in (v for v, dot in attached.items() if dot):
        gone(volumes, made_for_it)
    volumes.delete(f"/snapshots/{snapshot['id']}")


def test_mappings_nova_refuses(demo_nova: httpx.Client, volumes: httpx.Client,
                               image: str) -> None:
    no_size = boot(demo_nova, [{"uuid": image, "source_type": "image",
                                "destination_type": "volume", "boot_index": 0}])
    assert no_size.status_code == 400 and "non-zero size" in no_size.text
    unknown = boot(demo_nova, [{"uuid": "4b1c0ab4-5d5e-4f0e-9a56-1d3d0c0b0a11",
                                "source_type": "volume", "destination_type": "volume",
                                "boot_index": 0}])
    assert unknown.status_code == 400 and "Block Device Mapping is Invalid" in unknown.text
    twice = boot(demo_nova, [
        {"uuid": image, "source_type": "image", "destination_type": "volume",
         "volume_size": 1, "boot_index": 0},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1,
         "boot_index": 0}])
    assert twice.status_code == 400 and "Boot sequence" in twice.text
    swap = boot(demo_nova, [{"source_type": "blank", "destination_type": "local",
                             "guest_format": "swap", "volume_size": 1}], image=image)
    assert swap.status_code == 400 and "Swap drive" in swap.text  # m1.nano has none
    odd = boot(demo_nova, [{"source_type": "image", "destination_type": "volume",
                            "uuid": image, "volume_size": 1, "boot_index": 0,
                            "size": 3}])
    assert odd.status_code == 400
    shared = new_volume(volumes, multiattach=True)
    early = boot(demo_nova, [{"uuid": shared, "source_type": "volume",
                              "destination_type": "volume", "boot_index": -1}], image=image)
    assert early.status_code == 400 and "2.60" in early.text  # demo_nova speaks 2.37
    assert volumes.delete(f"/volumes/{shared}").status_code == 202


def test_a_volume_backed_server_rebuilds_only_from_its_image(
        demo_nova: httpx.Client, volumes: httpx.Client, image: str) -> None:
    made = boot(demo_nova, [{"uuid": image, "source_type": "image",
                             "destination_type": "volume", "volume_size": 1,
                             "boot_index": 0, "delete_on_termination": True}])
    server = wait_status(demo_nova, made.json()["server"]["id"], {"ACTIVE"})
    other = demo_nova.post(f"/servers/{server['id']}/action", json={"rebuild": {
        "imageRef": "0c5a1c1e-3c3d-4f4e-8a8b-9c9d0e0f1a1b"}})
    assert other.status_code == 400 and "volume-backed" in other.text
    same = demo_nova.post(f"/servers/{server['id']}/action", json={"rebuild": {
        "imageRef": image}})
    assert same.status_code == 202, same.text
    assert wait_status(demo_nova, server["id"], {"ACTIVE"})["image"] == ""
    (root,) = server["os-extended-volumes:volumes_attached"]
    assert demo_nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(demo_nova, server["id"])
    gone(volumes, root["id"])


def test_an_image_of_a_volume_backed_server_maps_snapshots(
        cloud: RunningCloud, volumes: httpx.Client, image: str) -> None:
    """createImage of a volume-backed server: a snapshot of each volume in Block Storage,
    an empty image mapping them; a server booted from it gets new volumes made from
    them."""
    with compute_client(cloud, "demo", "2.45") as nova, \
            image_client(cloud, "demo") as images:
        data = new_volume(volumes)
        made = boot(nova, [{"uuid": image, "source_type": "image", "volume_size": 1,
                            "destination_type": "volume", "boot_index": 0,
                            "delete_on_termination": True},
                           {"uuid": data, "source_type": "volume", "destination_type": "volume",
                            "boot_index": -1}])
        server = wait_status(nova, made.json()["server"]["id"], {"ACTIVE"})
        answer = nova.post(f"/servers/{server['id']}/action",
                           json={"createImage": {"name": unique("vb-snap")}})
        assert answer.status_code == 202, answer.text
        image_id = answer.json()["image_id"]
        deadline = time.monotonic() + 15
        while (shown := images.get(f"/images/{image_id}").json())["status"] != "active":
            assert time.monotonic() < deadline, shown["status"]
            time.sleep(0.05)
        assert shown["size"] == 0 and shown["bdm_v2"] == "True"
        mappings = json.loads(shown["block_device_mapping"])
        assert [(m["source_type"], m["boot_index"], m["device_name"]) for m in mappings] == [
            ("snapshot", 0, "/dev/vda"), ("snapshot", None, "/dev/vdb")]
        for mapping in mappings:  # the user's own, in Block Storage
            snapshot = volumes.get(f"/snapshots/{mapping['snapshot_id']}").json()["snapshot"]
            assert snapshot["status"] == "available"
        assert nova.post(f"/servers/{server['id']}/action", json={"createBackup": {
            "name": "b", "backup_type": "daily", "rotation": 1}}).status_code == 400

        child = nova.post("/servers", json={"server": {
            "name": unique("from-vb"), "imageRef": image_id, "flavorRef": "42",
            "networks": "none"}})
        assert child.status_code == 202, child.text
        booted = wait_status(nova, child.json()["server"]["id"], {"ACTIVE", "ERROR"})
        assert booted["status"] == "ACTIVE", booted.get("fault")
        assert booted["image"] == ""  # volume-backed, like its origin
        new = [v["id"] for v in booted["os-extended-volumes:volumes_attached"]]
        old = [v["id"] for v in server["os-extended-volumes:volumes_attached"]]
        assert len(new) == 2 and not set(new) & set(old)
        sources = {volumes.get(f"/volumes/{v}").json()["volume"]["snapshot_id"] for v in new}
        assert sources == {m["snapshot_id"] for m in mappings}
        for doomed in (booted["id"], server["id"]):
            assert nova.delete(f"/servers/{doomed}").status_code == 204
            wait_deleted(nova, doomed)
        # the first server's root was to go with it but could not while snapshots of it
        # are left (as in nova, the server went all the same)
        for volume_id in old:
            assert volumes.get(f"/volumes/{volume_id}").json()["volume"]["status"] == \
                "available"
        for mapping in mappings:
            volumes.delete(f"/snapshots/{mapping['snapshot_id']}")
            wait_gone(volumes, f"/snapshots/{mapping['snapshot_id']}")
        for volume_id in {*new, *old}:  # the data volumes, and the first root
            volumes.delete(f"/volumes/{volume_id}")
            wait_gone(volumes, f"/volumes/{volume_id}")
