"""Networks, subnets and ports over HTTP, as openstacksdk and raw neutron clients use them:
segmentation ids, IPAM under concurrency, validation errors, listing, tenant isolation."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openstack
import pytest
from openstack import exceptions

from gureum.core.context import RequestContext
from gureum.network import views
from tests.harness import RunningCloud, error_type, unique

# ---------------------------------------------------------------- networks and segments

def test_project_networks_get_unique_vxlan_ids(admin_sdk: openstack.connection.Connection,
                                               ) -> None:
    nets = [admin_sdk.network.create_network(name=unique("vx")) for _ in range(4)]
    try:
        ids = [n.provider_segmentation_id for n in nets]
        assert all(n.provider_network_type == "vxlan" for n in nets)
        assert len(set(ids)) == 4 and all(i >= 1 for i in ids)
        assert all(n.mtu == 1450 for n in nets)  # 1500 less the VXLAN header
    finally:
        for net in nets:
            admin_sdk.network.delete_network(net)


def test_vlan_ids_are_unique_per_physical_network_and_come_back_on_delete(
        admin_sdk: openstack.connection.Connection, net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("vlan"), provider_network_type="vlan",
                                           provider_physical_network="physnet1",
                                           provider_segmentation_id=1777)
    assert (net.provider_network_type, net.provider_segmentation_id, net.mtu) == (
        "vlan", 1777, 1500)
    again = net_api.post("/networks", json={"network": {
        "name": "dup", "provider:network_type": "vlan",
        "provider:physical_network": "physnet1", "provider:segmentation_id": 1777}})
    assert again.status_code == 409 and error_type(again) == "VlanIdInUse"
    admin_sdk.network.delete_network(net)
    reused = admin_sdk.network.create_network(name=unique("vlan"), provider_network_type="vlan",
                                              provider_physical_network="physnet1",
                                              provider_segmentation_id=1777)
    admin_sdk.network.delete_network(reused)
    picked = admin_sdk.network.create_network(name=unique("vlan"), provider_network_type="vlan",
                                              provider_physical_network="physnet1")
    assert 1000 <= picked.provider_segmentation_id <= 1999
    admin_sdk.network.delete_network(picked)


@pytest.mark.parametrize(("body", "status", "kind"), [
    ({"provider:network_type": "vlan", "provider:physical_network": "nowhere"}, 400,
     "InvalidInput"),
    ({"provider:network_type": "vlan"}, 400, "InvalidInput"),
    ({"provider:network_type": "vxlan", "provider:segmentation_id": 2**24}, 400,
     "InvalidInput"),
    ({"provider:network_type": "flat", "provider:physical_network": "physnet1",
      "provider:segmentation_id": 5}, 400, "InvalidInput"),
    ({"provider:network_type": "token-ring"}, 400, "InvalidInput"),
    ({"mtu": 9000}, 400, "InvalidInput"),
    ({"colour": "blue"}, 400, "HTTPBadRequest"),
])
def test_bad_networks_are_refused(net_api: httpx.Client, body: dict[str, Any], status: int,
                                  kind: str) -> None:
    response = net_api.post("/networks", json={"network": {"name": "bad", **body}})
    assert response.status_code == status, response.text
    assert error_type(response) == kind


def test_one_flat_network_per_physical_network(net_api: httpx.Client) -> None:
    body = {"network": {"name": unique("flat"), "provider:network_type": "flat",
                        "provider:physical_network": "physnet1"}}
    first = net_api.post("/networks", json=body)
    assert first.status_code == 201, first.text
    second = net_api.post("/networks", json=body)
    assert second.status_code == 409 and error_type(second) == "FlatNetworkInUse"
    assert net_api.delete(f"/networks/{first.json()['network']['id']}").status_code == 204


def test_members_cannot_choose_provider_attributes_nor_see_them(
        demo_sdk: openstack.connection.Connection, cloud: RunningCloud) -> None:
    token = cloud.token("demo", "demo")
    response = httpx.post(f"{cloud.url}/networking/v2.0/networks",
                          headers={"X-Auth-Token": token},
                          json={"network": {"name": "x", "provider:network_type": "vlan",
                                            "provider:physical_network": "physnet1"}})
    assert response.status_code == 403, response.text
    net = demo_sdk.network.create_network(name=unique("demo"))
    try:
        raw = httpx.get(f"{cloud.url}/networking/v2.0/networks/{net.id}",
                        headers={"X-Auth-Token": token}).json()["network"]
        assert "provider:network_type" not in raw and raw["router:external"] is False
    finally:
        demo_sdk.network.delete_network(net)


def test_demo_cannot_see_admins_private_network(admin_sdk: openstack.connection.Connection,
                                                demo_sdk: openstack.connection.Connection,
                                                ) -> None:
    net = admin_sdk.network.create_network(name=unique("secret"))
    try:
        assert net.id not in {n.id for n in demo_sdk.network.networks()}
        with pytest.raises(exceptions.NotFoundException):
            demo_sdk.network.get_network(net.id)
        with pytest.raises(exceptions.NotFoundException):
            demo_sdk.network.delete_network(net.id, ignore_missing=False)
    finally:
        admin_sdk.network.delete_network(net)


# ---------------------------------------------------------------- subnets

def test_subnets_v4_and_v6(admin_sdk: openstack.connection.Connection,
                           net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("dual"))
    try:
        v4 = admin_sdk.network.create_subnet(
            network_id=net.id, ip_version=4, cidr="10.20.0.0/24", name="v4",
            is_dhcp_enabled=False,
            allocation_pools=[{"start": "10.20.0.100", "end": "10.20.0.150"}],
            dns_nameservers=["8.8.8.8"],
            host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.20.0.254"}])
        assert v4.gateway_ip == "10.20.0.1"
        assert v4.allocation_pools == [{"start": "10.20.0.100", "end": "10.20.0.150"}]
        v6 = admin_sdk.network.create_subnet(network_id=net.id, ip_version=6,
                                             cidr="fd20::/64", ipv6_ra_mode="slaac",
                                             ipv6_address_mode="slaac")
        assert v6.gateway_ip == "fd20::1"
        assert sorted(admin_sdk.network.get_network(net.id).subnet_ids) == sorted(
            [v4.id, v6.id])
        overlap = net_api.post("/subnets", json={"subnet": {
            "network_id": net.id, "ip_version": 4, "cidr": "10.20.0.128/25"}})
        assert overlap.status_code == 400 and "overlaps" in overlap.text
        port = admin_sdk.network.create_port(network_id=net.id)
        addresses = {ip["subnet_id"]: ip["ip_address"] for ip in port.fixed_ips}
        assert addresses[v4.id] == "10.20.0.100"
        # SLAAC: the address the guest gives itself from its MAC (EUI-64)
        octets = [int(o, 16) for o in port.mac_address.split(":")]
        octets[0] ^= 2
        suffix = bytes(octets[:3] + [0xFF, 0xFE] + octets[3:])
        assert ipaddress.IPv6Address(addresses[v6.id]) == ipaddress.IPv6Address(
            int(ipaddress.IPv6Address("fd20::")) | int.from_bytes(suffix, "big"))
        admin_sdk.network.delete_port(port)
    finally:
        admin_sdk.network.delete_network(net)


@pytest.mark.parametrize(("body", "kind"), [
    ({"ip_version": 4, "cidr": "10.30.0.1/24"}, "InvalidInput"),
    ({"ip_version": 6, "cidr": "10.30.0.0/24"}, "InvalidInput"),
    ({"ip_version": 4, "cidr": "10.30.0.0/24", "gateway_ip": "10.99.0.1"}, "InvalidInput"),
    ({"ip_version": 4, "cidr": "10.30.0.0/24",
      "allocation_pools": [{"start": "10.30.0.10", "end": "10.31.0.5"}]},
     "OutOfBoundsAllocationPool"),
    ({"ip_version": 4, "cidr": "10.30.0.0/24",
      "allocation_pools": [{"start": "10.30.0.10", "end": "10.30.0.5"}]},
     "InvalidAllocationPool"),
    ({"ip_version": 4, "cidr": "10.30.0.0/24", "dns_nameservers": ["1.1.1.1", "1.1.1.1"]},
     "InvalidInput"),
    ({"ip_version": 4, "cidr": "nonsense"}, "InvalidInput"),
    ({"ip_version": 4, "cidr": "10.30.0.0/24", "ipv6_ra_mode": "slaac"}, "InvalidInput"),
])
def test_bad_subnets_are_refused(admin_sdk: openstack.connection.Connection,
                                 net_api: httpx.Client, body: dict[str, Any],
                                 kind: str) -> None:
    net = admin_sdk.network.create_network(name=unique("badsub"))
    try:
        response = net_api.post("/subnets", json={"subnet": {"network_id": net.id, **body}})
        assert response.status_code == 400, response.text
        assert error_type(response) == kind
        assert admin_sdk.network.get_network(net.id).subnet_ids == []
    finally:
        admin_sdk.network.delete_network(net)


def test_gateway_inside_a_pool_conflicts(admin_sdk: openstack.connection.Connection,
                                         net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("gw"))
    try:
        response = net_api.post("/subnets", json={"subnet": {
            "network_id": net.id, "ip_version": 4, "cidr": "10.31.0.0/24",
            "gateway_ip": "10.31.0.20",
            "allocation_pools": [{"start": "10.31.0.10", "end": "10.31.0.30"}]}})
        assert response.status_code == 409
        assert error_type(response) == "GatewayConflictWithAllocationPools"
    finally:
        admin_sdk.network.delete_network(net)


# ---------------------------------------------------------------- ports and IPAM

def test_fixed_ips_auto_explicit_and_taken(admin_sdk: openstack.connection.Connection,
                                           net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("ports"))
    try:
        # No DHCP: its agent would take an address of its own, at a moment of its choosing.
        sub = admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                              cidr="10.40.0.0/24", is_dhcp_enabled=False)
        auto = admin_sdk.network.create_port(network_id=net.id)
        assert auto.fixed_ips == [{"subnet_id": sub.id, "ip_address": "10.40.0.2"}]
        assert auto.mac_address.startswith("fa:16:3e:") and auto.status == "DOWN"
        fixed = admin_sdk.network.create_port(network_id=net.id, fixed_ips=[
            {"subnet_id": sub.id, "ip_address": "10.40.0.77"}])
        assert fixed.fixed_ips[0]["ip_address"] == "10.40.0.77"
        taken = net_api.post("/ports", json={"port": {
            "network_id": net.id, "fixed_ips": [{"ip_address": "10.40.0.77"}]}})
        assert taken.status_code == 409 and error_type(taken) == "IpAddressInUse"
        gateway = net_api.post("/ports", json={"port": {
            "network_id": net.id, "fixed_ips": [{"ip_address": "10.40.0.1"}]}})
        assert gateway.status_code == 409
        outside = net_api.post("/ports", json={"port": {
            "network_id": net.id, "fixed_ips": [{"ip_address": "10.41.0.5"}]}})
        assert outside.status_code == 400 and error_type(outside) == "InvalidIpForNetwork"
        mac = net_api.post("/ports", json={"port": {"network_id": net.id,
                                                    "mac_address": auto.mac_address}})
        assert mac.status_code == 409 and error_type(mac) == "MacAddressInUse"
        moved = admin_sdk.network.update_port(fixed, fixed_ips=[{"ip_address": "10.40.0.78"}])
        assert moved.fixed_ips[0]["ip_address"] == "10.40.0.78"
        # The old address is free again
        reuse = admin_sdk.network.create_port(network_id=net.id,
                                              fixed_ips=[{"ip_address": "10.40.0.77"}])
        for port in (auto, fixed, reuse):
            admin_sdk.network.delete_port(port)
        assert list(admin_sdk.network.ports(network_id=net.id)) == []
    finally:
        admin_sdk.network.delete_network(net)


def test_a_network_with_ports_cannot_be_deleted(admin_sdk: openstack.connection.Connection,
                                                net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("busy"))
    admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.42.0.0/24")
    port = admin_sdk.network.create_port(network_id=net.id)
    response = net_api.delete(f"/networks/{net.id}")
    assert response.status_code == 409 and error_type(response) == "NetworkInUse"
    subnet_delete = net_api.delete(f"/subnets/{port.fixed_ips[0]['subnet_id']}")
    assert subnet_delete.status_code == 409 and error_type(subnet_delete) == "SubnetInUse"
    admin_sdk.network.delete_port(port)
    admin_sdk.network.delete_network(net)


def test_concurrent_port_creates_get_distinct_addresses_until_the_pool_runs_out(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection) -> None:
    """100 creates at once on a /24 → 100 distinct addresses; on a subnet with 5 addresses
    left, 8 at once → exactly 5 ports, 3 clean 409s, nothing half-made."""
    net = admin_sdk.network.create_network(name=unique("race"))
    token = cloud.token("admin", "admin")
    url = f"{cloud.url}/networking/v2.0/ports"

    def create(_: int) -> httpx.Response:
        return httpx.post(url, headers={"X-Auth-Token": token}, timeout=120,
                          json={"port": {"network_id": net.id}})

    try:
        admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.50.0.0/24")
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(create, range(100)))
        assert [r.status_code for r in responses] == [201] * 100
        addresses = {r.json()["port"]["fixed_ips"][0]["ip_address"] for r in responses}
        assert len(addresses) == 100
        for port in admin_sdk.network.ports(network_id=net.id):
            admin_sdk.network.delete_port(port)

        small = admin_sdk.network.create_network(name=unique("small"))
        admin_sdk.network.create_subnet(network_id=small.id, ip_version=4,
                                        cidr="10.51.0.0/29",  # .2-.6: five addresses
                                        is_dhcp_enabled=False)
        net, old = small, net
        admin_sdk.network.delete_network(old)
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(create, range(8)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] * 5 + [409] * 3
        assert {error_type(r) for r in responses if r.status_code == 409} == {
            "IpAddressGenerationFailure"}
        assert len(list(admin_sdk.network.ports(network_id=net.id))) == 5
    finally:
        for port in admin_sdk.network.ports(network_id=net.id):
            admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)



def test_creates_committed_together_fail_alone(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
        net_api: httpx.Client) -> None:
    """Creates on one network at once commit as one batch: the ones that cannot be made
    (an address or MAC another create of the same batch took, a group that does not
    exist, a project over its quota) fail alone with their own error; the rest are whole."""
    net = admin_sdk.network.create_network(name=unique("batch"))
    project = admin_sdk.identity.create_project(name=unique("batch"), domain_id="default")
    specs: list[dict[str, Any]] = [
        *({"fixed_ips": [{"ip_address": "10.52.0.10"}]} for _ in range(3)),
        *({"mac_address": "fa:16:3e:00:52:01"} for _ in range(3)),
        {"security_groups": [str(uuid.uuid4())]},
        *({"project_id": project.id} for _ in range(4)),
        *({} for _ in range(5)),
    ]

    manager = cloud.cloud.network
    assert manager is not None
    admin = RequestContext(user_id="admin", project_id=admin_sdk.current_project_id,
                           roles=("admin", "member", "reader"))

    async def create_all() -> list[Any]:
        # All queued before the first batch starts: one transaction takes them all.
        return await asyncio.gather(*(manager.create_port_detailed(
            admin, {"network_id": net.id, **spec}) for spec in specs), return_exceptions=True)

    try:
        admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.52.0.0/24",
                                        is_dhcp_enabled=False)
        assert net_api.put(f"/quotas/{project.id}",
                           json={"quota": {"port": 2}}).status_code == 200
        results = cloud.run(create_all())
        outcomes = [type(r).__name__ if isinstance(r, Exception) else "made" for r in results]
        assert sorted(outcomes[0:3]) == ["IpAddressInUse"] * 2 + ["made"]
        assert sorted(outcomes[3:6]) == ["MacAddressInUse"] * 2 + ["made"]
        assert outcomes[6] == "SecurityGroupNotFound"
        assert sorted(outcomes[7:11]) == ["OverQuota"] * 2 + ["made"] * 2
        assert outcomes[11:] == ["made"] * 5
        made = [views.port(row, *detail) for row, detail in
                (r for r in results if not isinstance(r, Exception))]
        listed = {p.id: p for p in admin_sdk.network.ports(network_id=net.id)}
        assert set(listed) == {p["id"] for p in made}
        addresses = [p.fixed_ips[0]["ip_address"] for p in listed.values()]
        assert len(addresses) == len(set(addresses)) == 9 and "10.52.0.10" in addresses
        for port in made:  # whole: the address and group it answered with are stored
            assert listed[port["id"]].fixed_ips == port["fixed_ips"]
            assert listed[port["id"]].security_group_ids == port["security_groups"]
            assert len(port["security_groups"]) == 1
    finally:
        for port in admin_sdk.network.ports(network_id=net.id):
            admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)
        net_api.delete(f"/quotas/{project.id}")
        admin_sdk.identity.delete_project(project)

# ---------------------------------------------------------------- listing

def test_filters_fields_sorting_and_pages(admin_sdk: openstack.connection.Connection,
                                          net_api: httpx.Client) -> None:
    tag = unique("list")
    nets = [admin_sdk.network.create_network(name=f"{tag}-{i}", description=tag)
            for i in range(5)]
    try:
        names = [n.name for n in admin_sdk.network.networks(description=tag)]
        assert sorted(names) == [f"{tag}-{i}" for i in range(5)]
        body = net_api.get("/networks", params={"description": tag, "fields": ["id", "name"],
                                                "sort_key": "name", "sort_dir": "desc"}).json()
        assert [n["name"] for n in body["networks"]] == [f"{tag}-{i}" for i in range(4, -1, -1)]
        assert set(body["networks"][0]) == {"id", "name"}
        page = net_api.get("/networks", params={"description": tag, "limit": 2,
                                                "sort_key": "name", "sort_dir": "asc"}).json()
        assert [n["name"] for n in page["networks"]] == [f"{tag}-0", f"{tag}-1"]
        assert page["networks_links"][0]["rel"] == "next"
        nxt = net_api.get(page["networks_links"][0]["href"]).json()
        assert [n["name"] for n in nxt["networks"]] == [f"{tag}-2", f"{tag}-3"]
        # openstacksdk follows the links itself
        paged = list(admin_sdk.network.networks(description=tag, limit=2, paginated=True))
        assert len(paged) == 5
        assert net_api.get("/networks", params={"admin_state_up": "False",
                                                "description": tag}).json()["networks"] == []
        bad = net_api.get("/networks", params={"sort_key": "colour", "sort_dir": "asc"})
        assert bad.status_code == 400
    finally:
        for net in nets:
            admin_sdk.network.delete_network(net)


def test_whole_port_lists_show_every_change(cloud: RunningCloud, net_api: httpx.Client,
                                            demo_api: httpx.Client) -> None:
    """Whole lists come from what earlier lists rendered (api/ports.py): every change
    to a port, its addresses, groups or tags shows in the next one, and a member never
    gets what was rendered for an admin."""
    net = net_api.post("/networks", json={"network": {"name": unique("cache"),
                                                      "shared": True}}).json()["network"]
    subnet = net_api.post("/subnets", json={"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.53.0.0/24",
        "enable_dhcp": False}}).json()["subnet"]
    group = net_api.post("/security-groups", json={"security_group": {
        "name": unique("cache")}}).json()["security_group"]
    port = net_api.post("/ports", json={"port": {"network_id": net["id"], "name": "before"}}
                        ).json()["port"]
    theirs = demo_api.post("/ports", json={"port": {"network_id": net["id"]}}).json()["port"]

    def listed(api: httpx.Client, port_id: str) -> dict[str, Any]:
        return next(p for p in api.get("/ports").json()["ports"] if p["id"] == port_id)

    try:
        assert listed(net_api, port["id"]) == port
        for change in ({"name": "after"},
                       {"fixed_ips": [{"subnet_id": subnet["id"], "ip_address": "10.53.0.99"}]},
                       {"security_groups": [group["id"]]}):
            shown = net_api.put(f"/ports/{port['id']}", json={"port": change}).json()["port"]
            assert listed(net_api, port["id"]) == shown
            assert all(shown[k] == v for k, v in change.items())
        assert net_api.put(f"/ports/{port['id']}/tags/blue").status_code == 201
        assert listed(net_api, port["id"])["tags"] == ["blue"]
        # The agents' side: a status change written without the API.
        cloud.run(cloud.cloud.network.set_port_status(port["id"], "ACTIVE"))
        assert listed(net_api, port["id"])["status"] == "ACTIVE"
        # One port, two views: the admin's list rendered it with its binding first.
        assert "binding:vif_type" in listed(net_api, theirs["id"])
        assert "binding:vif_type" not in listed(demo_api, theirs["id"])
        assert listed(demo_api, theirs["id"]) == theirs
    finally:
        net_api.delete(f"/ports/{theirs['id']}")
        net_api.delete(f"/ports/{port['id']}")
        net_api.delete(f"/security-groups/{group['id']}")
        net_api.delete(f"/networks/{net['id']}")


def test_ports_filter_by_fixed_ip_and_device(admin_sdk: openstack.connection.Connection,
                                             net_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("pf"))
    try:
        admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.60.0.0/24",
                                        is_dhcp_enabled=False)
        one = admin_sdk.network.create_port(network_id=net.id, device_id="vm-1")
        admin_sdk.network.create_port(network_id=net.id, device_id="vm-2")
        found = net_api.get("/ports", params={"fixed_ips": "ip_address=10.60.0.2"}).json()
        assert [p["id"] for p in found["ports"]] == [one.id]
        assert [p.id for p in admin_sdk.network.ports(device_id="vm-1")] == [one.id]
    finally:
        for port in admin_sdk.network.ports(network_id=net.id):
            admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)


def test_discovery_and_extensions(cloud: RunningCloud, net_api: httpx.Client,
                                  admin_sdk: openstack.connection.Connection) -> None:
    versions = httpx.get(f"{cloud.url}/networking/").json()["versions"]
    assert versions[0]["id"] == "v2.0" and versions[0]["status"] == "CURRENT"
    aliases = {e.alias for e in admin_sdk.network.extensions()}
    assert {"router", "security-group", "quotas", "provider", "binding"} <= aliases
    assert net_api.get("/extensions/router").json()["extension"]["alias"] == "router"
    assert net_api.get("/extensions/dvr").status_code == 404
    assert httpx.get(f"{cloud.url}/networking/v2.0/networks").status_code == 401


def test_members_create_only_for_their_own_project(demo_api: httpx.Client,
                                                   admin_sdk: openstack.connection.Connection,
                                                   ) -> None:
    admin_project = admin_sdk.identity.find_project("admin").id
    net = demo_api.post("/networks", json={"network": {"name": unique("own")}}).json()
    net_id = net["network"]["id"]
    try:
        for path, body in (("/networks", {"network": {"project_id": admin_project}}),
                           ("/ports", {"port": {"network_id": net_id,
                                                "project_id": admin_project}}),
                           ("/subnets", {"subnet": {"network_id": net_id, "ip_version": 4,
                                                    "cidr": "10.70.0.0/24",
                                                    "tenant_id": admin_project}})):
            response = demo_api.post(path, json=body)
            assert response.status_code == 403, (path, response.text)
        mismatch = demo_api.post("/ports", json={"port": {
            "network_id": net_id, "project_id": "a", "tenant_id": "b"}})
        assert mismatch.status_code == 400
        assert list(admin_sdk.network.ports(network_id=net_id)) == []
    finally:
        demo_api.delete(f"/networks/{net_id}")
