"""Servers: boot through scheduler, conductor and the fake hosts' agents, addresses from
the Network service, lists with nova's filters, isolation, quotas, faults, delete."""

from __future__ import annotations

import concurrent.futures
import uuid

import httpx
import openstack

from gureum.compute.drivers.fake import BEHAVIOUR_KEY
from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    new_project_member,
    wait_deleted,
    wait_status,
)
from tests.harness import RunningCloud, unique


def ports_of(cloud: RunningCloud, server_id: str) -> list[dict[str, object]]:
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("admin", "admin")}) as net:
        return list(net.get("/ports", params={"device_id": server_id}).json()["ports"])


def test_boot_on_a_network_gets_an_address_and_delete_frees_its_port(
        cloud: RunningCloud, demo_sdk: openstack.connection.Connection, image: str) -> None:
    private = demo_sdk.network.find_network("private")
    key = demo_sdk.compute.create_keypair(name=unique("boot-key"))
    server = demo_sdk.compute.create_server(
        name=unique("boot"), image_id=image, flavor_id="42", key_name=key.name,
        networks=[{"uuid": private.id}], metadata={"purpose": "test"},
        user_data="I2Nsb3VkLWNvbmZpZw==")
    server = demo_sdk.compute.wait_for_server(server, wait=15, interval=0.05)
    assert server.status == "ACTIVE" and server.power_state == 1
    assert server.key_name == key.name and server.metadata == {"purpose": "test"}
    (address, *_), = [a for a in server.addresses["private"] if a["version"] == 4],
    ports = ports_of(cloud, server.id)
    assert len(ports) == 1 and ports[0]["binding:host_id"]
    assert ports[0]["device_owner"] == "compute:nova"
    assert address["addr"] in [ip["ip_address"] for ip in ports[0]["fixed_ips"]]  # type: ignore[attr-defined]
    assert address["OS-EXT-IPS-MAC:mac_addr"] == ports[0]["mac_address"]
    demo_sdk.compute.delete_server(server)
    demo_sdk.compute.wait_for_delete(server, wait=15, interval=0.05)
    assert ports_of(cloud, server.id) == []


def test_networks_auto_none_port_and_fixed_ip(cloud: RunningCloud, nova: httpx.Client,
                                              demo_nova: httpx.Client, image: str) -> None:
    auto = create_server(demo_nova, image, networks="auto", name=unique("auto"))
    none = create_server(demo_nova, image, networks="none", name=unique("none"))
    assert wait_status(demo_nova, auto["id"], {"ACTIVE"})["addresses"]
    assert wait_status(demo_nova, none["id"], {"ACTIVE"})["addresses"] == {}
    # 2.37 requires networks; before it, the project's only network is taken
    missing = demo_nova.post("/servers", json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42"}})
    assert missing.status_code == 400
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("admin", "admin")}) as net:
        made = net.post("/networks", json={"network": {"name": unique("fixed")}}).json()
        net.post("/subnets", json={"subnet": {"network_id": made["network"]["id"],
                                              "cidr": "10.77.0.0/24", "ip_version": 4,
                                              "enable_dhcp": False}})
        port = net.post("/ports", json={"port": {"network_id": made["network"]["id"]}}).json()
    network = made["network"]["id"]
    fixed = create_server(nova, image, networks=[{"uuid": network, "fixed_ip": "10.77.0.42"}])
    with_port = create_server(nova, image, networks=[{"port": port["port"]["id"]}])
    shown = wait_status(nova, fixed["id"], {"ACTIVE"})
    assert shown["addresses"][made["network"]["name"]][0]["addr"] == "10.77.0.42"
    shown = wait_status(nova, with_port["id"], {"ACTIVE"})
    assert shown["addresses"][made["network"]["name"]][0]["addr"] == \
        port["port"]["fixed_ips"][0]["ip_address"]
    # the port is in use now; a second server may not take it
    taken = nova.post("/servers", json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42",
        "networks": [{"port": port["port"]["id"]}]}})
    assert taken.status_code == 409, taken.text
    # a port the user brought is unbound, not deleted, when the server goes
    assert nova.delete(f"/servers/{with_port['id']}").status_code == 204
    wait_deleted(nova, with_port["id"])
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("admin", "admin")}) as net:
        kept = net.get(f"/ports/{port['port']['id']}").json()["port"]
    assert kept["device_id"] == "" and kept["binding:host_id"] == ""
    for server in (auto, none, fixed):
        assert nova.delete(f"/servers/{server['id']}").status_code == 204


def test_bad_requests_are_refused_with_nova_errors(nova: httpx.Client, image: str) -> None:
    def post(**server: object) -> httpx.Response:
        body = {"name": "bad", "imageRef": image, "flavorRef": "42", "networks": "none",
                **server}
        return nova.post("/servers", json={"server": body})

    unknown_image = post(imageRef=str(uuid.uuid4()))
    assert unknown_image.status_code == 400
    assert unknown_image.json()["badRequest"]["message"] == "Can not find requested image"
    assert post(flavorRef="no-such-flavor").status_code == 400
    assert post(networks=[{"uuid": str(uuid.uuid4())}]).status_code == 400
    assert post(key_name="no-such-key").status_code == 400
    assert post(user_data="not base64!").status_code == 400
    assert post(security_groups=[{"name": "no-such-group"}]).status_code == 400
    assert post(availability_zone="no-such-zone").status_code == 400
    assert post(min_count=3, max_count=2).status_code == 400
    assert post(name="").status_code == 400
    assert nova.get(f"/servers/{uuid.uuid4()}").json()["itemNotFound"]["code"] == 404


def test_a_flavor_too_big_for_every_host_ends_in_no_valid_host(nova: httpx.Client,
                                                               image: str) -> None:
    flavor = nova.post("/flavors", json={"flavor": {
        "name": unique("huge"), "ram": 64, "vcpus": 1, "disk": 100_000}}).json()["flavor"]
    server = create_server(nova, image, flavor=flavor["id"])
    shown = wait_status(nova, server["id"], {"ERROR"})
    assert shown["fault"]["message"].startswith("No valid host was found")
    assert shown["fault"]["code"] == 500
    assert nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(nova, server["id"])


def test_injected_spawn_failures_retry_elsewhere_then_fail(nova: httpx.Client,
                                                           demo_nova: httpx.Client,
                                                           image: str) -> None:
    forbidden = demo_nova.post("/servers", json={"server": {
        "name": "x", "imageRef": image, "flavorRef": "42", "networks": "none",
        "metadata": {BEHAVIOUR_KEY: "spawn_fail"}}})
    assert forbidden.status_code == 403  # only admins choose a fake server's fate
    server = create_server(nova, image, metadata={BEHAVIOUR_KEY: "spawn_fail"})
    shown = wait_status(nova, server["id"], {"ERROR"})
    assert "spawn_fail" in shown["fault"]["message"]
    events = nova.get(f"/servers/{server['id']}")  # three hosts tried, then given up
    assert events.status_code == 200
    # a server whose build never ends can still be deleted
    stuck = create_server(nova, image, metadata={BEHAVIOUR_KEY: "build_stuck"})
    assert wait_status(nova, stuck["id"], {"BUILD"})["OS-EXT-STS:task_state"] in (
        "scheduling", "spawning")
    assert nova.delete(f"/servers/{stuck['id']}").status_code == 204
    wait_deleted(nova, stuck["id"])
    doomed = create_server(nova, image, metadata={BEHAVIOUR_KEY: "delete_fail"})
    wait_status(nova, doomed["id"], {"ACTIVE"})
    assert nova.delete(f"/servers/{doomed['id']}").status_code == 204
    assert "delete_fail" in wait_status(nova, doomed["id"], {"ERROR"})["fault"]["message"]


def test_min_max_count_lists_filters_and_paging(nova: httpx.Client, image: str) -> None:
    name = unique("multi")
    made = nova.post("/servers", json={"server": {
        "name": name, "imageRef": image, "flavorRef": "84", "networks": "none",
        "min_count": 3, "max_count": 3, "return_reservation_id": True}})
    assert made.status_code == 202
    reservation = made.json()["reservation_id"]
    listed = nova.get("/servers/detail", params={"reservation_id": reservation}).json()
    servers = listed["servers"]
    assert sorted(s["name"] for s in servers) == [f"{name}-1", f"{name}-2", f"{name}-3"]
    for server in servers:
        wait_status(nova, server["id"], {"ACTIVE"})
    by_name = nova.get("/servers", params={"name": f"^{name}-[12]$"}).json()["servers"]
    assert sorted(s["name"] for s in by_name) == [f"{name}-1", f"{name}-2"]
    assert len(nova.get("/servers", params={"name": name, "status": "ACTIVE",
                                            "flavor": "84"}).json()["servers"]) == 3
    assert nova.get("/servers", params={"name": name, "flavor": "42"}).json()[
        "servers"] == []
    # an unknown status lists nothing (before 2.38, which made it a 400)
    assert nova.get("/servers", params={"name": name, "status": "BOGUS"}).json()[
        "servers"] == []
    first = nova.get("/servers", params={"name": name, "limit": 2}).json()
    assert len(first["servers"]) == 2 and first["servers_links"][0]["rel"] == "next"
    rest = nova.get("/servers", params={"name": name, "limit": 2,
                                        "marker": first["servers"][-1]["id"]}).json()
    assert len(rest["servers"]) == 1 and "servers_links" not in rest
    hosts = {nova.get(f"/servers/{s['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
             for s in servers}
    assert len(hosts) == 3  # spread over the three fake hosts
    host = hosts.pop()
    on_host = nova.get("/servers", params={"name": name, "host": host}).json()["servers"]
    assert len(on_host) == 1
    for server in servers:
        nova.delete(f"/servers/{server['id']}")


def test_show_update_tags_and_tenant_isolation(nova: httpx.Client, demo_nova: httpx.Client,
                                               image: str) -> None:
    mine = create_server(demo_nova, image, name=unique("demo"))
    theirs = create_server(nova, image, name=unique("admin"))
    shown = wait_status(demo_nova, mine["id"], {"ACTIVE"})
    assert "OS-EXT-SRV-ATTR:host" not in shown  # admin attributes are for admins
    assert shown["locked"] is False and shown["description"] is None
    assert shown["hostId"] and shown["OS-EXT-AZ:availability_zone"] == "nova"
    admin_view = wait_status(nova, mine["id"], {"ACTIVE"})
    assert admin_view["OS-EXT-SRV-ATTR:host"].startswith("gureum-compute-")
    assert admin_view["host_status"] == "UP"
    # demo sees none of admin's servers
    assert demo_nova.get(f"/servers/{theirs['id']}").status_code == 404
    assert theirs["id"] not in {s["id"] for s in demo_nova.get("/servers").json()["servers"]}
    assert demo_nova.get("/servers", params={"all_tenants": 1}).status_code == 403
    assert demo_nova.delete(f"/servers/{theirs['id']}").status_code == 404
    everyone = nova.get("/servers", params={"all_tenants": 1}).json()["servers"]
    assert mine["id"] in {s["id"] for s in everyone}
    updated = demo_nova.put(f"/servers/{mine['id']}", json={"server": {
        "name": "renamed", "description": "a test server"}}).json()["server"]
    assert (updated["name"], updated["description"]) == ("renamed", "a test server")
    assert demo_nova.put(f"/servers/{mine['id']}/tags/blue").status_code == 201
    assert demo_nova.put(f"/servers/{mine['id']}/tags/blue").status_code == 204
    assert demo_nova.put(f"/servers/{mine['id']}/tags", json={"tags": ["a", "b"]}).json() == {
        "tags": ["a", "b"]}
    assert demo_nova.get(f"/servers/{mine['id']}/tags/a").status_code == 204
    assert demo_nova.get(f"/servers/{mine['id']}/tags/z").status_code == 404
    tagged = demo_nova.get("/servers", params={"tags": "a,b"}).json()["servers"]
    assert [s["id"] for s in tagged] == [mine["id"]]
    old = demo_nova.get(f"/servers/{mine['id']}/tags",
                        headers={"OpenStack-API-Version": "compute 2.25"})
    assert old.status_code == 404
    for client, server in ((demo_nova, mine), (nova, theirs)):
        assert client.delete(f"/servers/{server['id']}").status_code == 204
        wait_deleted(client, server["id"])


def test_concurrent_creates_never_exceed_the_instances_quota(cloud: RunningCloud,
                                                             image: str) -> None:
    _, token = new_project_member(cloud, "quota")
    with compute_client(cloud, "", token=token) as client:
        def create(_: int) -> int:
            return client.post("/servers", json={"server": {
                "name": "q", "imageRef": image, "flavorRef": "42",
                "networks": "none"}}).status_code

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(create, range(20)))
        assert sorted(codes) == [202] * 10 + [403] * 10
        over = client.post("/servers", json={"server": {
            "name": "q", "imageRef": image, "flavorRef": "42", "networks": "none"}})
        assert over.json()["forbidden"]["message"].startswith(
            "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances")
        servers = client.get("/servers").json()["servers"]
        assert len(servers) == 10
        for server in servers:
            client.delete(f"/servers/{server['id']}")
        for server in servers:
            wait_deleted(client, server["id"])
        assert client.get("/limits").json()["limits"]["absolute"]["totalInstancesUsed"] == 0
