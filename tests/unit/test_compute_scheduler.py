"""The compute scheduler's filters and weighers, and the fake compute driver's behaviours."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from gureum.compute.config import HostSettings
from gureum.compute.drivers.base import InstanceSpec
from gureum.compute.drivers.fake import BEHAVIOUR_KEY, FakeComputeDriver
from gureum.compute.messages import RUNNING, SHUTDOWN
from gureum.compute.scheduler.filters import DEFAULT_FILTERS, HostState, RequestSpec
from gureum.compute.scheduler.weighers import ordered
from gureum.core.drivers import DriverFault

BIG = HostState(1, "big", "nova", "fake", "x86_64", 64, 65536, 1000,
                {"ssd": {"true"}})
SMALL = HostState(2, "small", "nova", "fake", "x86_64", 4, 2048, 40)
EAST = HostState(3, "east", "east", "qemu", "aarch64", 16, 8192, 100)
HOSTS = [BIG, SMALL, EAST]
TINY = RequestSpec(server_id="s", vcpus=1, memory_mb=512, disk_gb=1)


def chosen(spec: RequestSpec, spread: bool = True) -> list[str]:
    passed = [h for h in HOSTS if all(f.passes(h, spec) for f in DEFAULT_FILTERS)]
    return [h.host for h in ordered(passed, spec, spread=spread)]


def test_capacity_zone_and_weighers() -> None:
    assert chosen(TINY) == ["big", "east", "small"]  # most free RAM first
    assert chosen(TINY, spread=False) == ["small", "east", "big"]
    assert chosen(replace(TINY, memory_mb=4096)) == ["big", "east"]
    assert chosen(replace(TINY, vcpus=32)) == ["big"]
    assert chosen(replace(TINY, disk_gb=2000)) == []
    assert chosen(replace(TINY, zone="east")) == ["east"]
    assert chosen(replace(TINY, forced_host="small")) == ["small"]
    assert chosen(replace(TINY, ignore_hosts=frozenset({"big"}))) == ["east", "small"]


def test_image_properties_and_aggregate_extra_specs() -> None:
    assert chosen(replace(TINY, image_properties={"architecture": "aarch64"})) == ["east"]
    assert chosen(replace(TINY, image_properties={"hypervisor_type": "fake"})) == [
        "big", "small"]
    assert chosen(replace(TINY, extra_specs={"aggregate_instance_extra_specs:ssd": "true"})
                  ) == ["big"]
    assert chosen(replace(TINY, extra_specs={"ssd": "true"})) == ["big"]
    # other scopes belong to other filters
    assert chosen(replace(TINY, extra_specs={"hw:cpu_policy": "dedicated"})) == [
        "big", "east", "small"]


def test_same_and_different_host() -> None:
    assert chosen(replace(TINY, same_host=frozenset({"small"}))) == ["small"]
    assert chosen(replace(TINY, different_host=frozenset({"big", "east"}))) == ["small"]


def test_server_group_policies() -> None:
    anti = replace(TINY, group_policy="anti-affinity", group_hosts=("big", "east"))
    assert chosen(anti) == ["small"]
    assert chosen(replace(anti, max_server_per_host=2)) == ["big", "east", "small"]
    assert chosen(replace(anti, group_hosts=("big", "big"), max_server_per_host=2)) == [
        "east", "small"]
    assert chosen(replace(TINY, group_policy="affinity", group_hosts=("east",))) == ["east"]
    assert chosen(replace(TINY, group_policy="affinity")) == ["big", "east", "small"]
    # the soft policies only weigh: members' hosts first, or last
    assert chosen(replace(TINY, group_policy="soft-affinity", group_hosts=("small",))) == [
        "small", "big", "east"]
    assert chosen(replace(TINY, group_policy="soft-anti-affinity",
                          group_hosts=("big",))) == ["east", "small", "big"]


def spec(server_id: str, behaviour: str | None = None) -> InstanceSpec:
    return InstanceSpec(server_id, server_id, 1, 128, 1,
                        metadata={BEHAVIOUR_KEY: behaviour} if behaviour else {})


async def test_fake_driver_behaviours_and_fault_injection() -> None:
    driver = FakeComputeDriver(HostSettings(vcpus=2, memory_mb=1024, local_gb=10))
    assert (await driver.host_resources()).hypervisor_type == "fake"
    await driver.spawn(spec("a"))
    assert (await driver.info("a")) is not None
    await driver.power_off("a")
    assert (await driver.info("a")).power_state == SHUTDOWN  # type: ignore[union-attr]
    await driver.power_on("a")
    assert "Powering on." in await driver.console_output("a")
    with pytest.raises(DriverFault, match="spawn_fail"):
        await driver.spawn(spec("b", "spawn_fail"))
    assert await driver.info("b") is None
    started = time.monotonic()
    await driver.spawn(spec("c", "delay=0.2"))
    assert time.monotonic() - started >= 0.2
    assert (await driver.info("c")).power_state == RUNNING  # type: ignore[union-attr]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(driver.spawn(spec("d", "build_stuck")), 0.1)
    await driver.spawn(spec("e", "delete_fail"))
    with pytest.raises(DriverFault, match="delete_fail"):
        await driver.destroy("e")
    driver.fail_next("destroy")
    with pytest.raises(DriverFault):
        await driver.destroy("a")
    await driver.destroy("a")
    assert await driver.info("a") is None and driver.calls["destroy"] == 3
