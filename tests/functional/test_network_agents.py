"""Network agents as neutron's: listed with neutron's binaries and types, alive by
heartbeat, scheduled onto networks (DHCP) and routers (L3), wiring ports through their
(fake) driver, and the DevStack networks the cloud bootstraps."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openstack
import pytest
from sqlalchemy import update

from gureum.network.drivers.fake import FakeNetworkDriver
from gureum.network.models import Agent
from tests.harness import RunningCloud, cloud_settings, unique

HOST = "gureum-net1"  # the embedded agents' host (settings.network.agent_hosts)
T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, f"not true within {timeout}s"
            return value
        time.sleep(0.05)


def driver(cloud: RunningCloud) -> FakeNetworkDriver:
    found = cloud.cloud.network_agents[HOST].driver
    assert isinstance(found, FakeNetworkDriver)
    return found


def url(cloud: RunningCloud, path: str) -> str:
    return f"{cloud.url}/networking/v2.0{path}"


@pytest.fixture()
def network(admin_sdk: openstack.connection.Connection) -> Iterator[Any]:
    """A network with a DHCP-enabled IPv4 subnet."""
    net = admin_sdk.network.create_network(name=unique("agents-net"))
    admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.0/24",
                                    name=unique("agents-subnet"))
    yield net
    for port in admin_sdk.network.ports(network_id=net.id):
        if port.device_owner != "network:dhcp":
            admin_sdk.network.delete_port(port)
    admin_sdk.network.delete_network(net)


def register(cloud: RunningCloud, host: str, agent_type: str = "Linux bridge agent",
             binary: str = "neutron-linuxbridge-agent") -> str:
    """An agent of our own making, through the real heartbeat RPC."""
    assert cloud.cloud.bus is not None
    reply = cloud.run(cloud.cloud.bus.call("network.plugin", "report_state", agent_state={
        "agent_type": agent_type, "binary": binary, "host": host, "topic": "N/A",
        "configurations": {"devices": 0}, "start_flag": True}))
    return str(reply["id"])


# ------------------------------------------------------------------ listing
def test_agents_are_listed_as_neutrons(admin_sdk: openstack.connection.Connection) -> None:
    agents = {a.agent_type: a for a in admin_sdk.network.agents(host=HOST)}
    expected = {"DHCP agent": ("neutron-dhcp-agent", "dhcp_agent", "nova"),
                "L3 agent": ("neutron-l3-agent", "l3_agent", "nova"),
                "Linux bridge agent": ("neutron-linuxbridge-agent", "N/A", None)}
    assert set(agents) == set(expected)
    for agent_type, (binary, topic, zone) in expected.items():
        agent = agents[agent_type]
        assert (agent.binary, agent.topic, agent.availability_zone) == (binary, topic, zone)
        assert agent.is_alive is True and agent.is_admin_state_up is True
        assert agent.host == HOST
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", agent.last_heartbeat_at)
        assert agent.configuration["driver"] == "fake"
    filtered = list(admin_sdk.network.agents(agent_type="DHCP agent", host=HOST))
    assert [a.binary for a in filtered] == ["neutron-dhcp-agent"]
    assert list(admin_sdk.network.agents(binary="neutron-l3-agent", host=HOST))


def test_agents_are_for_admins_only(cloud: RunningCloud, demo: httpx.Client,
                                    admin: httpx.Client) -> None:
    assert demo.get(url(cloud, "/agents")).status_code == 403
    body = admin.get(url(cloud, "/agents/no-such-agent")).json()
    assert body["NeutronError"]["type"] == "AgentNotFound"


def test_an_agent_without_heartbeat_is_dead(cloud: RunningCloud, admin: httpx.Client,
                                            admin_sdk: openstack.connection.Connection,
                                            ) -> None:
    host = unique("ghost")
    agent_id = register(cloud, host)
    assert admin_sdk.network.get_agent(agent_id).is_alive is True

    async def silence() -> None:
        assert cloud.cloud.db is not None
        async with cloud.cloud.db.session() as session:
            await session.execute(update(Agent).where(Agent.id == agent_id)
                                  .values(heartbeat_timestamp=datetime(2020, 1, 1)))
    cloud.run(silence())
    shown = admin.get(url(cloud, f"/agents/{agent_id}")).json()["agent"]
    assert shown["alive"] is False and shown["heartbeat_timestamp"] == "2020-01-01 00:00:00"
    dead = {a.id for a in admin_sdk.network.agents(is_alive=False)}
    alive = {a.id for a in admin_sdk.network.agents(is_alive=True)}
    assert agent_id in dead and agent_id not in alive
    # no live L2 agent on the host: a port bound there fails to bind, as in neutron
    net = admin_sdk.network.create_network(name=unique("ghost-net"))
    port = admin_sdk.network.create_port(network_id=net.id, binding_host_id=host)
    shown_port = admin_sdk.network.get_port(port.id)
    assert shown_port.binding_vif_type == "binding_failed" and shown_port.status == "DOWN"
    admin_sdk.network.delete_port(port)
    admin_sdk.network.delete_network(net)
    # a heartbeat revives it; deleting it removes it
    register(cloud, host)
    assert admin_sdk.network.get_agent(agent_id).is_alive is True
    assert admin.delete(url(cloud, f"/agents/{agent_id}")).status_code == 204
    assert admin.get(url(cloud, f"/agents/{agent_id}")).status_code == 404


def test_update_agent(cloud: RunningCloud, admin: httpx.Client,
                      admin_sdk: openstack.connection.Connection) -> None:
    agent_id = register(cloud, unique("spare"))
    updated = admin_sdk.network.update_agent(agent_id, is_admin_state_up=False,
                                             description="drained")
    assert updated.is_admin_state_up is False and updated.description == "drained"
    assert admin_sdk.network.get_agent(agent_id).is_admin_state_up is False
    refused = admin.put(url(cloud, f"/agents/{agent_id}"), json={"agent": {"host": "x"}})
    assert refused.status_code == 400
    admin_sdk.network.delete_agent(agent_id)


# ------------------------------------------------------------------ L2: ports
def test_a_port_bound_to_an_agent_host_is_wired(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
        network: Any) -> None:
    port = admin_sdk.network.create_port(network_id=network.id, binding_host_id=HOST)
    active = wait_for(lambda: (p := admin_sdk.network.get_port(port.id)).status == "ACTIVE"
                      and p)
    assert active.binding_vif_type == "bridge"
    assert active.binding_vif_details == {"port_filter": True, "connectivity": "l2"}
    wired = driver(cloud).ports[port.id]
    assert wired.network_id == network.id and wired.mac_address == port.mac_address
    assert [f.ip_address for f in wired.fixed_ips] == [port.fixed_ips[0]["ip_address"]]
    assert wired.segment.network_type == "vxlan" and wired.mtu == network.mtu
    firewall = driver(cloud).firewalls[port.id]
    assert firewall.stateful and {r.direction for r in firewall.rules} == {"ingress", "egress"}
    # the default group lets its members in: the port's own address is among them
    address = port.fixed_ips[0]["ip_address"]
    assert any(r.remote_ip_prefix == f"{address}/32" for r in firewall.rules)

    admin_sdk.network.update_port(port, is_admin_state_up=False)
    wait_for(lambda: admin_sdk.network.get_port(port.id).status == "DOWN")
    assert port.id not in driver(cloud).ports
    admin_sdk.network.update_port(port, is_admin_state_up=True)
    wait_for(lambda: admin_sdk.network.get_port(port.id).status == "ACTIVE")
    admin_sdk.network.delete_port(port)
    wait_for(lambda: port.id not in driver(cloud).ports)


def test_security_group_changes_reach_the_wired_ports(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
        network: Any) -> None:
    group = admin_sdk.network.create_security_group(name=unique("agents-sg"))
    try:
        port = admin_sdk.network.create_port(network_id=network.id, binding_host_id=HOST,
                                             security_group_ids=[group.id])
        wait_for(lambda: port.id in driver(cloud).firewalls)
        admin_sdk.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="tcp",
            port_range_min=8080, port_range_max=8080, remote_ip_prefix="192.0.2.0/24")
        wait_for(lambda: any(r.port_range_min == 8080 and
                             r.remote_ip_prefix == "192.0.2.0/24"
                             for r in driver(cloud).firewalls[port.id].rules))
        # a member joining a remote group opens the door for its address
        admin_sdk.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="udp",
            remote_group_id=group.id)
        other = admin_sdk.network.create_port(network_id=network.id, binding_host_id=HOST,
                                              security_group_ids=[group.id])
        prefix = f"{other.fixed_ips[0]['ip_address']}/32"
        wait_for(lambda: any(r.protocol == "udp" and r.remote_ip_prefix == prefix
                             for r in driver(cloud).firewalls[port.id].rules))
        admin_sdk.network.update_port(port, port_security_enabled=False,
                                      security_group_ids=[])
        wait_for(lambda: not driver(cloud).firewalls[port.id].port_security_enabled)
        assert driver(cloud).firewalls[port.id].rules == ()
        for each in (port, other):
            admin_sdk.network.delete_port(each)
    finally:
        admin_sdk.network.delete_security_group(group)


def test_a_port_bound_to_an_unknown_host_fails_to_bind(
        admin_sdk: openstack.connection.Connection, network: Any) -> None:
    port = admin_sdk.network.create_port(network_id=network.id,
                                         binding_host_id=unique("nowhere"))
    shown = admin_sdk.network.get_port(port.id)
    assert shown.binding_vif_type == "binding_failed" and shown.status == "DOWN"
    # moved to the agent's host, it binds
    admin_sdk.network.update_port(port, binding_host_id=HOST)
    wait_for(lambda: admin_sdk.network.get_port(port.id).binding_vif_type == "bridge")


def test_a_driver_failure_is_retried(cloud: RunningCloud,
                                     admin_sdk: openstack.connection.Connection,
                                     network: Any) -> None:
    fake = driver(cloud)
    before = fake.calls["plug_port"]
    fake.fail_next("plug_port")
    port = admin_sdk.network.create_port(network_id=network.id, binding_host_id=HOST)
    wait_for(lambda: admin_sdk.network.get_port(port.id).status == "ACTIVE")
    assert fake.calls["plug_port"] >= before + 2 and port.id in fake.ports


# ------------------------------------------------------------------ DHCP
def test_a_network_with_a_subnet_gets_a_dhcp_agent(
        cloud: RunningCloud, admin: httpx.Client,
        admin_sdk: openstack.connection.Connection, network: Any) -> None:
    agents = wait_for(lambda: list(admin_sdk.network.network_hosting_dhcp_agents(network)))
    assert [(a.host, a.agent_type) for a in agents] == [(HOST, "DHCP agent")]
    dhcp = wait_for(lambda: [p for p in admin_sdk.network.ports(
        network_id=network.id, device_owner="network:dhcp") if p.status == "ACTIVE"])
    assert len(dhcp) == 1 and dhcp[0].binding_host_id == HOST
    assert dhcp[0].device_id.startswith("dhcp") and dhcp[0].device_id.endswith(network.id)
    served = wait_for(lambda: driver(cloud).dhcp.get(network.id))
    assert served.dhcp_port.port_id == dhcp[0].id
    assert [s.cidr for s in served.subnets] == ["10.77.0.0/24"]
    hosted = list(admin_sdk.network.dhcp_agent_hosting_networks(agents[0].id))
    assert network.id in {n.id for n in hosted}

    # a new port reaches the DHCP server's hosts
    port = admin_sdk.network.create_port(network_id=network.id)
    wait_for(lambda: port.id in {h.port_id for h in driver(cloud).dhcp[network.id].hosts})

    # taken off the agent: its port goes and it stops serving; put back, it serves again
    # (by id: the sdk builds these URLs from the object's own path)
    agent_id = agents[0].id
    admin_sdk.network.remove_dhcp_agent_from_network(agent_id, network)
    assert not list(admin_sdk.network.network_hosting_dhcp_agents(network))
    wait_for(lambda: network.id not in driver(cloud).dhcp)
    assert not list(admin_sdk.network.ports(network_id=network.id,
                                            device_owner="network:dhcp"))
    admin_sdk.network.add_dhcp_agent_to_network(agent_id, network)
    wait_for(lambda: network.id in driver(cloud).dhcp)
    # (the sdk does not check these answers: httpx does)
    again = admin.post(url(cloud, f"/agents/{agent_id}/dhcp-networks"),
                       json={"network_id": network.id})
    assert again.status_code == 409
    assert again.json()["NeutronError"]["type"] == "NetworkHostedByDHCPAgent"
    gone = admin.delete(url(cloud, f"/agents/{agent_id}/dhcp-networks/{uuid.uuid4()}"))
    assert gone.json()["NeutronError"]["type"] == "NetworkNotHostedByDhcpAgent"



def test_port_changes_reach_dhcp_as_their_hosts_alone(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection, network: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a network is served, a port made, changed or deleted on it reaches the DHCP
    server as that port's host entry (get_dhcp_hosts), not as the whole network again."""
    served = wait_for(lambda: driver(cloud).dhcp.get(network.id))
    agent = cloud.cloud.network_agents[HOST]
    # The network's own making (its DHCP port) settled: no whole sync still due.
    wait_for(lambda: not agent._dirty["dhcp"] and not agent._dhcp_ports)
    served = driver(cloud).dhcp[network.id]
    asked: list[str] = []
    call = agent._call

    async def counting(method: str, **kwargs: Any) -> Any:
        asked.append(method)
        return await call(method, **kwargs)

    monkeypatch.setattr(agent, "_call", counting)
    ports = [admin_sdk.network.create_port(network_id=network.id) for _ in range(3)]

    def hosts() -> dict[str, Any]:
        return {h.port_id: h for h in driver(cloud).dhcp[network.id].hosts}

    wait_for(lambda: {p.id for p in ports} <= set(hosts()))
    admin_sdk.network.update_port(ports[0], mac_address="fa:16:3e:00:77:01")
    wait_for(lambda: hosts()[ports[0].id].mac_address == "fa:16:3e:00:77:01")
    admin_sdk.network.delete_port(ports[1])
    wait_for(lambda: ports[1].id not in hosts())
    now = driver(cloud).dhcp[network.id]
    assert now.dhcp_port == served.dhcp_port and now.subnets == served.subnets
    assert ports[2].id in hosts() and served.dhcp_port.port_id in hosts()
    assert "get_dhcp_hosts" in asked and "get_network_info" not in asked

def test_dhcp_scheduling_skips_disabled_agents(
        cloud: RunningCloud, admin: httpx.Client,
        admin_sdk: openstack.connection.Connection) -> None:
    agent = next(iter(admin_sdk.network.agents(host=HOST, agent_type="DHCP agent")))
    admin_sdk.network.update_agent(agent, is_admin_state_up=False)
    try:
        net = admin_sdk.network.create_network(name=unique("undhcp"))
        admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr="10.78.0.0/24")
        assert not list(admin_sdk.network.network_hosting_dhcp_agents(net))
        refused = admin.post(url(cloud, f"/agents/{agent.id}/dhcp-networks"),
                             json={"network_id": net.id})
        assert refused.status_code == 404
        assert refused.json()["NeutronError"]["type"] == "InvalidDHCPAgent"
    finally:
        admin_sdk.network.update_agent(agent, is_admin_state_up=True)
    # enabled again, the agent picks up what was waiting at its next full sync
    assert cloud.cloud.bus is not None
    cloud.run(cloud.cloud.bus.cast(f"network.dhcp.{HOST}", "resync"))
    wait_for(lambda: list(admin_sdk.network.network_hosting_dhcp_agents(net)))
    wait_for(lambda: net.id in driver(cloud).dhcp)
    admin_sdk.network.delete_network(net)
    wait_for(lambda: net.id not in driver(cloud).dhcp)


def test_a_network_without_dhcp_subnets_is_not_served(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection) -> None:
    net = admin_sdk.network.create_network(name=unique("nodhcp"))
    admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.79.0.0/24",
                                    is_dhcp_enabled=False)
    time.sleep(0.3)
    assert not list(admin_sdk.network.network_hosting_dhcp_agents(net))
    assert not list(admin_sdk.network.ports(network_id=net.id))
    assert net.id not in driver(cloud).dhcp
    admin_sdk.network.delete_network(net)


def test_ha_dhcp_gives_a_network_several_agents(tmp_path: Path) -> None:
    """dhcp_agents_per_network=2 over two hosts: each serves the network with a port of
    its own (neutron's HA DHCP)."""
    own = RunningCloud(cloud_settings(tmp_path / "state", network={
        "agent_hosts": ["ha-1", "ha-2"], "dhcp_agents_per_network": 2,
        "public_network": False})).start()
    try:
        with own.client(own.token("admin", "admin")) as admin:
            net = admin.post(url(own, "/networks"), json={"network": {"name": "ha"}}
                             ).json()["network"]
            admin.post(url(own, "/subnets"), json={"subnet": {
                "network_id": net["id"], "ip_version": 4, "cidr": "10.90.0.0/24"}})
            hosts = wait_for(lambda: sorted(a["host"] for a in admin.get(url(
                own, f"/networks/{net['id']}/dhcp-agents")).json()["agents"]))
            assert hosts == ["ha-1", "ha-2"]

            def dhcp_ports() -> list[dict[str, Any]]:
                return list(admin.get(url(own, "/ports"), params={
                    "network_id": net["id"], "device_owner": "network:dhcp",
                    "status": "ACTIVE"}).json()["ports"])

            ports = wait_for(lambda: len(found := dhcp_ports()) == 2 and found)
            assert sorted(p["binding:host_id"] for p in ports) == ["ha-1", "ha-2"]
            for host in ("ha-1", "ha-2"):
                served = own.cloud.network_agents[host].driver
                assert isinstance(served, FakeNetworkDriver)
                wait_for(lambda served=served: net["id"] in served.dhcp)
    finally:
        own.stop()


# ------------------------------------------------------------------ L3
def test_routers_are_scheduled_to_l3_agents(cloud: RunningCloud, admin: httpx.Client,
                                            admin_sdk: openstack.connection.Connection,
                                            ) -> None:
    router = admin_sdk.network.create_router(name=unique("agents-router"))
    try:
        agents = wait_for(lambda: list(admin_sdk.network.routers_hosting_l3_agents(router)))
        assert [(a.host, a.agent_type) for a in agents] == [(HOST, "L3 agent")]
        agent_id = agents[0].id
        wait_for(lambda: router.id in driver(cloud).routers_state)

        removed = admin.delete(url(cloud, f"/agents/{agent_id}/l3-routers/{router.id}"))
        assert removed.status_code == 204
        assert not list(admin_sdk.network.routers_hosting_l3_agents(router))
        wait_for(lambda: router.id not in driver(cloud).routers_state)
        again = admin.delete(url(cloud, f"/agents/{agent_id}/l3-routers/{router.id}"))
        assert again.json()["NeutronError"]["type"] == "RouterNotHostedByL3Agent"

        added = admin.post(url(cloud, f"/agents/{agent_id}/l3-routers"),
                           json={"router_id": router.id})
        assert (added.status_code, added.json()) == (201, None)
        wait_for(lambda: router.id in driver(cloud).routers_state)
        twice = admin.post(url(cloud, f"/agents/{agent_id}/l3-routers"),
                           json={"router_id": router.id})
        assert twice.status_code == 409
        assert twice.json()["NeutronError"]["type"] == "RouterHostedByL3Agent"
        dhcp = next(iter(admin_sdk.network.agents(host=HOST, agent_type="DHCP agent")))
        wrong = admin.post(url(cloud, f"/agents/{dhcp.id}/l3-routers"),
                           json={"router_id": router.id})
        assert (wrong.status_code, wrong.json()["NeutronError"]["type"]) == (
            404, "InvalidL3Agent")
        missing = admin.get(url(cloud, f"/routers/{uuid.uuid4()}/l3-agents"))
        assert missing.json()["NeutronError"]["type"] == "RouterNotFound"
    finally:
        admin_sdk.network.delete_router(router)
    wait_for(lambda: router.id not in driver(cloud).routers_state)


# ------------------------------------------------------------------ bootstrap
def test_devstack_networks_are_bootstrapped(
        admin_sdk: openstack.connection.Connection,
        demo_sdk: openstack.connection.Connection) -> None:
    public = admin_sdk.network.find_network("public", ignore_missing=False)
    assert public.is_router_external and public.is_default and not public.is_shared
    assert (public.provider_network_type, public.provider_physical_network) == (
        "flat", "public")
    subnets = {s.name: s for s in admin_sdk.network.subnets(network_id=public.id)}
    assert subnets["public-subnet"].cidr == "172.24.4.0/24"
    assert subnets["ipv6-public-subnet"].cidr == "2001:db8::/64"

    demo_project = demo_sdk.current_project_id
    private = demo_sdk.network.find_network("private", ignore_missing=False)
    assert private.project_id == demo_project
    subnets = {s.name: s for s in demo_sdk.network.subnets(network_id=private.id)}
    assert subnets["private-subnet"].cidr == "10.0.0.0/26"
    assert subnets["ipv6-private-subnet"].ipv6_address_mode == "slaac"
    assert subnets["ipv6-private-subnet"].ipv6_ra_mode == "slaac"

    # demo sees its own and the external network, not admin's private ones
    hidden = admin_sdk.network.create_network(name=unique("admin-only"))
    try:
        seen = {n.name for n in demo_sdk.network.networks()}
        assert {"private", "public"} <= seen and hidden.name not in seen
    finally:
        admin_sdk.network.delete_network(hidden)


def test_router1_joins_private_to_public(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
        demo_sdk: openstack.connection.Connection) -> None:
    router = demo_sdk.network.find_router("router1", ignore_missing=False)
    public = admin_sdk.network.find_network("public", ignore_missing=False)
    assert router.external_gateway_info["network_id"] == public.id
    private = demo_sdk.network.find_network("private", ignore_missing=False)
    interfaces = list(demo_sdk.network.ports(device_id=router.id,
                                             device_owner="network:router_interface"))
    assert {p.network_id for p in interfaces} == {private.id}
    assert len({ip["subnet_id"] for p in interfaces for ip in p.fixed_ips}) == 2
    agents = list(admin_sdk.network.routers_hosting_l3_agents(router))
    assert [(a.host, a.agent_type) for a in agents] == [(HOST, "L3 agent")]
    state = wait_for(lambda: driver(cloud).routers_state.get(router.id))
    assert state.gateway is not None and state.gateway.network_id == public.id
    assert len(state.interfaces) == len(interfaces)
    wait_for(lambda: all(p.status == "ACTIVE" for p in admin_sdk.network.ports(
        device_id=router.id)))
    assert router.id in {r.id for r in admin_sdk.network.agent_hosted_routers(agents[0].id)}

    # a floating IP on the demo's port reaches the router's NAT
    port = demo_sdk.network.create_port(network_id=private.id, name=unique("fip-target"))
    fip = demo_sdk.network.create_ip(floating_network_id=public.id, port_id=port.id)
    try:
        mapped = wait_for(lambda: [f for f in driver(cloud).routers_state[router.id]
                                   .floating_ips if f.floatingip_id == fip.id])
        assert mapped[0].floating_ip_address == fip.floating_ip_address
        assert mapped[0].fixed_ip_address == port.fixed_ips[0]["ip_address"]
        wait_for(lambda: demo_sdk.network.get_ip(fip.id).status == "ACTIVE")
    finally:
        demo_sdk.network.delete_ip(fip)
        demo_sdk.network.delete_port(port)
    wait_for(lambda: fip.id not in {f.floatingip_id for f in driver(cloud).routers_state[
        router.id].floating_ips})
