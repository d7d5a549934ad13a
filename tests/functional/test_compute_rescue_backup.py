"""Rescue and backups (issue 7): a server booted from a rescue image and back, with
nova's states and refusals; createBackup keeping only the newest `rotation` backups of a
type."""

from __future__ import annotations

import time

import httpx

from tests.functional.compute_helpers import (
    act,
    compute_client,
    create_server,
    settle,
    wait_deleted,
)
from tests.harness import RunningCloud, unique


def test_rescue_and_unrescue(demo_nova: httpx.Client, image: str) -> None:
    made = create_server(demo_nova, image, name=unique("rescue"))
    settle(demo_nova, made["id"], "ACTIVE")
    assert act(demo_nova, made["id"], "unrescue").status_code == 409
    assert act(demo_nova, made["id"], "rescue", {"rescue_image_ref": "nope"}
               ).status_code == 400
    rescued = act(demo_nova, made["id"], "rescue", {"adminPass": "s3cret"})
    assert rescued.status_code == 200 and rescued.json() == {"adminPass": "s3cret"}
    shown = settle(demo_nova, made["id"], "RESCUE")
    assert shown["OS-EXT-STS:vm_state"] == "rescued"
    assert act(demo_nova, made["id"], "os-stop").status_code == 409
    assert act(demo_nova, made["id"], "unrescue").status_code == 202
    settle(demo_nova, made["id"], "ACTIVE")
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{made['id']}/os-instance-actions").json()["instanceActions"]]
    assert actions[:2] == ["unrescue", "rescue"]
    assert demo_nova.delete(f"/servers/{made['id']}").status_code == 204
    wait_deleted(demo_nova, made["id"])


def test_backups_rotate(cloud: RunningCloud, demo_images: httpx.Client, image: str) -> None:
    with compute_client(cloud, "demo", "2.45") as nova:
        made = create_server(nova, image, name=unique("backed"))
        settle(nova, made["id"], "ACTIVE")

        def backup(kind: str, rotation: int) -> httpx.Response:
            answer = act(nova, made["id"], "createBackup", {
                "name": unique("backup"), "backup_type": kind, "rotation": rotation})
            settle(nova, made["id"], "ACTIVE")
            return answer

        def kept(kind: str) -> list[str]:
            return sorted(i["id"] for i in demo_images.get("/images", params={
                "instance_uuid": made["id"], "backup_type": kind}).json()["images"])

        ids = [backup("daily", 2).json()["image_id"] for _ in range(3)]
        assert backup("weekly", 1).status_code == 202
        deadline = time.monotonic() + 10
        while kept("daily") != sorted(ids[1:]):  # the oldest daily one went
            assert time.monotonic() < deadline, kept("daily")
            time.sleep(0.05)
        assert len(kept("weekly")) == 1
        shown = demo_images.get(f"/images/{ids[-1]}").json()
        assert (shown["image_type"], shown["status"]) == ("backup", "active")
        none_left = backup("daily", 0)
        assert none_left.status_code == 202 and not none_left.content
        assert kept("daily") == [] and len(kept("weekly")) == 1
        assert act(nova, made["id"], "createBackup", {"name": "x", "backup_type": "d"}
                   ).status_code == 400  # rotation is required
        assert nova.delete(f"/servers/{made['id']}").status_code == 204
        wait_deleted(nova, made["id"])
