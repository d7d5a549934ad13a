"""The network driver contract, run over the fake driver: every method idempotent and
keyed by id, observed state matching what was applied, injected faults changing nothing.
A real driver joins the parametrization when it exists."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from gureum.core.drivers import DriverFault
from gureum.network.drivers.base import (
    AddressPair,
    DhcpHost,
    DhcpNetwork,
    DhcpOption,
    DhcpSubnet,
    FirewallRule,
    FixedIP,
    FloatingIPMapping,
    HostRoute,
    NetworkDriver,
    NetworkSegment,
    PortFirewall,
    PortWiring,
    RouterPort,
    RouterState,
    decode,
    encode,
)
from gureum.network.drivers.fake import FakeNetworkDriver

DRIVERS: dict[str, Callable[[], NetworkDriver]] = {"fake": FakeNetworkDriver}
SEGMENT = NetworkSegment("vxlan", None, 1001)
WIRING = PortWiring("p1", "n1", "fa:16:3e:00:00:01", SEGMENT, 1450,
                    (FixedIP("s1", "10.0.0.5", "10.0.0.0/24"),),
                    allowed_address_pairs=(AddressPair("10.0.0.9", "fa:16:3e:00:00:01"),))
FIREWALL = PortFirewall("p1", "fa:16:3e:00:00:01", ("10.0.0.5",), rules=(
    FirewallRule("egress"), FirewallRule("ingress", "IPv4", "tcp", 22, 22, "10.0.0.0/24")))
DHCP = DhcpNetwork(
    "n1", SEGMENT, PortWiring("dp", "n1", "fa:16:3e:00:00:02", SEGMENT), 1450,
    subnets=(DhcpSubnet("s1", "10.0.0.0/24", 4, "10.0.0.1", (("10.0.0.2", "10.0.0.254"),),
                        ("8.8.8.8",), (HostRoute("192.168.0.0/24", "10.0.0.1"),)),),
    hosts=(DhcpHost("p1", "fa:16:3e:00:00:01", (FixedIP("s1", "10.0.0.5"),), "vm1",
                    (DhcpOption("bootfile-name", "pxelinux.0"),)),))
ROUTER = RouterState(
    "r1", gateway=RouterPort("g1", "pub", "fa:16:3e:00:00:03", NetworkSegment("flat", "public"),
                             (FixedIP("ps", "172.24.4.10", "172.24.4.0/24"),)),
    interfaces=(RouterPort("i1", "n1", "fa:16:3e:00:00:04", SEGMENT,
                           (FixedIP("s1", "10.0.0.1", "10.0.0.0/24"),)),),
    routes=(HostRoute("10.1.0.0/24", "10.0.0.3"),),
    floating_ips=(FloatingIPMapping("f1", "172.24.4.20", "10.0.0.5", "p1"),))


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest) -> NetworkDriver:
    return DRIVERS[request.param]()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_ports_plug_idempotently_and_unplug(driver: NetworkDriver) -> None:
    async def scenario() -> None:
        await driver.plug_port(WIRING)
        await driver.plug_port(WIRING)
        await driver.apply_security(FIREWALL)
        await driver.apply_security(FIREWALL)
        assert await driver.wired_ports() == {"p1"}
        await driver.unplug_port("p1")
        await driver.unplug_port("p1")
        await driver.unplug_port("never-plugged")
        assert await driver.wired_ports() == set()
    run(scenario())


def test_dhcp_and_routers_converge_and_go(driver: NetworkDriver) -> None:
    async def scenario() -> None:
        await driver.sync_dhcp(DHCP)
        await driver.sync_dhcp(dataclasses.replace(DHCP, hosts=()))
        assert await driver.dhcp_networks() == {"n1"}
        await driver.sync_router(ROUTER)
        await driver.sync_router(ROUTER)
        assert await driver.routers() == {"r1"}
        await driver.remove_dhcp("n1")
        await driver.remove_dhcp("n1")
        await driver.remove_router("r1")
        await driver.remove_router("r1")
        assert await driver.dhcp_networks() == set() and await driver.routers() == set()
    run(scenario())


def test_fake_records_what_it_was_told_once() -> None:
    fake = FakeNetworkDriver()

    async def scenario() -> None:
        for _ in range(3):
            await fake.plug_port(WIRING)
            await fake.apply_security(FIREWALL)
            await fake.sync_dhcp(DHCP)
            await fake.sync_router(ROUTER)
        changed = dataclasses.replace(WIRING, mtu=1400)
        await fake.plug_port(changed)
        await fake.unplug_port("p1")
        assert fake.ports == {} and fake.firewalls == {}
        assert fake.dhcp["n1"] == DHCP and fake.routers_state["r1"] == ROUTER
        assert fake.log == [("plug_port", "p1"), ("apply_security", "p1"),
                            ("sync_dhcp", "n1"), ("sync_router", "r1"),
                            ("plug_port", "p1"), ("unplug_port", "p1")]
        assert fake.calls["plug_port"] == 4
    run(scenario())


def test_fail_next_fails_once_and_changes_nothing() -> None:
    fake = FakeNetworkDriver()

    async def scenario() -> None:
        fake.fail_next("plug_port")
        with pytest.raises(DriverFault):
            await fake.plug_port(WIRING)
        assert await fake.wired_ports() == set()
        await fake.plug_port(WIRING)
        assert await fake.wired_ports() == {"p1"}
        fake.fail_next("sync_router", times=2)
        for _ in range(2):
            with pytest.raises(DriverFault):
                await fake.sync_router(ROUTER)
        await fake.sync_router(ROUTER)
        assert await fake.routers() == {"r1"}
    run(scenario())


@pytest.mark.parametrize("value", [WIRING, FIREWALL, DHCP, ROUTER])
def test_values_cross_the_bus_unchanged(value: Any) -> None:
    """What the control plane sends (JSON) decodes to the same frozen value."""
    import json

    wire = json.loads(json.dumps(encode(value)))
    assert decode(type(value), wire) == value
