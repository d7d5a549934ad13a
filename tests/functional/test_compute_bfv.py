"""Boot from volume (issue 7): block_device_mapping_v2 makes the root and data volumes in
Block Storage (from an image, a snapshot, or blank) or takes the user's own; the host's
agent attaches them before it spawns; delete_on_termination decides what goes with the
server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.functional.compute_helpers import wait_deleted, wait_status
from tests.functional.volume_helpers import volume_client, wait_for
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
