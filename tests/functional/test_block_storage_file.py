"""The file backend (`local` in the default settings) driven over HTTP: real bytes in
sparse files — an image written into a volume, snapshots and clones carrying them,
extend, the local path a host attaches, and an upload converted to qcow2."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.test_block_storage_images import image_client, make_image, wait_image
from tests.functional.volume_helpers import (
    create_volume,
    wait_for,
    wait_gone,
)
from tests.harness import RunningCloud, unique

GiB = 1 << 30
PAYLOAD = b"bytes on a file backend " * 50000


pytestmark = pytest.mark.usefixtures("volumes_unlimited")




def device_path(vol: httpx.Client, volume: dict[str, Any]) -> Path:
    answer = vol.post(f"/volumes/{volume['id']}/action", json={
        "os-initialize_connection": {"connector": {"host": "h1", "initiator": "iqn.x"}}})
    assert answer.status_code == 200, answer.text
    info = answer.json()["connection_info"]
    assert info["driver_volume_type"] == "local"
    return Path(info["data"]["device_path"])


def head(path: Path, length: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(length)


def test_image_snapshot_clone_extend_on_files(cloud: RunningCloud, vol: httpx.Client,
                                              local_volume_type: str) -> None:
    image = make_image(cloud, data=PAYLOAD)
    volume = create_volume(vol, size=1, volume_type=local_volume_type, imageRef=image["id"])
    assert volume["status"] == "available", volume
    assert volume["os-vol-host-attr:host"] == "gureum-volume@local#files"
    assert volume["bootable"] == "true"
    path = device_path(vol, volume)
    assert path.is_relative_to(cloud.settings.state_dir)
    assert path.stat().st_size == GiB and head(path, len(PAYLOAD)) == PAYLOAD
    assert path.stat().st_blocks * 512 < 8 * len(PAYLOAD)  # sparse: only the data

    made = vol.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    snapshot = wait_for(vol, f"/snapshots/{made.json()['snapshot']['id']}", "snapshot",
                        {"available", "error"})
    assert snapshot["status"] == "available"
    from_snapshot = create_volume(vol, size=2, snapshot_id=snapshot["id"])
    copy = device_path(vol, from_snapshot)
    assert copy.stat().st_size == 2 * GiB and head(copy, len(PAYLOAD)) == PAYLOAD
    clone = create_volume(vol, source_volid=volume["id"])
    assert head(device_path(vol, clone), len(PAYLOAD)) == PAYLOAD

    assert vol.post(f"/volumes/{volume['id']}/action",
                    json={"os-extend": {"new_size": 3}}).status_code == 202
    wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert path.stat().st_size == 3 * GiB
    pools = vol.get("/scheduler-stats/get_pools", params={"detail": "true"}).json()["pools"]
    local = next(p for p in pools if p["name"] == "gureum-volume@local#files")
    assert local["capabilities"]["storage_protocol"] == "file"
    assert local["capabilities"]["thin_provisioning_support"] is True

    for made_volume in (from_snapshot, clone):
        assert vol.delete(f"/volumes/{made_volume['id']}").status_code == 202
    assert vol.delete(f"/volumes/{volume['id']}?cascade=true").status_code == 202
    wait_gone(vol, f"/volumes/{volume['id']}")
    wait_gone(vol, f"/volumes/{from_snapshot['id']}")
    assert not path.exists() and not copy.exists()


def test_upload_as_qcow2(cloud: RunningCloud, vol: httpx.Client, local_volume_type: str,
                         tmp_path: Path) -> None:
    image = make_image(cloud, data=PAYLOAD)
    volume = create_volume(vol, size=1, volume_type=local_volume_type, imageRef=image["id"])
    answer = vol.post(f"/volumes/{volume['id']}/action", json={"os-volume_upload_image": {
        "image_name": unique("qcow2-up"), "disk_format": "qcow2"}})
    assert answer.status_code == 202, answer.text
    with image_client(cloud, "admin") as images:
        uploaded = wait_image(images, answer.json()["os-volume_upload_image"]["image_id"],
                              "active")
        assert uploaded["disk_format"] == "qcow2"
        assert uploaded["virtual_size"] == GiB and uploaded["size"] < GiB // 100
        qcow2 = tmp_path / "up.qcow2"
        qcow2.write_bytes(images.get(f"/images/{uploaded['id']}/file").content)
    raw = tmp_path / "up.raw"
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(qcow2), str(raw)],
                   check=True)
    assert head(raw, len(PAYLOAD)) == PAYLOAD
    # and back: a volume from the qcow2 image holds the same bytes
    again = create_volume(vol, size=1, volume_type=local_volume_type, imageRef=uploaded["id"])
    assert head(device_path(vol, again), len(PAYLOAD)) == PAYLOAD
