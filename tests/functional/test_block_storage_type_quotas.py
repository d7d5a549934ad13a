"""Per-volume-type quotas (volumes_<type>, gigabytes_<type>, snapshots_<type>) in
os-quota-sets, enforced on create, snapshot, extend and retype."""

from __future__ import annotations

import httpx
import pytest

from tests.functional.volume_helpers import create_volume, project_id
from tests.harness import RunningCloud, unique

pytestmark = pytest.mark.usefixtures("volumes_unlimited")


def test_per_type_quotas(cloud: RunningCloud, vol: httpx.Client) -> None:
    name = unique("gold")
    assert vol.post("/types", json={"volume_type": {"name": name}}).status_code == 200
    project = project_id(cloud, "admin")
    defaults = vol.get(f"/os-quota-sets/{project}/defaults").json()["quota_set"]
    assert defaults[f"volumes_{name}"] == -1 and defaults[f"snapshots_{name}"] == -1
    answer = vol.put(f"/os-quota-sets/{project}", json={"quota_set": {
        f"volumes_{name}": 1, f"gigabytes_{name}": 2, f"snapshots_{name}": 0}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["quota_set"][f"gigabytes_{name}"] == 2
    bad = vol.put(f"/os-quota-sets/{project}", json={"quota_set": {"volumes_nope-x": 1}})
    assert bad.status_code == 400
    volume = create_volume(vol, volume_type=name)
    second = vol.post("/volumes", json={"volume": {"size": 1, "volume_type": name}})
    assert second.status_code == 413 and f"volumes_{name}" in second.text
    usage = vol.get(f"/os-quota-sets/{project}", params={"usage": "true"}).json()
    assert usage["quota_set"][f"volumes_{name}"] == {
        "limit": 1, "in_use": 1, "reserved": 0, "allocated": 0}
    assert usage["quota_set"][f"gigabytes_{name}"]["in_use"] == 1
    snap = vol.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}})
    assert snap.status_code == 413
    grow = vol.post(f"/volumes/{volume['id']}/action", json={"os-extend": {"new_size": 3}})
    assert grow.status_code == 413 and f"gigabytes_{name}" in grow.text
    # a volume of another type cannot be retyped into the full one
    other = create_volume(vol)
    moved = vol.post(f"/volumes/{other['id']}/action",
                     json={"os-retype": {"new_type": name}})
    assert moved.status_code == 413
    vol.put(f"/os-quota-sets/{project}", json={"quota_set": {
        f"volumes_{name}": -1, f"gigabytes_{name}": -1, f"snapshots_{name}": -1}})
