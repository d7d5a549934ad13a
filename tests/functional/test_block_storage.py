"""The Block Storage API (Cinder v3) driven over HTTP: discovery, volumes through
openstacksdk, types that steer the scheduler, lists, isolation, services and pools."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openstack
import pytest

from tests.functional.volume_helpers import (
    backend_of,
    create_volume,
    volume_client,
    wait_gone,
)
from tests.harness import RunningCloud, unique

pytestmark = pytest.mark.usefixtures("volumes_unlimited")


@pytest.fixture()
def vol(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """At the base microversion here (the other modules' `vol` asks for 3.44)."""
    with volume_client(cloud, "admin") as client:
        yield client


@pytest.fixture()
def demo_vol(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with volume_client(cloud, "demo") as client:
        yield client


def test_discovery_and_microversions(cloud: RunningCloud, vol: httpx.Client) -> None:
    root = httpx.get(f"{cloud.url}/volume/")
    assert root.status_code == 300
    (version,) = root.json()["versions"]
    assert version["id"] == "v3.0" and version["min_version"] == "3.0"
    assert version["version"] == "3.51"
    answer = vol.get("/extensions", headers={"OpenStack-API-Version": "volume 3.27"})
    assert answer.headers["OpenStack-API-Version"] == "volume 3.27"
    assert {"os-volume-actions", "os-quota-sets", "scheduler-stats"} <= {
        e["alias"] for e in answer.json()["extensions"]}
    too_new = vol.get("/volumes", headers={"OpenStack-API-Version": "volume 3.71"})
    assert too_new.status_code == 406
    missing = vol.get("/volumes/nope")
    assert missing.status_code == 404
    assert missing.json() == {"itemNotFound": {
        "code": 404, "message": "Volume nope could not be found."}}


def test_catalog_and_project_in_url(cloud: RunningCloud, admin_sdk: openstack.connection.
                                    Connection, vol: httpx.Client) -> None:
    types = {s["type"] for s in admin_sdk.service_catalog}
    assert {"block-storage", "volumev3"} <= types
    project = admin_sdk.current_project_id
    with_project = vol.get(f"{cloud.url}/volume/v3/{project}/types")
    assert with_project.status_code == 200
    assert with_project.json() == vol.get("/types").json()


def test_volume_lifecycle_with_openstacksdk(admin_sdk: openstack.connection.Connection,
                                            ) -> None:
    bs = admin_sdk.block_storage
    name = unique("sdk-vol")
    volume = bs.create_volume(size=1, name=name, description="first",
                              metadata={"purpose": "test"})
    assert volume.status == "creating"
    volume = bs.wait_for_status(volume, "available", failures=["error"], wait=30)
    assert volume.size == 1 and volume.volume_type == "__DEFAULT__"
    assert volume.availability_zone == "nova" and volume.is_bootable is False
    assert volume.metadata == {"purpose": "test"}
    assert name in {v.name for v in bs.volumes()}
    bs.update_volume(volume, name=f"{name}-renamed")
    bs.set_volume_metadata(volume, colour="blue")
    got = bs.get_volume(volume)
    assert got.name == f"{name}-renamed"
    assert got.metadata == {"purpose": "test", "colour": "blue"}
    bs.extend_volume(volume, 2)
    deadline = time.monotonic() + 30
    while (got := bs.get_volume(volume)).size != 2 or got.status != "available":
        assert got.status in ("available", "extending") and time.monotonic() < deadline
        time.sleep(0.05)
    bs.delete_volume(volume)
    bs.wait_for_delete(volume, wait=30)


def test_list_filters_sort_and_pages(vol: httpx.Client) -> None:
    tag = unique("page")
    made = [create_volume(vol, name=f"{tag}-{i}", metadata={"batch": tag})
            for i in range(5)]
    found = vol.get("/volumes/detail", params={"metadata": f"{{'batch': '{tag}'}}",
                                               "sort": "name:asc"}).json()["volumes"]
    assert [v["name"] for v in found] == [f"{tag}-{i}" for i in range(5)]
    seen: list[str] = []
    params: dict[str, str] = {"metadata": f'{{"batch": "{tag}"}}', "limit": "2",
                              "sort": "name:asc"}
    while True:
        page = vol.get("/volumes", params=params).json()
        seen.extend(v["name"] for v in page["volumes"])
        links = page.get("volumes_links")
        if not links:
            break
        params["marker"] = page["volumes"][-1]["id"]
    assert seen == [f"{tag}-{i}" for i in range(5)]
    assert vol.get("/volumes", params={"name": f"{tag}-3"}).json()["volumes"][0]["id"] == (
        made[3]["id"])
    assert vol.get("/volumes", params={"status": "nonsense", "name": f"{tag}-3"}).json() == {
        "volumes": []}
    assert vol.get("/volumes", params={"sort": "name:sideways"}).status_code == 400


def test_type_with_backend_steers_the_scheduler(vol: httpx.Client) -> None:
    for backend in ("fast", "bulk"):
        name = unique(f"type-{backend}")
        created = vol.post("/types", json={"volume_type": {
            "name": name, "extra_specs": {"volume_backend_name": backend}}})
        assert created.status_code == 200, created.text
        assert created.json()["volume_type"]["extra_specs"] == {
            "volume_backend_name": backend}
        volumes = [create_volume(vol, volume_type=name) for _ in range(3)]
        assert {v["status"] for v in volumes} == {"available"}
        assert {backend_of(v) for v in volumes} == {backend}
        assert {v["volume_type"] for v in volumes} == {name}
    nowhere = unique("type-nowhere")
    vol.post("/types", json={"volume_type": {
        "name": nowhere, "extra_specs": {"volume_backend_name": "no-such-backend"}}})
    failed = create_volume(vol, volume_type=nowhere)
    assert failed["status"] == "error"
    messages = vol.get("/messages", params={"resource_uuid": failed["id"]},
                       headers={"OpenStack-API-Version": "volume 3.3"}).json()["messages"]
    assert messages[0]["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend.")
    assert vol.delete(f"/volumes/{failed['id']}").status_code == 202
    wait_gone(vol, f"/volumes/{failed['id']}")


def test_private_types_and_access(cloud: RunningCloud, vol: httpx.Client,
                                  demo_vol: httpx.Client,
                                  demo_sdk: openstack.connection.Connection) -> None:
    name = unique("private")
    vtype = vol.post("/types", json={"volume_type": {
        "name": name, "os-volume-type-access:is_public": False}}).json()["volume_type"]
    assert vtype["is_public"] is False
    assert name not in {t["name"] for t in demo_vol.get("/types").json()["volume_types"]}
    assert demo_vol.get(f"/types/{vtype['id']}").status_code == 404
    assert demo_vol.post("/types", json={"volume_type": {"name": unique("x")}}).status_code \
        == 403
    demo_project = demo_sdk.current_project_id
    added = vol.post(f"/types/{vtype['id']}/action",
                     json={"addProjectAccess": {"project": demo_project}})
    assert added.status_code == 202
    assert vol.get(f"/types/{vtype['id']}/os-volume-type-access").json() == {
        "volume_type_access": [{"volume_type_id": vtype["id"], "project_id": demo_project}]}
    seen = demo_vol.get(f"/types/{vtype['id']}").json()["volume_type"]
    assert seen["name"] == name and "extra_specs" not in seen
    made = create_volume(demo_vol, volume_type=name)
    assert made["status"] == "available"
    in_use = vol.delete(f"/types/{vtype['id']}")
    assert in_use.status_code == 400
    default = vol.get("/types/default").json()["volume_type"]
    assert default["name"] == "__DEFAULT__"
    assert vol.delete(f"/types/{default['id']}").status_code == 400


def test_isolation(vol: httpx.Client, demo_vol: httpx.Client) -> None:
    mine = create_volume(vol, name=unique("admin-only"))
    assert demo_vol.get(f"/volumes/{mine['id']}").status_code == 404
    assert demo_vol.delete(f"/volumes/{mine['id']}").status_code == 404
    assert mine["id"] not in {v["id"] for v in demo_vol.get("/volumes").json()["volumes"]}
    # admins list their own project unless they ask for all of them, as cinder does
    theirs = create_volume(demo_vol, name=unique("demo-own"))
    assert "os-vol-host-attr:host" not in theirs
    assert theirs["id"] not in {v["id"] for v in vol.get("/volumes").json()["volumes"]}
    everyone = vol.get("/volumes", params={"all_tenants": "1"}).json()["volumes"]
    assert {mine["id"], theirs["id"]} <= {v["id"] for v in everyone}
    assert vol.get(f"/volumes/{theirs['id']}").status_code == 200
    reset = demo_vol.post(f"/volumes/{theirs['id']}/action",
                          json={"os-reset_status": {"status": "error"}})
    assert reset.status_code == 403


def test_services_pools_and_zones(vol: httpx.Client, demo_vol: httpx.Client,
                                  admin_sdk: openstack.connection.Connection) -> None:
    services = vol.get("/os-services").json()["services"]
    names = {(s["binary"], s["host"]) for s in services}
    assert {("cinder-scheduler", "gureum-volume"), ("cinder-volume", "gureum-volume@fast"),
            ("cinder-volume", "gureum-volume@bulk")} <= names
    assert {s["state"] for s in services} == {"up"}
    assert demo_vol.get("/os-services").status_code == 403
    pools = {p.name: p for p in admin_sdk.block_storage.backend_pools()}
    assert set(pools) == {"gureum-volume@fast#ssd", "gureum-volume@bulk#hdd-1",
                          "gureum-volume@bulk#hdd-2", "gureum-volume@local#files"}
    detail = vol.get("/scheduler-stats/get_pools", params={"detail": "True"}).json()
    ssd = next(p for p in detail["pools"] if p["name"] == "gureum-volume@fast#ssd")
    assert ssd["capabilities"]["volume_backend_name"] == "fast"
    assert ssd["capabilities"]["total_capacity_gb"] == 500
    assert demo_vol.get("/scheduler-stats/get_pools").status_code == 403
    zones = demo_vol.get("/os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}}]
    wrong_zone = demo_vol.post("/volumes", json={"volume": {"size": 1,
                                                            "availability_zone": "mars"}})
    assert wrong_zone.status_code == 400
    assert "mars" in wrong_zone.json()["badRequest"]["message"]
