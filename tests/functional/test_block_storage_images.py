"""Volumes and the Image service over HTTP: a volume made from an image (bootable, with
volume_image_metadata, sized as cinder checks), and a volume uploaded to a new image
(uploading, then back; the image queued, then active with the volume's bytes)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import openstack
import pytest

from tests.functional.volume_helpers import (
    create_volume,
    volume_client,
    wait_for,
)
from tests.harness import RunningCloud, unique

PAYLOAD = b"gureum-image-bytes" * 4096 + b"\x01" * 1000


pytestmark = pytest.mark.usefixtures("volumes_unlimited")



def image_client(cloud: RunningCloud, user: str) -> httpx.Client:
    return httpx.Client(base_url=f"{cloud.url}/image/v2", timeout=60,
                        headers={"X-Auth-Token": cloud.token(user, user)})


def make_image(cloud: RunningCloud, user: str = "admin", data: bytes = PAYLOAD,
               **spec: Any) -> dict[str, Any]:
    with image_client(cloud, user) as images:
        record = {"name": unique("img"), "disk_format": "raw", "container_format": "bare",
                  "hw_disk_bus": "virtio", **spec}
        made = images.post("/images", json=record)
        assert made.status_code == 201, made.text
        image_id = made.json()["id"]
        put = images.put(f"/images/{image_id}/file", content=data,
                         headers={"Content-Type": "application/octet-stream"})
        assert put.status_code == 204, put.text
        shown: dict[str, Any] = images.get(f"/images/{image_id}").json()
        assert shown["status"] == "active"
        return shown


def test_volume_from_image_is_bootable_with_image_metadata(cloud: RunningCloud,
                                                           vol: httpx.Client) -> None:
    image = make_image(cloud, min_disk=1)
    volume = create_volume(vol, size=1, imageRef=image["id"], name=unique("from-img"))
    assert volume["status"] == "available", volume
    assert volume["bootable"] == "true"
    meta = volume["volume_image_metadata"]
    assert meta["image_id"] == image["id"] and meta["image_name"] == image["name"]
    assert meta["disk_format"] == "raw" and meta["container_format"] == "bare"
    assert meta["checksum"] == hashlib.md5(PAYLOAD, usedforsecurity=False).hexdigest()
    assert meta["size"] == str(len(PAYLOAD)) and meta["min_disk"] == "1"
    assert meta["hw_disk_bus"] == "virtio"
    # the agent wrote the image's bytes (the fake keeps what it is given)
    agent = next(a for a in cloud.cloud.volume_agents.values()
                 if volume["id"] in getattr(a.driver, "volumes", {}))
    assert agent.driver.data[volume["id"]] == PAYLOAD  # type: ignore[attr-defined]
    # a volume without one shows no volume_image_metadata; a clone keeps it
    plain = create_volume(vol, size=1)
    assert "volume_image_metadata" not in plain and plain["bootable"] == "false"
    clone = create_volume(vol, source_volid=volume["id"])
    assert clone["volume_image_metadata"]["image_id"] == image["id"]
    assert clone["bootable"] == "true"


def test_image_checks_as_cinder(cloud: RunningCloud, vol: httpx.Client) -> None:
    image = make_image(cloud, min_disk=3)
    small = vol.post("/volumes", json={"volume": {"size": 2, "imageRef": image["id"]}})
    assert small.status_code == 400
    assert small.json()["badRequest"]["message"] == (
        "Invalid input received: Volume size 2GB cannot be smaller than the image minDisk "
        "size 3GB.")
    missing = vol.post("/volumes", json={"volume": {"size": 1, "imageRef": "nope"}})
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == "Image nope could not be found."
    with image_client(cloud, "admin") as images:
        queued = images.post("/images", json={"name": unique("queued"),
                                              "disk_format": "raw",
                                              "container_format": "bare"}).json()
    inactive = vol.post("/volumes", json={"volume": {"size": 1, "imageRef": queued["id"]}})
    assert inactive.status_code == 400
    assert f"Image {queued['id']} is not active." in inactive.text
    # size left out: the image's (at least its min_disk)
    sized = create_volume(vol, size=None, imageRef=image["id"])
    assert sized["size"] == 3 and sized["status"] == "available"


def test_private_image_of_another_project_is_not_found(cloud: RunningCloud) -> None:
    image = make_image(cloud, visibility="private")
    with volume_client(cloud, "demo") as demo:
        answer = demo.post("/volumes", json={"volume": {"size": 1, "imageRef": image["id"]}})
    assert answer.status_code == 404


def test_virtual_size_must_fit(cloud: RunningCloud, vol: httpx.Client) -> None:
    # a qcow2 header announcing 5 GiB: glance reads its virtual size
    header = bytearray(512)
    header[0:4] = b"QFI\xfb"
    header[4:8] = (3).to_bytes(4, "big")
    header[20:24] = (16).to_bytes(4, "big")  # cluster bits
    header[24:32] = (5 << 30).to_bytes(8, "big")
    header[100:104] = (104).to_bytes(4, "big")  # header length
    image = make_image(cloud, data=bytes(header) + b"\0" * 65536, disk_format="qcow2")
    assert image["virtual_size"] == 5 << 30
    answer = vol.post("/volumes", json={"volume": {"size": 1, "imageRef": image["id"]}})
    assert answer.status_code == 400, answer.text
    assert "Image virtual size is 5GB and doesn't fit in a volume of size 1GB." in answer.text


def wait_image(images: httpx.Client, image_id: str, status: str,
               timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown: dict[str, Any] = images.get(f"/images/{image_id}").json()
        if shown["status"] == status:
            return shown
        assert time.monotonic() < deadline, f"image still {shown['status']}"
        time.sleep(0.05)


def test_upload_volume_to_image(cloud: RunningCloud, vol: httpx.Client) -> None:
    source = make_image(cloud, hw_scsi_model="virtio-scsi")
    volume = create_volume(vol, size=1, imageRef=source["id"], description="to upload")
    name = unique("uploaded")
    answer = vol.post(f"/volumes/{volume['id']}/action", json={"os-volume_upload_image": {
        "image_name": name, "disk_format": "raw", "container_format": "bare",
        "visibility": "private", "protected": False}})
    assert answer.status_code == 202, answer.text
    body = answer.json()["os-volume_upload_image"]
    assert body["status"] == "uploading" and body["id"] == volume["id"]
    assert body["image_name"] == name and body["disk_format"] == "raw"
    assert body["container_format"] == "bare" and body["visibility"] == "private"
    assert body["protected"] is False and body["size"] == 1
    assert body["display_description"] == "to upload"
    assert body["volume_type"]["name"] == "__DEFAULT__"
    with image_client(cloud, "admin") as images:
        image = wait_image(images, body["image_id"], "active")
        data = images.get(f"/images/{image['id']}/file").content
    assert data == PAYLOAD
    assert image["name"] == name and image["hw_scsi_model"] == "virtio-scsi"
    assert image["owner"] == volume["os-vol-tenant-attr:tenant_id"]
    wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})


def test_upload_refused_unless_available(cloud: RunningCloud, vol: httpx.Client) -> None:
    volume = create_volume(vol, size=1)
    assert vol.post(f"/volumes/{volume['id']}/action",
                    json={"os-reserve": None}).status_code == 202
    refused = vol.post(f"/volumes/{volume['id']}/action", json={"os-volume_upload_image": {
        "image_name": "x", "force": True}})
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"] == (
        f"Invalid volume: Volume {volume['id']} status must be available")
    bad = vol.post(f"/volumes/{volume['id']}/action", json={"os-volume_upload_image": {
        "image_name": "x", "disk_format": "iso"}})
    assert bad.status_code == 400


def test_upload_with_openstacksdk(cloud: RunningCloud,
                                  demo_sdk: openstack.connection.Connection) -> None:
    bs = demo_sdk.block_storage
    volume = bs.create_volume(size=1, name=unique("sdk-up"))
    volume = bs.wait_for_status(volume, "available", failures=["error"], wait=30)
    answer = bs.upload_volume_to_image(volume, unique("sdk-image"), disk_format="raw",
                                       container_format="bare")
    image = demo_sdk.image.wait_for_status(demo_sdk.image.get_image(answer["image_id"]),
                                           "active", failures=["killed"], wait=30)
    assert image.owner == demo_sdk.current_project_id
    bs.wait_for_status(volume, "available", failures=["error"], wait=30)
