"""The volume scheduler's filters and weigher, and the fake volume driver's contract."""

from __future__ import annotations

import pytest

from gureum.block_storage.drivers.base import SnapshotSpec, VolumeSpec
from gureum.block_storage.drivers.fake import FakeVolumeDriver
from gureum.block_storage.scheduler.filters import DEFAULT_FILTERS, PoolState, Request, matches
from gureum.block_storage.scheduler.weighers import ordered
from gureum.core.drivers import DriverFault

FAST = PoolState("h@fast#ssd", "h@fast", "nova", 500, 100,
                 {"volume_backend_name": "fast", "multiattach": True, "tier": "gold",
                  "iops": 5000})
BULK = PoolState("h@bulk#hdd", "h@bulk", "nova", 2000, 0,
                 {"volume_backend_name": "bulk", "multiattach": False})
EAST = PoolState("h@east#p", "h@east", "east", 9000, 0, {"volume_backend_name": "east"})


def chosen(request: Request) -> list[str]:
    return [p.name for p in ordered([p for p in (FAST, BULK, EAST)
                                     if all(f.passes(p, request) for f in DEFAULT_FILTERS)])]


def test_zone_capacity_and_weight() -> None:
    assert chosen(Request(size=1, availability_zone="nova")) == ["h@bulk#hdd", "h@fast#ssd"]
    assert chosen(Request(size=401, availability_zone="nova")) == ["h@bulk#hdd"]
    assert chosen(Request(size=1, availability_zone="east")) == ["h@east#p"]
    assert chosen(Request(size=1, availability_zone="mars")) == []


def test_extra_specs_and_operators() -> None:
    fast_only = Request(size=1, availability_zone="nova",
                        extra_specs={"volume_backend_name": "fast"})
    assert chosen(fast_only) == ["h@fast#ssd"]
    assert chosen(Request(size=1, availability_zone="nova",
                          extra_specs={"capabilities:tier": "<or> gold <or> silver"})) == [
        "h@fast#ssd"]
    assert chosen(Request(size=1, availability_zone="nova",
                          extra_specs={"RESKEY:availability_zones": "x"})) == [
        "h@bulk#hdd", "h@fast#ssd"]
    assert chosen(Request(size=1, availability_zone="nova", multiattach=True)) == [
        "h@fast#ssd"]
    assert matches(5000, ">= 4000") and not matches(5000, "<= 4000")
    assert matches(True, "<is> True") and matches("abc", "<in> b")


def test_retries_and_sources() -> None:
    assert chosen(Request(size=1, availability_zone="nova",
                          tried_backends=("h@bulk",))) == ["h@fast#ssd"]
    assert chosen(Request(size=1, availability_zone="nova", source_backend="h@fast")) == [
        "h@fast#ssd"]


async def test_fake_driver_is_idempotent_and_counts_capacity() -> None:
    driver = FakeVolumeDriver({"ssd": 10})
    spec = VolumeSpec("v1", 4, "ssd")
    await driver.create_volume(spec)
    await driver.create_volume(spec)
    assert [p.free_capacity_gb for p in await driver.pool_stats()] == [6]
    await driver.extend_volume("v1", 6)
    await driver.create_snapshot(SnapshotSpec("s1", "v1", 6))
    await driver.create_volume(VolumeSpec("v2", 6, "ssd", snapshot_id="s1"))
    with pytest.raises(DriverFault):
        await driver.create_volume(VolumeSpec("v3", 1, "ssd", snapshot_id="nope"))
    driver.fail_next("delete_volume")
    with pytest.raises(DriverFault):
        await driver.delete_volume("v1")
    await driver.delete_volume("v1")
    await driver.delete_volume("v1")
    assert set(driver.volumes) == {"v2"}
