"""Backups over HTTP: full and incremental backups of a file-backend volume kept as
chunked, checksummed objects, restored byte for byte into a new volume, an existing one
and a volume created from the backup; the rules cinder applies (force for in-use,
dependent backups, quotas, sizes) and a tampered chunk caught at restore."""

from __future__ import annotations

import zlib
from typing import Any

import httpx
import openstack
import pytest

from tests.functional.test_block_storage_file import device_path, head
from tests.functional.test_block_storage_images import make_image
from tests.functional.volume_helpers import (
    create_volume,
    project_id,
    volume_client,
    wait_for,
    wait_gone,
)
from tests.harness import RunningCloud, unique

PAYLOAD = b"backed up bytes " * 300000  # ~4.6 MiB: two chunks
CHANGE = b"written after the full backup"


pytestmark = pytest.mark.usefixtures("volumes_unlimited")




def backup(vol: httpx.Client, wait: str = "available", **spec: Any) -> dict[str, Any]:
    answer = vol.post("/backups", json={"backup": spec})
    assert answer.status_code == 202, answer.text
    made = answer.json()["backup"]
    assert set(made) == {"id", "name", "links"}
    return wait_for(vol, f"/backups/{made['id']}", "backup", {wait, "error"})


def test_full_and_incremental_restore_bytes(cloud: RunningCloud, vol: httpx.Client,
                                            local_volume_type: str) -> None:
    image = make_image(cloud, data=PAYLOAD)
    volume = create_volume(vol, size=1, volume_type=local_volume_type, imageRef=image["id"])
    path = device_path(vol, volume)
    full = backup(vol, volume_id=volume["id"], name=unique("full"))
    assert full["status"] == "available" and full["is_incremental"] is False
    assert full["size"] == 1 and full["object_count"] == 2 and full["volume_id"] == volume["id"]
    assert full["os-backup-project-attr:project_id"] == volume["os-vol-tenant-attr:tenant_id"]
    assert full["metadata"] == {} and full["fail_reason"] is None
    assert wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})

    with path.open("r+b") as handle:  # what a guest might write after the backup
        handle.seek(100)
        handle.write(CHANGE)
    changed = head(path, len(PAYLOAD))
    incremental = backup(vol, volume_id=volume["id"], incremental=True)
    assert incremental["is_incremental"] is True and incremental["object_count"] == 1
    assert vol.get(f"/backups/{full['id']}").json()["backup"]["has_dependent_backups"]

    # restore the full backup into a new volume, the incremental over the original
    answer = vol.post(f"/backups/{full['id']}/restore", json={"restore": {
        "name": "restored"}})
    assert answer.status_code == 202, answer.text
    restore = answer.json()["restore"]
    assert restore["backup_id"] == full["id"] and restore["volume_name"] == "restored"
    restored = wait_for(vol, f"/volumes/{restore['volume_id']}", "volume",
                        {"available", "error"})
    assert restored["status"] == "available" and restored["size"] == 1
    assert head(device_path(vol, restored), len(PAYLOAD)) == PAYLOAD

    with path.open("r+b") as handle:
        handle.write(b"\xff" * 1000)
    answer = vol.post(f"/backups/{incremental['id']}/restore", json={"restore": {
        "volume_id": volume["id"]}})
    assert answer.status_code == 202, answer.text
    assert vol.get(f"/volumes/{volume['id']}").json()["volume"]["status"] in (
        "restoring-backup", "available")
    wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available"})
    assert head(path, len(PAYLOAD)) == changed
    wait_for(vol, f"/backups/{incremental['id']}", "backup", {"available"})

    # a volume made from the backup (volume create --backup), from 3.47; before it
    # cinder ignores backup_id and makes an empty volume
    with volume_client(cloud, "admin", "3.47") as v347:
        made = create_volume(v347, backup_id=incremental["id"], size=2)
    assert made["status"] == "available", made
    assert head(device_path(vol, made), len(PAYLOAD)) == changed

    refused = vol.delete(f"/backups/{full['id']}")
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"] == (
        "Invalid backup: Incremental backups exist for this backup.")
    store = cloud.settings.state_dir / "backups"
    assert (store / full["id"] / "manifest.json").exists()
    assert vol.delete(f"/backups/{incremental['id']}").status_code == 202
    wait_gone(vol, f"/backups/{incremental['id']}")
    assert vol.delete(f"/backups/{full['id']}").status_code == 202
    wait_gone(vol, f"/backups/{full['id']}")
    assert not (store / full["id"]).exists()


def test_backup_rules(cloud: RunningCloud, vol: httpx.Client) -> None:
    volume = create_volume(vol, size=1)
    no_parent = vol.post("/backups", json={"backup": {"volume_id": volume["id"],
                                                      "incremental": True}})
    assert no_parent.status_code == 400
    assert "No backups available to do an incremental backup." in no_parent.text
    assert vol.post(f"/volumes/{volume['id']}/action", json={"os-reserve": None}
                    ).status_code == 202
    assert vol.post(f"/volumes/{volume['id']}/action", json={"os-attach": {
        "instance_uuid": "5c3b6b1c-7c6f-4a3e-8a55-0ad5d6f1c8a1",
        "mountpoint": "/dev/vdb"}}).status_code == 202
    in_use = vol.post("/backups", json={"backup": {"volume_id": volume["id"]}})
    assert in_use.status_code == 400
    assert "Backing up an in-use volume must use the force flag." in in_use.text
    forced = backup(vol, volume_id=volume["id"], force=True)  # a fake backend: zeros
    assert forced["status"] == "available" and forced["object_count"] == 0
    assert wait_for(vol, f"/volumes/{volume['id']}", "volume", {"in-use"})
    small = create_volume(vol, size=1)
    big = create_volume(vol, size=2)
    big_backup = backup(vol, volume_id=big["id"])
    too_small = vol.post(f"/backups/{big_backup['id']}/restore",
                         json={"restore": {"volume_id": small["id"]}})
    assert too_small.status_code == 400
    assert "volume size 1 is too small to restore backup of size 2." in too_small.text
    assert vol.get("/backups/nope").status_code == 404
    listed = vol.get("/backups", params={"volume_id": big["id"]}).json()["backups"]
    assert [b["id"] for b in listed] == [big_backup["id"]]
    services = vol.get("/os-services", params={"binary": "cinder-backup"}).json()
    assert [(s["host"], s["state"]) for s in services["services"]] == [
        ("gureum-volume", "up")]


def test_backup_quota_and_isolation(cloud: RunningCloud,
                                    demo_sdk: openstack.connection.Connection) -> None:
    demo_project = project_id(cloud, "demo")
    with volume_client(cloud, "admin") as admin:
        assert admin.put(f"/os-quota-sets/{demo_project}", json={"quota_set": {
            "backups": 1}}).status_code == 200
    try:
        bs = demo_sdk.block_storage
        volume = bs.wait_for_status(bs.create_volume(size=1, name=unique("bq")),
                                    "available", failures=["error"], wait=30)
        first = bs.create_backup(volume_id=volume.id, name=unique("first"))
        bs.wait_for_status(first, "available", failures=["error"], wait=30)
        with pytest.raises(openstack.exceptions.HttpException) as over:
            bs.create_backup(volume_id=volume.id)
        assert over.value.status_code == 413
        assert "Maximum number of backups allowed (1) exceeded" in str(over.value)
        with volume_client(cloud, "demo", "3.44") as demo:
            usage = demo.get(f"/os-quota-sets/{demo_project}",
                             params={"usage": "True"}).json()["quota_set"]
            assert usage["backups"]["in_use"] == 1 and usage["backup_gigabytes"]["in_use"] == 1
            shown = demo.get(f"/backups/{first.id}").json()["backup"]
            assert "os-backup-project-attr:project_id" not in shown
        with volume_client(cloud, "admin") as admin:
            assert first.id not in {b["id"] for b in admin.get("/backups").json()["backups"]}
        bs.delete_backup(first)
    finally:
        with volume_client(cloud, "admin") as admin:
            admin.put(f"/os-quota-sets/{demo_project}", json={"quota_set": {"backups": -1}})


def test_tampered_backup_fails_restore(cloud: RunningCloud, vol: httpx.Client,
                                       local_volume_type: str) -> None:
    image = make_image(cloud, data=PAYLOAD)
    volume = create_volume(vol, size=1, volume_type=local_volume_type, imageRef=image["id"])
    made = backup(vol, volume_id=volume["id"])
    chunk = next((cloud.settings.state_dir / "backups" / made["id"]).glob("chunk-*"))
    chunk.write_bytes(zlib.compress(b"not what was backed up"))
    target = create_volume(vol, size=1, volume_type=local_volume_type)
    answer = vol.post(f"/backups/{made['id']}/restore",
                      json={"restore": {"volume_id": target["id"]}})
    assert answer.status_code == 202
    failed = wait_for(vol, f"/volumes/{target['id']}", "volume", {"error_restoring"})
    assert failed["status"] == "error_restoring"
    messages = vol.get("/messages", params={"resource_uuid": target["id"]},
                       headers={"OpenStack-API-Version": "volume 3.3"}).json()["messages"]
    assert any("does not match its checksum" in m["user_message"] for m in messages)
    assert wait_for(vol, f"/backups/{made['id']}", "backup", {"available"})


def test_backup_of_a_snapshot_reads_its_bytes(cloud: RunningCloud, vol: httpx.Client,
                                              local_volume_type: str) -> None:
    volume = create_volume(vol, size=1, volume_type=local_volume_type)
    path = device_path(vol, volume)
    with path.open("r+b") as handle:
        handle.write(b"before the snapshot")
    answer = vol.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    snapshot = wait_for(vol, f"/snapshots/{answer.json()['snapshot']['id']}", "snapshot",
                        {"available"})
    with path.open("r+b") as handle:  # the volume moves on; the backup must not see it
        handle.write(b"AFTER")
    # a snapshot of another volume is refused; an in-use volume needs no force
    other = create_volume(vol, size=1, volume_type=local_volume_type)
    wrong = vol.post("/backups", json={"backup": {"volume_id": other["id"],
                                                  "snapshot_id": snapshot["id"]}})
    assert wrong.status_code == 400
    made = backup(vol, volume_id=volume["id"], snapshot_id=snapshot["id"])
    assert made["status"] == "available" and made["snapshot_id"] == snapshot["id"]
    assert made["data_timestamp"] == snapshot["created_at"]
    assert wait_for(vol, f"/snapshots/{snapshot['id']}", "snapshot", {"available"})
    assert vol.get(f"/volumes/{volume['id']}").json()["volume"]["status"] == "available"
    # incremental on top of the snapshot's backup, from the volume as it is now
    newer = backup(vol, volume_id=volume["id"], incremental=True)
    assert newer["is_incremental"] is True
    answer = vol.post(f"/backups/{made['id']}/restore", json={"restore": {}})
    assert answer.status_code == 202, answer.text
    restored = wait_for(vol, f"/volumes/{answer.json()['restore']['volume_id']}", "volume",
                        {"available", "error"})
    assert head(device_path(vol, restored), 19) == b"before the snapshot"
