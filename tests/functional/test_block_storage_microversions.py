"""What changed between microversions 3.45 and 3.51, each at the version before and the
version that brought it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.functional.test_block_storage_images import make_image
from tests.functional.volume_helpers import create_volume, volume_client, wait_for
from tests.harness import RunningCloud

pytestmark = pytest.mark.usefixtures("volumes_unlimited")


def test_counts_from_3_45(cloud: RunningCloud, vol: httpx.Client) -> None:
    create_volume(vol)
    create_volume(vol)
    with volume_client(cloud, "admin", "3.45") as v345:
        page = v345.get("/volumes/detail", params={"with_count": "true", "limit": 1}).json()
        assert len(page["volumes"]) == 1 and page["count"] >= 2
        assert "count" in v345.get("/snapshots", params={"with_count": "true"}).json()
        assert "count" in v345.get("/backups/detail", params={"with_count": "true"}).json()
        assert "count" not in v345.get("/volumes").json()
    assert "count" not in vol.get("/volumes", params={"with_count": "true"}).json()


def test_volume_from_a_nova_snapshot_image_from_3_46(cloud: RunningCloud,
                                                     vol: httpx.Client) -> None:
    source = create_volume(vol)
    answer = vol.post("/snapshots", json={"snapshot": {"volume_id": source["id"]}})
    snapshot = wait_for(vol, f"/snapshots/{answer.json()['snapshot']['id']}", "snapshot",
                        {"available"})
    mapping = [{"boot_index": 0, "source_type": "snapshot", "destination_type": "volume",
                "snapshot_id": snapshot["id"], "volume_size": 1}]
    image = make_image(cloud, data=b"", block_device_mapping=json.dumps(mapping),
                       bdm_v2="True")
    with volume_client(cloud, "admin", "3.46") as v346:
        made = create_volume(v346, imageRef=image["id"], size=1)
    assert made["status"] == "available" and made["snapshot_id"] == snapshot["id"]
    assert "volume_image_metadata" not in made
    old = create_volume(vol, imageRef=image["id"], size=1)  # 3.44: the (empty) image
    assert old["snapshot_id"] is None and old["volume_image_metadata"]["image_id"] == (
        image["id"])


def test_volume_fields_and_service_state_from_3_48(cloud: RunningCloud,
                                                   vol: httpx.Client) -> None:
    volume = create_volume(vol)
    assert "service_uuid" not in vol.get(f"/volumes/{volume['id']}").json()["volume"]
    with volume_client(cloud, "admin", "3.49") as v349:
        shown = v349.get(f"/volumes/{volume['id']}").json()["volume"]
        assert shown["shared_targets"] is False
        services = v349.get("/os-services").json()["services"]
    by_host = {s["host"]: s for s in services if s["binary"] == "cinder-volume"}
    assert shown["service_uuid"] and shown["os-vol-host-attr:host"].split("#")[0] in by_host
    assert all(s["backend_state"] == "up" for s in by_host.values())
    assert all("backend_state" not in s for s in vol.get("/os-services").json()["services"])


def test_backup_in_a_zone_from_3_51(cloud: RunningCloud, vol: httpx.Client) -> None:
    volume = create_volume(vol)
    body = {"backup": {"volume_id": volume["id"], "availability_zone": "nowhere"}}
    assert vol.post("/backups", json=body).status_code == 400  # 3.44: not a field yet
    with volume_client(cloud, "admin", "3.51") as v351:
        assert v351.post("/backups", json=body).status_code == 503  # no service there
        zone = volume["availability_zone"]
        body["backup"]["availability_zone"] = zone
        answer = v351.post("/backups", json=body)
        assert answer.status_code == 202, answer.text
        done = wait_for(v351, f"/backups/{answer.json()['backup']['id']}", "backup",
                        {"available", "error"})
    assert done["availability_zone"] == zone
