"""Routers and floating IPs over HTTP, as openstacksdk and raw neutron clients use them:
gateways on external networks, interfaces, extra routes, floating IP association through
the router, what may not go while something needs it, quotas, and tenant isolation."""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openstack
import pytest
from openstack import exceptions
from sqlalchemy import delete

from gureum.network.models import Quota
from tests.harness import RunningCloud, error_type, unique

Connection = openstack.connection.Connection


def cidr(first: int = 10) -> str:
    return f"{first}.{random.randint(64, 250)}.{random.randint(0, 255)}.0/24"


def error_message(response: httpx.Response) -> str:
    return str(response.json()["NeutronError"]["message"])


@pytest.fixture()
def external(admin_sdk: Connection) -> Iterator[tuple[Any, Any]]:
    """An external network of the test's own, with one IPv4 subnet."""
    network = admin_sdk.network.create_network(name=unique("ext"), is_router_external=True)
    subnet = admin_sdk.network.create_subnet(network_id=network.id, ip_version=4,
                                             cidr=cidr(100), enable_dhcp=False)
    yield network, subnet
    # What a failed test may have left on it.
    for fip in admin_sdk.network.ips(floating_network_id=network.id):
        admin_sdk.network.delete_ip(fip)
    for port in admin_sdk.network.ports(network_id=network.id,
                                        device_owner="network:router_gateway"):
        admin_sdk.network.update_router(port.device_id, external_gateway_info=None)
    admin_sdk.network.delete_network(network)


@pytest.fixture()
def private(demo_sdk: Connection) -> Iterator[tuple[Any, Any]]:
    """A demo project network with one IPv4 subnet."""
    network = demo_sdk.network.create_network(name=unique("priv"))
    subnet = demo_sdk.network.create_subnet(network_id=network.id, ip_version=4,
                                            cidr=cidr())
    yield network, subnet
    # What a failed test may have left on it.
    for port in demo_sdk.network.ports(network_id=network.id):
        if port.device_owner == "network:router_interface":
            demo_sdk.network.remove_interface_from_router(port.device_id, port=port.id)
        elif port.device_owner == "":
            demo_sdk.network.delete_port(port)
    demo_sdk.network.delete_network(network)


def in_cidr(address: str, network: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(network)


# ---------------------------------------------------------------- the whole story

def test_router_gateway_interface_and_floating_ip_lifecycle(
        admin_sdk: Connection, demo_sdk: Connection, demo_api: httpx.Client,
        net_api: httpx.Client, external: tuple[Any, Any], private: tuple[Any, Any]) -> None:
    ext_net, ext_subnet = external
    net, subnet = private
    router = demo_sdk.network.create_router(name=unique("r"), description="edge")
    assert (router.status, router.is_admin_state_up, router.external_gateway_info,
            router.routes, router.availability_zones, router.description) == (
        "ACTIVE", True, None, [], ["nova"], "edge")
    assert router.project_id == demo_sdk.current_project_id
    raw = demo_api.get(f"/routers/{router.id}").json()["router"]
    assert "distributed" not in raw and "ha" not in raw  # admin-only fields
    assert raw["flavor_id"] is None and raw["tags"] == [] and raw["revision_number"] >= 0
    assert net_api.get(f"/routers/{router.id}").json()["router"]["distributed"] is False

    info = demo_sdk.network.add_interface_to_router(router, subnet=subnet.id)
    assert info["subnet_id"] == subnet.id and info["subnet_ids"] == [subnet.id]
    assert info["id"] == router.id and info["network_id"] == net.id
    assert info["project_id"] == info["tenant_id"] == demo_sdk.current_project_id
    leg = demo_sdk.network.get_port(info["port_id"])
    assert (leg.device_owner, leg.device_id) == ("network:router_interface", router.id)
    assert leg.fixed_ips == [{"subnet_id": subnet.id, "ip_address": subnet.gateway_ip}]
    again = demo_api.put(f"/routers/{router.id}/add_router_interface",
                         json={"subnet_id": subnet.id})
    assert again.status_code == 400 and error_type(again) == "BadRequest"
    assert error_message(again) == (f"Bad router request: Router already has a port on "
                                    f"subnet {subnet.id}.")

    snat = demo_api.put(f"/routers/{router.id}", json={"router": {"external_gateway_info": {
        "network_id": ext_net.id, "enable_snat": False}}})
    assert snat.status_code == 403
    router = demo_sdk.network.update_router(router, external_gateway_info={
        "network_id": ext_net.id})
    gateway = router.external_gateway_info
    assert gateway["network_id"] == ext_net.id and gateway["enable_snat"] is True
    [external_ip] = gateway["external_fixed_ips"]
    assert external_ip["subnet_id"] == ext_subnet.id
    assert in_cidr(external_ip["ip_address"], ext_subnet.cidr)
    [gw_port] = admin_sdk.network.ports(device_id=router.id,
                                        device_owner="network:router_gateway")
    assert gw_port.project_id == "" and gw_port.network_id == ext_net.id
    assert not [p for p in demo_sdk.network.ports(device_id=router.id)
                if p.device_owner == "network:router_gateway"]  # hidden, as in neutron

    server = demo_sdk.network.create_port(network_id=net.id, name=unique("vm"))
    fip = demo_sdk.network.create_ip(floating_network_id=ext_net.id, description="web")
    assert (fip.status, fip.port_id, fip.router_id, fip.fixed_ip_address) == (
        "DOWN", None, None, None)
    assert in_cidr(fip.floating_ip_address, ext_subnet.cidr)
    assert fip.project_id == demo_sdk.current_project_id and fip.description == "web"
    raw_fip = demo_api.get(f"/floatingips/{fip.id}").json()["floatingip"]
    assert (raw_fip["port_details"], raw_fip["port_forwardings"], raw_fip["dns_name"]) == (
        None, [], "")
    [fip_port] = admin_sdk.network.ports(device_id=fip.id)
    assert (fip_port.device_owner, fip_port.project_id, fip_port.status) == (
        "network:floatingip", "", "N/A")

    fip = demo_sdk.network.update_ip(fip, port_id=server.id)
    assert fip.port_id == server.id and fip.router_id == router.id
    assert fip.fixed_ip_address == server.fixed_ips[0]["ip_address"]
    assert fip.status == "ACTIVE"
    details = demo_api.get(f"/floatingips/{fip.id}").json()["floatingip"]["port_details"]
    assert details == {"name": server.name, "network_id": net.id,
                       "mac_address": server.mac_address, "admin_state_up": True,
                       "status": details["status"], "device_id": "", "device_owner": ""}
    second = demo_api.post("/floatingips", json={"floatingip": {
        "floating_network_id": ext_net.id, "port_id": server.id}})
    assert second.status_code == 409
    assert error_type(second) == "FloatingIPPortAlreadyAssociated"

    # What the association needs cannot go.
    busy = demo_api.put(f"/routers/{router.id}/remove_router_interface",
                        json={"subnet_id": subnet.id})
    assert busy.status_code == 409 and error_type(busy) == "RouterInterfaceInUseByFloatingIP"
    busy = demo_api.put(f"/routers/{router.id}", json={"router": {
        "external_gateway_info": None}})
    assert busy.status_code == 409
    assert error_type(busy) == "RouterExternalGatewayInUseByFloatingIp"
    busy = demo_api.delete(f"/routers/{router.id}")
    assert busy.status_code == 409 and error_type(busy) == "RouterInUse"
    assert error_message(busy) == (f"Router {router.id} has ports still attached: "
                                   f"{info['port_id']}")
    busy = demo_api.delete(f"/subnets/{subnet.id}")
    assert busy.status_code == 409 and error_type(busy) == "SubnetInUse"
    busy = demo_api.delete(f"/ports/{info['port_id']}")
    assert busy.status_code == 409 and error_type(busy) == "L3PortInUse"

    fip = demo_sdk.network.update_ip(fip, port_id=None)
    assert (fip.port_id, fip.router_id, fip.fixed_ip_address, fip.status) == (
        None, None, None, "DOWN")
    removed = demo_sdk.network.remove_interface_from_router(router, subnet=subnet.id)
    assert removed["port_id"] == info["port_id"] and removed["subnet_id"] == subnet.id
    with pytest.raises(exceptions.NotFoundException):
        demo_sdk.network.get_port(info["port_id"])
    missing = demo_api.put(f"/routers/{router.id}/remove_router_interface",
                           json={"subnet_id": subnet.id})
    assert missing.status_code == 404
    assert error_type(missing) == "RouterInterfaceNotFoundForSubnet"

    demo_sdk.network.delete_ip(fip)
    assert not list(admin_sdk.network.ports(device_id=fip.id))
    demo_sdk.network.delete_port(server)
    demo_sdk.network.delete_router(router)
    assert not list(admin_sdk.network.ports(device_id=router.id))
    assert demo_api.get(f"/routers/{router.id}").status_code == 404
    demo_sdk.network.delete_subnet(subnet)


def test_gateway_changes_and_admin_only_gateway_attributes(
        admin_sdk: Connection, net_api: httpx.Client, external: tuple[Any, Any]) -> None:
    ext_net, ext_subnet = external
    wanted = str(ipaddress.ip_network(ext_subnet.cidr)[77])
    router = admin_sdk.network.create_router(name=unique("r"), external_gateway_info={
        "network_id": ext_net.id, "enable_snat": False,
        "external_fixed_ips": [{"subnet_id": ext_subnet.id, "ip_address": wanted}]})
    try:
        assert router.external_gateway_info == {
            "network_id": ext_net.id, "enable_snat": False,
            "external_fixed_ips": [{"subnet_id": ext_subnet.id, "ip_address": wanted}]}
        moved = str(ipaddress.ip_network(ext_subnet.cidr)[78])
        router = admin_sdk.network.update_router(router, external_gateway_info={
            "network_id": ext_net.id, "external_fixed_ips": [{"ip_address": moved}]})
        assert router.external_gateway_info["external_fixed_ips"][0]["ip_address"] == moved
        assert router.external_gateway_info["enable_snat"] is False  # kept
        same_as_gateway = net_api.put(f"/routers/{router.id}", json={"router": {
            "external_gateway_info": {"network_id": ext_net.id, "external_fixed_ips": [
                {"ip_address": ext_subnet.gateway_ip}]}}})
        assert same_as_gateway.status_code == 400
        cleared = net_api.put(f"/routers/{router.id}",
                              json={"router": {"external_gateway_info": {}}})
        assert cleared.status_code == 200
        assert cleared.json()["router"]["external_gateway_info"] is None
        assert not list(admin_sdk.network.ports(device_id=router.id))
    finally:
        admin_sdk.network.delete_router(router)


def test_gateway_must_be_an_external_network(demo_api: httpx.Client,
                                             private: tuple[Any, Any]) -> None:
    net, _ = private
    name = unique("r")
    response = demo_api.post("/routers", json={"router": {
        "name": name, "external_gateway_info": {"network_id": net.id}}})
    assert response.status_code == 400 and error_type(response) == "BadRequest"
    assert error_message(response) == (f"Bad router request: Network {net.id} is not an "
                                       "external network.")
    assert demo_api.get("/routers", params={"name": name}).json()["routers"] == []
    bad = demo_api.post("/floatingips", json={"floatingip": {"floating_network_id": net.id}})
    assert bad.status_code == 400 and error_message(bad) == (
        f"Bad floatingip request: Network {net.id} is not a valid external network.")
    unknown = demo_api.post("/routers", json={"router": {"distributed": True}})
    assert unknown.status_code == 400


def test_association_needs_a_router_between_the_networks(
        demo_sdk: Connection, demo_api: httpx.Client, external: tuple[Any, Any],
        private: tuple[Any, Any]) -> None:
    ext_net, _ = external
    net, subnet = private
    port = demo_sdk.network.create_port(network_id=net.id)
    fip = demo_sdk.network.create_ip(floating_network_id=ext_net.id)
    try:
        response = demo_api.put(f"/floatingips/{fip.id}",
                                json={"floatingip": {"port_id": port.id}})
        assert response.status_code == 404
        assert error_type(response) == "ExternalGatewayForFloatingIPNotFound"
        assert error_message(response) == (
            f"External network {ext_net.id} is not reachable from subnet {subnet.id}.  "
            f"Therefore, cannot associate Port {port.id} with a Floating IP.")
        count = len(list(demo_sdk.network.ips(floating_network_id=ext_net.id)))
        failed = demo_api.post("/floatingips", json={"floatingip": {
            "floating_network_id": ext_net.id, "port_id": port.id}})
        assert failed.status_code == 404  # and no floating IP (nor its port) is left
        assert len(list(demo_sdk.network.ips(floating_network_id=ext_net.id))) == count
        loose = demo_api.put(f"/floatingips/{fip.id}",
                             json={"floatingip": {"fixed_ip_address": "10.0.0.9"}})
        assert loose.status_code == 400
    finally:
        demo_sdk.network.delete_ip(fip)
        demo_sdk.network.delete_port(port)


def test_interfaces_by_port_and_their_rules(demo_sdk: Connection, demo_api: httpx.Client,
                                            private: tuple[Any, Any]) -> None:
    net, subnet = private
    router = demo_sdk.network.create_router(name=unique("r"))
    other = demo_sdk.network.create_network(name=unique("other"))
    try:
        port = demo_sdk.network.create_port(network_id=net.id)
        both = demo_api.put(f"/routers/{router.id}/add_router_interface",
                            json={"subnet_id": subnet.id, "port_id": port.id})
        assert both.status_code == 400
        neither = demo_api.put(f"/routers/{router.id}/add_router_interface", json={})
        assert neither.status_code == 400
        info = demo_sdk.network.add_interface_to_router(router, port=port.id)
        assert info["port_id"] == port.id and info["subnet_ids"] == [subnet.id]
        port = demo_sdk.network.get_port(port.id)
        assert (port.device_owner, port.device_id) == ("network:router_interface", router.id)

        overlapping = demo_sdk.network.create_subnet(network_id=other.id, ip_version=4,
                                                     cidr=subnet.cidr)
        clash = demo_api.put(f"/routers/{router.id}/add_router_interface",
                             json={"subnet_id": overlapping.id})
        assert clash.status_code == 400 and "overlaps with cidr" in error_message(clash)
        no_gateway = demo_sdk.network.create_subnet(network_id=other.id, ip_version=4,
                                                    cidr=cidr(), gateway_ip=None)
        refused = demo_api.put(f"/routers/{router.id}/add_router_interface",
                               json={"subnet_id": no_gateway.id})
        assert refused.status_code == 400 and error_message(refused) == (
            "Bad router request: Subnet for router interface must have a gateway IP.")
        taken = demo_sdk.network.create_port(network_id=other.id, device_id="vm-1")
        in_use = demo_api.put(f"/routers/{router.id}/add_router_interface",
                              json={"port_id": taken.id})
        assert in_use.status_code == 409 and error_type(in_use) == "PortInUse"
        demo_sdk.network.delete_port(taken)

        wrong = demo_api.put(f"/routers/{router.id}/remove_router_interface",
                             json={"port_id": taken.id})
        assert wrong.status_code == 404 and error_type(wrong) == "RouterInterfaceNotFound"
        mismatch = demo_api.put(f"/routers/{router.id}/remove_router_interface",
                                json={"port_id": port.id, "subnet_id": no_gateway.id})
        assert mismatch.status_code == 400 and error_type(mismatch) == "SubnetMismatchForPort"
        removed = demo_sdk.network.remove_interface_from_router(router, port=port.id)
        assert removed["port_id"] == port.id
        with pytest.raises(exceptions.NotFoundException):
            demo_sdk.network.get_port(port.id)
    finally:
        demo_sdk.network.delete_router(router)
        demo_sdk.network.delete_network(other)


def test_extra_routes_need_a_connected_nexthop(demo_sdk: Connection, demo_api: httpx.Client,
                                               private: tuple[Any, Any]) -> None:
    _, subnet = private
    router = demo_sdk.network.create_router(name=unique("r"))
    try:
        demo_sdk.network.add_interface_to_router(router, subnet=subnet.id)
        hop = str(ipaddress.ip_network(subnet.cidr)[20])
        nowhere = demo_api.put(f"/routers/{router.id}", json={"router": {"routes": [
            {"destination": "192.0.2.0/24", "nexthop": "198.18.0.1"}]}})
        assert nowhere.status_code == 400 and error_type(nowhere) == "InvalidRoutes"
        assert "the nexthop is not connected with router" in error_message(nowhere)
        itself = demo_api.put(f"/routers/{router.id}", json={"router": {"routes": [
            {"destination": "192.0.2.0/24", "nexthop": subnet.gateway_ip}]}})
        assert itself.status_code == 400 and "used by router" in error_message(itself)
        router = demo_sdk.network.update_router(router, routes=[
            {"destination": "192.0.2.0/24", "nexthop": hop}])
        assert router.routes == [{"destination": "192.0.2.0/24", "nexthop": hop}]
        needed = demo_api.put(f"/routers/{router.id}/remove_router_interface",
                              json={"subnet_id": subnet.id})
        assert needed.status_code == 409 and error_type(needed) == "RouterInterfaceInUseByRoute"
        cleared = demo_api.put(f"/routers/{router.id}", json={"router": {"routes": None}})
        assert cleared.json()["router"]["routes"] == []

        # extraroute-atomic, as `openstack router add route` uses it.
        other = str(ipaddress.ip_network(subnet.cidr)[21])
        one = {"destination": "192.0.2.0/24", "nexthop": hop}
        two = {"destination": "198.51.100.0/24", "nexthop": other}
        router = demo_sdk.network.add_extra_routes_to_router(
            router, {"router": {"routes": [one, two, one]}})
        assert router.routes == [one, two]
        router = demo_sdk.network.add_extra_routes_to_router(
            router, {"router": {"routes": [two]}})
        assert router.routes == [one, two]
        router = demo_sdk.network.remove_extra_routes_from_router(
            router, {"router": {"routes": [one, {"destination": "10.9.9.0/24",
                                                 "nexthop": hop}]}})
        assert router.routes == [two]
        bad = demo_api.put(f"/routers/{router.id}/add_extraroutes", json={"router": {
            "routes": [{"destination": "192.0.2.0/24", "nexthop": "198.18.0.1"}]}})
        assert bad.status_code == 400 and error_type(bad) == "InvalidRoutes"
        demo_sdk.network.remove_extra_routes_from_router(router, {"router": {"routes": [two]}})
        demo_sdk.network.remove_interface_from_router(router, subnet=subnet.id)
    finally:
        demo_sdk.network.delete_router(router)


# ---------------------------------------------------------------- listing and isolation

def test_projects_see_only_their_routers_and_floating_ips(
        admin_sdk: Connection, demo_sdk: Connection, demo_api: httpx.Client,
        external: tuple[Any, Any]) -> None:
    ext_net, _ = external
    router = admin_sdk.network.create_router(name=unique("admin-r"))
    fip = admin_sdk.network.create_ip(floating_network_id=ext_net.id)
    try:
        assert router.id not in {r.id for r in demo_sdk.network.routers()}
        assert fip.id not in {f.id for f in demo_sdk.network.ips()}
        assert demo_api.get(f"/routers/{router.id}").status_code == 404
        assert demo_api.get(f"/floatingips/{fip.id}").status_code == 404
        assert demo_api.delete(f"/floatingips/{fip.id}").status_code == 404
        assert demo_api.put(f"/routers/{router.id}/add_router_interface",
                            json={"subnet_id": str(uuid.uuid4())}).status_code == 404
        mine = demo_api.post("/floatingips", json={"floatingip": {
            "floating_network_id": ext_net.id, "floating_ip_address": "100.64.0.5"}})
        assert mine.status_code == 403  # only admins pick the address
        assert router.id in {r.id for r in admin_sdk.network.routers()}
    finally:
        admin_sdk.network.delete_ip(fip)
        admin_sdk.network.delete_router(router)


def test_list_filters_sorting_paging_and_fields(
        admin_sdk: Connection, net_api: httpx.Client, external: tuple[Any, Any]) -> None:
    ext_net, ext_subnet = external
    tag = unique("batch")
    routers = [admin_sdk.network.create_router(name=f"{tag}-{i}", description=tag)
               for i in range(3)]
    addresses = [str(ipaddress.ip_network(ext_subnet.cidr)[100 + i]) for i in range(3)]
    fips = [admin_sdk.network.create_ip(floating_network_id=ext_net.id,
                                        floating_ip_address=a) for a in addresses]
    try:
        page = net_api.get("/routers", params={"description": tag, "sort_key": "name",
                                               "sort_dir": "desc", "limit": 2}).json()
        assert [r["name"] for r in page["routers"]] == [f"{tag}-2", f"{tag}-1"]
        assert page["routers_links"][0]["rel"] == "next"
        rest = net_api.get(page["routers_links"][0]["href"].split("/v2.0")[1]).json()
        assert [r["name"] for r in rest["routers"]] == [f"{tag}-0"]
        only = net_api.get("/routers", params={"name": f"{tag}-1", "fields": ["id", "name"]})
        assert only.json()["routers"] == [{"id": routers[1].id, "name": f"{tag}-1"}]
        listed = net_api.get("/floatingips", params={
            "floating_network_id": ext_net.id, "floating_ip_address": addresses[1]}).json()
        assert [f["id"] for f in listed["floatingips"]] == [fips[1].id]
        down = net_api.get("/floatingips", params={"floating_network_id": ext_net.id,
                                                   "status": "DOWN",
                                                   "sort_key": "floating_ip_address"})
        assert [f["floating_ip_address"] for f in down.json()["floatingips"]] == addresses
        taken = net_api.post("/floatingips", json={"floatingip": {
            "floating_network_id": ext_net.id, "floating_ip_address": addresses[0]}})
        assert taken.status_code == 409 and error_type(taken) == "IpAddressInUse"
    finally:
        for fip in fips:
            admin_sdk.network.delete_ip(fip)
        for router in routers:
            admin_sdk.network.delete_router(router)


# ---------------------------------------------------------------- quotas and agents

def test_floating_ip_quota_holds_under_concurrent_creates(
        cloud: RunningCloud, admin_sdk: Connection, demo_sdk: Connection,
        demo_api: httpx.Client, external: tuple[Any, Any]) -> None:
    ext_net, _ = external
    project_id = demo_sdk.current_project_id
    network = cloud.cloud.network
    assert network is not None
    used = len(list(demo_sdk.network.ips()))

    async def limit(value: int | None) -> None:
        async with network.db.session() as session:
            await session.execute(delete(Quota).where(Quota.project_id == project_id,
                                                      Quota.resource == "floatingip"))
            if value is not None:
                session.add(Quota(project_id=project_id, resource="floatingip", limit=value))

    cloud.run(limit(used + 2))
    token = cloud.token("demo", "demo")

    def create() -> httpx.Response:
        return httpx.post(f"{cloud.url}/networking/v2.0/floatingips",
                          headers={"X-Auth-Token": token}, timeout=60,
                          json={"floatingip": {"floating_network_id": ext_net.id}})

    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: create(), range(6)))
        assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409, 409]
        over = next(a for a in answers if a.status_code == 409)
        assert error_type(over) == "OverQuota" and "floatingip" in error_message(over)
        made = [a.json()["floatingip"]["id"] for a in answers if a.status_code == 201]
        held = demo_sdk.network.ips(floating_network_id=ext_net.id)
        assert sorted(f.id for f in held) == sorted(made)
        # The refused ones left no address (no port) behind.
        ports = admin_sdk.network.ports(network_id=ext_net.id,
                                        device_owner="network:floatingip")
        assert sorted(p.device_id for p in ports) == sorted(made)
        for fip_id in made:
            assert demo_api.delete(f"/floatingips/{fip_id}").status_code == 204
    finally:
        cloud.run(limit(None))


def test_routers_for_agent_describes_the_whole_router(
        cloud: RunningCloud, demo_sdk: Connection, external: tuple[Any, Any],
        private: tuple[Any, Any]) -> None:
    ext_net, ext_subnet = external
    net, subnet = private
    network = cloud.cloud.network
    assert network is not None
    router = demo_sdk.network.create_router(name=unique("r"), external_gateway_info={
        "network_id": ext_net.id})
    demo_sdk.network.add_interface_to_router(router, subnet=subnet.id)
    port = demo_sdk.network.create_port(network_id=net.id)
    fip = demo_sdk.network.create_ip(floating_network_id=ext_net.id, port_id=port.id)
    try:
        [state] = cloud.run(network.routers_for_agent([router.id]))
        assert state["router_id"] == state["id"] == router.id and state["enable_snat"]
        [gw_ip] = state["gateway"]["fixed_ips"]
        assert (gw_ip["cidr"], gw_ip["gateway_ip"]) == (ext_subnet.cidr, ext_subnet.gateway_ip)
        [leg] = state["interfaces"]
        assert leg["fixed_ips"][0]["ip_address"] == subnet.gateway_ip
        assert leg["segment"]["network_type"] == "vxlan" and leg["mtu"] == 1450
        assert state["floating_ips"] == [{
            "id": fip.id, "floatingip_id": fip.id,
            "floating_ip_address": fip.floating_ip_address,
            "fixed_ip_address": port.fixed_ips[0]["ip_address"], "port_id": port.id}]
    finally:
        demo_sdk.network.delete_ip(fip)
        demo_sdk.network.delete_port(port)
        demo_sdk.network.remove_interface_from_router(router, subnet=subnet.id)
        demo_sdk.network.delete_router(router)
