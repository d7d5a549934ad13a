"""The Network service's cross-cutting APIs as clients use them: quotas (openstacksdk and
the `openstack` CLI), RBAC sharing, tags and tag filters, subnet pools, availability
zones, IP availability and the auto-allocated topology."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
from openstack import exceptions

from gureum.network.api import routers as routers_api
from tests.harness import RunningCloud, error_type, unique

Connection = openstack.connection.Connection


@dataclass
class Member:
    """A fresh project with one member, so that its quotas touch no other test."""

    project_id: str
    name: str
    password: str
    sdk: Connection
    token: str


@pytest.fixture()
def member(cloud: RunningCloud, admin_sdk: Connection) -> Iterator[Member]:
    name = unique("quota")
    password = uuid.uuid4().hex
    project = admin_sdk.identity.create_project(name=name, domain_id="default")
    user = admin_sdk.identity.create_user(name=name, password=password, domain_id="default",
                                          default_project_id=project.id)
    role = admin_sdk.identity.find_role("member")
    admin_sdk.identity.assign_project_role_to_user(project, user, role)
    sdk = openstack.connection.Connection(
        auth_url=cloud.identity_url, username=name, password=password, project_name=name,
        user_domain_name="Default", project_domain_name="Default", region_name="RegionOne",
        identity_api_version="3")
    token = cloud.token(name, name, password=password)
    yield Member(project.id, name, password, sdk, token)
    with api(cloud, cloud.token("admin", "admin")) as client:  # whatever it auto-allocated
        client.delete(f"/auto-allocated-topology/{project.id}")
    for net in admin_sdk.network.networks(project_id=project.id):
        for port in admin_sdk.network.ports(network_id=net.id):
            admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)
    admin_sdk.network.delete_quota(project.id)
    admin_sdk.identity.delete_user(user)
    admin_sdk.identity.delete_project(project)


def api(cloud: RunningCloud, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{cloud.url}/networking/v2.0",
                        headers={"X-Auth-Token": token}, timeout=60)


# ---------------------------------------------------------------- quotas

def test_a_project_quota_limits_its_networks_and_details_count_them(
        cloud: RunningCloud, admin_sdk: Connection, member: Member) -> None:
    defaults = admin_sdk.network.get_quota_default(member.project_id)
    assert defaults.networks == cloud.settings.network.quotas["network"]
    admin_sdk.network.update_quota(member.project_id, networks=1, ports=5)
    quota = admin_sdk.network.get_quota(member.project_id)
    assert (quota.networks, quota.ports, quota.routers) == (
        1, 5, cloud.settings.network.quotas["router"])
    listed = {q.project_id: q for q in admin_sdk.network.quotas()}
    assert listed[member.project_id].networks == 1

    first = member.sdk.network.create_network(name=unique("q"))
    with api(cloud, member.token) as client:
        second = client.post("/networks", json={"network": {"name": unique("q")}})
        assert second.status_code == 409, second.text
        assert error_type(second) == "OverQuota"
        assert "network" in second.json()["NeutronError"]["message"]
        # A member reads its own project's quota, and its project id
        own = client.get(f"/quotas/{member.project_id}")
        assert own.status_code == 200 and own.json()["quota"]["network"] == 1
        assert client.get("/quotas/tenant").json() == {
            "tenant": {"tenant_id": member.project_id}}
        others = client.get(f"/quotas/{admin_sdk.current_project_id}")
        assert others.status_code == 403
        refused = client.put(f"/quotas/{member.project_id}", json={"quota": {"network": 9}})
        assert refused.status_code == 403

    details = admin_sdk.network.get_quota(member.project_id, details=True)
    assert details.networks == {"limit": 1, "used": 1, "reserved": 0}
    assert details.ports["limit"] == 5 and details.ports["reserved"] == 0
    # check_limit (what `openstack quota set` sends) refuses a limit under the usage
    with api(cloud, cloud.token("admin", "admin")) as client:
        under = client.put(f"/quotas/{member.project_id}",
                           json={"quota": {"network": 0, "check_limit": True}})
        assert under.status_code == 400, under.text
        forced = client.put(f"/quotas/{member.project_id}",
                            json={"quota": {"network": 0, "force": True}})
        assert forced.status_code == 200 and forced.json()["quota"]["network"] == 0
        for bad in (-2, "many", True):
            response = client.put(f"/quotas/{member.project_id}",
                                  json={"quota": {"network": bad}})
            assert response.status_code == 400, (bad, response.text)
        unknown = client.put(f"/quotas/{member.project_id}", json={"quota": {"widgets": 1}})
        assert unknown.status_code == 400
    member.sdk.network.delete_network(first)
    admin_sdk.network.delete_quota(member.project_id)
    assert admin_sdk.network.get_quota(member.project_id).networks == defaults.networks
    with api(cloud, cloud.token("admin", "admin")) as client:
        again = client.delete(f"/quotas/{member.project_id}")
        assert again.status_code == 404 and error_type(again) == "TenantQuotaNotFound"


def openstack_cli(cloud: RunningCloud, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=cloud.identity_url, OS_USERNAME="admin",
               OS_PASSWORD=cloud.passwords()["admin"], OS_PROJECT_NAME="admin",
               OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
               OS_IDENTITY_API_VERSION="3", OS_REGION_NAME="RegionOne")
    command = Path(sys.executable).parent / "openstack"
    result = subprocess.run([str(command), *args], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_cli_sets_and_shows_network_quotas(cloud: RunningCloud, member: Member) -> None:
    openstack_cli(cloud, "quota", "set", "--networks", "1", "--ports", "7",
                  member.project_id)
    shown = openstack_cli(cloud, "quota", "show", "--network", "-f", "value", "-c",
                          "Resource", "-c", "Limit", member.project_id)
    limits = dict(line.rsplit(" ", 1) for line in shown.strip().splitlines())
    assert limits["networks"] == "1" and limits["ports"] == "7"
    usage = openstack_cli(cloud, "quota", "show", "--network", "--usage", "-f", "value",
                          member.project_id)
    assert "networks" in usage


# ---------------------------------------------------------------- RBAC

def test_sharing_a_network_with_one_project(admin_sdk: Connection, demo_sdk: Connection,
                                            net_api: httpx.Client,
                                            demo_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("rbac"))
    admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.77.0.0/28")
    demo_project = demo_sdk.current_project_id
    assert demo_sdk.network.find_network(net.id) is None
    policy = admin_sdk.network.create_rbac_policy(
        object_type="network", object_id=net.id, action="access_as_shared",
        target_project_id=demo_project)
    try:
        assert (policy.target_project_id, policy.project_id) == (
            demo_project, admin_sdk.current_project_id)
        seen = demo_sdk.network.get_network(net.id)
        assert seen.id == net.id and seen.is_shared is False  # shared with demo only
        port = demo_sdk.network.create_port(network_id=net.id, name=unique("p"))
        assert port.project_id == demo_project
        # Demo depends on the grant now: it cannot be taken away
        gone = net_api.delete(f"/rbac-policies/{policy.id}")
        assert gone.status_code == 409 and error_type(gone) == "RbacPolicyInUse"
        moved = net_api.put(f"/rbac-policies/{policy.id}",
                            json={"rbac_policy": {"target_tenant": uuid.uuid4().hex}})
        assert moved.status_code == 409 and error_type(moved) == "RbacPolicyInUse"
        dup = net_api.post("/rbac-policies", json={"rbac_policy": {
            "object_type": "network", "object_id": net.id, "action": "access_as_shared",
            "target_tenant": demo_project}})
        assert dup.status_code == 409 and error_type(dup) == "DuplicateRbacPolicy"
        # Only owners and admins see a policy; the project it targets does not
        assert demo_api.get(f"/rbac-policies/{policy.id}").status_code == 404
        assert policy.id in {p.id for p in admin_sdk.network.rbac_policies(
            object_id=net.id, target_project_id=demo_project)}
        demo_sdk.network.delete_port(port)
    finally:
        admin_sdk.network.delete_rbac_policy(policy)
    assert demo_sdk.network.find_network(net.id) is None
    refused = demo_api.post("/ports", json={"port": {"network_id": net.id}})
    assert refused.status_code == 404
    admin_sdk.network.delete_network(net)


def test_a_wildcard_share_is_the_shared_flag(admin_sdk: Connection, demo_sdk: Connection,
                                             net_api: httpx.Client,
                                             demo_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("wild"))
    body = {"object_type": "network", "object_id": net.id, "action": "access_as_shared",
            "target_tenant": "*"}
    created = net_api.post("/rbac-policies", json={"rbac_policy": body})
    assert created.status_code == 201, created.text
    policy = created.json()["rbac_policy"]
    assert set(policy) == {"id", "project_id", "tenant_id", "object_type", "object_id",
                           "action", "target_tenant"}
    assert admin_sdk.network.get_network(net.id).is_shared is True
    assert demo_sdk.network.get_network(net.id).is_shared is True
    assert net_api.delete(f"/rbac-policies/{policy['id']}").status_code == 204
    assert admin_sdk.network.get_network(net.id).is_shared is False
    # and the other way: `shared` on the network is a `*` policy
    admin_sdk.network.update_network(net, is_shared=True)
    rows = list(admin_sdk.network.rbac_policies(object_id=net.id))
    assert [(r.action, r.target_project_id) for r in rows] == [("access_as_shared", "*")]
    admin_sdk.network.update_network(net, is_shared=False)
    assert list(admin_sdk.network.rbac_policies(object_id=net.id)) == []

    mine = demo_sdk.network.create_network(name=unique("demo-wild"))
    try:
        wildcard = demo_api.post("/rbac-policies", json={"rbac_policy": {
            **body, "object_id": mine.id}})
        assert wildcard.status_code == 403, wildcard.text
        others = demo_api.post("/rbac-policies", json={"rbac_policy": {
            **body, "target_tenant": demo_sdk.current_project_id}})
        assert others.status_code == 404  # admin's private network: not even seen
        bad_action = demo_api.post("/rbac-policies", json={"rbac_policy": {
            **body, "object_id": mine.id, "action": "access_as_owner",
            "target_tenant": admin_sdk.current_project_id}})
        assert bad_action.status_code == 400
        assert error_type(bad_action) == "InvalidActionForType"
        bad_type = demo_api.post("/rbac-policies", json={"rbac_policy": {
            **body, "object_type": "widget", "object_id": mine.id,
            "target_tenant": admin_sdk.current_project_id}})
        assert bad_type.status_code == 400 and error_type(bad_type) == "InvalidInput"
        # A member shares its own network with another project
        ok = demo_api.post("/rbac-policies", json={"rbac_policy": {
            **body, "object_id": mine.id, "target_tenant": admin_sdk.current_project_id}})
        assert ok.status_code == 201, ok.text
        mine_listed = demo_api.get("/rbac-policies").json()["rbac_policies"]
        assert [p["object_id"] for p in mine_listed] == [mine.id]
    finally:
        demo_sdk.network.delete_network(mine)
    assert list(admin_sdk.network.rbac_policies(object_id=mine.id)) == []
    admin_sdk.network.delete_network(net)


def test_an_external_grant_lets_a_project_see_the_network(
        admin_sdk: Connection, demo_sdk: Connection) -> None:
    net = admin_sdk.network.create_network(name=unique("ext-grant"))
    policy = admin_sdk.network.create_rbac_policy(
        object_type="network", object_id=net.id, action="access_as_external",
        target_project_id=demo_sdk.current_project_id)
    assert demo_sdk.network.get_network(net.id).id == net.id
    admin_sdk.network.delete_rbac_policy(policy)
    assert demo_sdk.network.find_network(net.id) is None
    admin_sdk.network.delete_network(net)


# ---------------------------------------------------------------- tags

def test_tags_round_trip_and_filter_lists(admin_sdk: Connection, net_api: httpx.Client,
                                          demo_api: httpx.Client) -> None:
    marker = unique("t")
    nets = {name: admin_sdk.network.create_network(name=f"{marker}-{name}")
            for name in ("ab", "a", "b", "none")}
    try:
        start = nets["ab"].revision_number
        replaced = net_api.put(f"/networks/{nets['ab'].id}/tags",
                               json={"tags": [marker, "red", "blue"]})
        assert replaced.status_code == 200 and replaced.json() == {
            "tags": [marker, "red", "blue"]}
        one = net_api.put(f"/networks/{nets['a'].id}/tags/red")
        assert one.status_code == 201 and one.content == b""
        net_api.put(f"/networks/{nets['a'].id}/tags/{marker}")
        added = net_api.post(f"/networks/{nets['b'].id}/tags", json={"tags": ["blue"]})
        assert added.status_code == 201
        net_api.post(f"/networks/{nets['b'].id}/tags", json={"tags": [marker]})
        assert sorted(net_api.get(f"/networks/{nets['b'].id}/tags").json()["tags"]) == sorted(
            ["blue", marker])
        shown = admin_sdk.network.get_network(nets["ab"].id)
        assert sorted(shown.tags) == sorted([marker, "red", "blue"])
        assert shown.revision_number > start
        assert net_api.get(f"/networks/{nets['ab'].id}/tags/red").status_code == 204
        missing = net_api.get(f"/networks/{nets['ab'].id}/tags/green")
        assert missing.status_code == 404 and error_type(missing) == "TagNotFound"

        def names(**query: str) -> set[str]:
            found = net_api.get("/networks", params={**query, "name": [
                f"{marker}-{n}" for n in nets]}).json()["networks"]
            return {n["name"].removeprefix(f"{marker}-") for n in found}

        assert names(tags="red,blue") == {"ab"}
        assert names(**{"tags-any": "red,blue"}) == {"ab", "a", "b"}
        assert names(**{"not-tags": "red,blue"}) == {"a", "b", "none"}
        assert names(**{"not-tags-any": "red,blue"}) == {"none"}
        assert {n.name for n in admin_sdk.network.networks(tags=[marker, "red"])} == {
            f"{marker}-ab", f"{marker}-a"}

        duplicate = net_api.put(f"/networks/{nets['ab'].id}/tags",
                                json={"tags": ["x", "x"]})
        assert duplicate.status_code == 400 and error_type(duplicate) == "InvalidInput"
        assert net_api.delete(f"/networks/{nets['ab'].id}/tags/red").status_code == 204
        again = net_api.delete(f"/networks/{nets['ab'].id}/tags/red")
        assert again.status_code == 404
        assert net_api.delete(f"/networks/{nets['ab'].id}/tags").status_code == 204
        assert net_api.get(f"/networks/{nets['ab'].id}/tags").json() == {"tags": []}
        # the sdk's tag calls
        admin_sdk.network.set_tags(nets["none"], ["s1", "s2"])
        assert sorted(admin_sdk.network.get_network(nets["none"].id).tags) == ["s1", "s2"]
        # Others neither see a private network's tags nor tag it
        private = demo_api.get(f"/networks/{nets['a'].id}/tags")
        assert private.status_code == 404 and error_type(private) == "TagResourceNotFound"
        assert demo_api.put(f"/networks/{nets['a'].id}/tags/mine").status_code == 404
    finally:
        for net in nets.values():
            admin_sdk.network.delete_network(net)


def test_tags_on_other_resources(admin_sdk: Connection, demo_sdk: Connection,
                                 net_api: httpx.Client, demo_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("tagged"), is_shared=True)
    subnet = admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                             cidr="10.78.0.0/28")
    port = admin_sdk.network.create_port(network_id=net.id)
    group = admin_sdk.network.create_security_group(name=unique("tagged"))
    pool = admin_sdk.network.create_subnet_pool(name=unique("tagged"),
                                                prefixes=["10.234.0.0/16"])
    try:
        for path, item in (("subnets", subnet), ("ports", port),
                           ("security-groups", group), ("subnetpools", pool)):
            assert net_api.put(f"/{path}/{item.id}/tags",
                               json={"tags": ["k"]}).status_code == 200
            assert net_api.get(f"/{path}/{item.id}/tags").json() == {"tags": ["k"]}
        assert admin_sdk.network.get_subnet(subnet.id).tags == ["k"]
        assert [s.id for s in admin_sdk.network.subnets(tags="k", network_id=net.id)] == [
            subnet.id]
        assert admin_sdk.network.get_port(port.id).tags == ["k"]
        assert admin_sdk.network.get_subnet_pool(pool.id).tags == ["k"]
        assert [p.id for p in admin_sdk.network.subnet_pools(tags="k")] == [pool.id]
        # Demo sees the shared network (and its tags) but may not change them
        assert demo_api.get(f"/networks/{net.id}/tags").status_code == 200
        assert demo_api.put(f"/networks/{net.id}/tags/x").status_code == 403
        unknown = net_api.get(f"/networks/{uuid.uuid4()}/tags")
        assert unknown.status_code == 404
    finally:
        admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)
        admin_sdk.network.delete_security_group(group)
        admin_sdk.network.delete_subnet_pool(pool)


# ---------------------------------------------------------------- subnet pools

def test_subnets_are_carved_from_a_pool_without_overlap(
        admin_sdk: Connection, demo_sdk: Connection, net_api: httpx.Client) -> None:
    pool = admin_sdk.network.create_subnet_pool(
        name=unique("pool"), prefixes=["10.231.1.0/24", "10.231.0.0/24"],
        default_prefix_length=26, minimum_prefix_length=24, maximum_prefix_length=28)
    assert pool.prefixes == ["10.231.0.0/23"] and pool.ip_version == 4
    assert (pool.minimum_prefix_length, pool.default_prefix_length,
            pool.maximum_prefix_length) == (24, 26, 28)
    assert pool.address_scope_id is None and pool.is_shared is False
    net = admin_sdk.network.create_network(name=unique("carved"))
    try:
        subnets = [admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                                   subnetpool_id=pool.id) for _ in range(2)]
        cidrs = [ipaddress.ip_network(s.cidr) for s in subnets]
        assert all(c.prefixlen == 26 for c in cidrs)
        assert all(c.subnet_of(ipaddress.ip_network("10.231.0.0/23")) for c in cidrs)
        assert not cidrs[0].overlaps(cidrs[1])
        assert all(s.subnet_pool_id == pool.id for s in subnets)
        sized = admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                                subnetpool_id=pool.id, prefixlen=28)
        assert ipaddress.ip_network(sized.cidr).prefixlen == 28
        busy = net_api.delete(f"/subnetpools/{pool.id}")
        assert busy.status_code == 400 and error_type(busy) == "SubnetPoolDeleteError"

        grown = admin_sdk.network.update_subnet_pool(
            pool, prefixes=["10.231.0.0/23", "10.232.0.0/24"], default_prefix_length=27)
        assert grown.prefixes == ["10.231.0.0/23", "10.232.0.0/24"]
        assert grown.default_prefix_length == 27 and grown.revision_number > 0
        shrunk = net_api.put(f"/subnetpools/{pool.id}",
                             json={"subnetpool": {"prefixes": ["10.232.0.0/24"]}})
        assert shrunk.status_code == 400
        assert error_type(shrunk) == "IllegalSubnetPoolPrefixUpdate"
        shared = net_api.put(f"/subnetpools/{pool.id}", json={"subnetpool": {"shared": True}})
        assert shared.status_code == 400
        # Demo cannot see (nor carve from) admin's private pool
        assert demo_sdk.network.find_subnet_pool(pool.id) is None
        for subnet in (*subnets, sized):
            admin_sdk.network.delete_subnet(subnet)
    finally:
        admin_sdk.network.delete_network(net)
    admin_sdk.network.delete_subnet_pool(pool)
    assert admin_sdk.network.find_subnet_pool(pool.id) is None


@pytest.mark.parametrize(("body", "kind"), [
    ({"prefixes": ["10.1.0.0/16", "fd00::/48"]}, "PrefixVersionMismatch"),
    ({"prefixes": []}, "EmptySubnetPoolPrefixList"),
    ({"prefixes": ["10.1.0.0/16"], "min_prefixlen": 24, "default_prefixlen": 20},
     "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["10.1.0.0/16"], "min_prefixlen": 28, "max_prefixlen": 24},
     "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["10.1.0.0/16"], "max_prefixlen": 33}, "IllegalSubnetPoolPrefixBounds"),
    ({"prefixes": ["not-a-cidr"]}, "InvalidInput"),
    ({"prefixes": ["10.1.0.0/16"], "address_scope_id": str(uuid.uuid4())},
     "AddressScopeNotFound"),
    ({}, "HTTPBadRequest"),
])
def test_bad_subnet_pools_are_refused(net_api: httpx.Client, body: dict[str, Any],
                                      kind: str) -> None:
    response = net_api.post("/subnetpools", json={"subnetpool": {"name": "bad", **body}})
    assert response.status_code in (400, 404), response.text
    assert error_type(response) == kind


def test_shared_and_default_pools(admin_sdk: Connection, demo_sdk: Connection,
                                  demo_api: httpx.Client, net_api: httpx.Client) -> None:
    refused = demo_api.post("/subnetpools", json={"subnetpool": {
        "name": "mine", "prefixes": ["10.90.0.0/16"], "shared": True}})
    assert refused.status_code == 403
    shared = admin_sdk.network.create_subnet_pool(name=unique("shared"), is_shared=True,
                                                  prefixes=["10.233.0.0/16"])
    v6 = admin_sdk.network.create_subnet_pool(name=unique("v6"), prefixes=["fd00:1::/48"])
    try:
        assert (v6.ip_version, v6.minimum_prefix_length, v6.default_prefix_length,
                v6.maximum_prefix_length) == (6, 64, 64, 128)
        assert demo_sdk.network.get_subnet_pool(shared.id).is_shared is True
        assert shared.id in {p.id for p in demo_sdk.network.subnet_pools()}
        mine = demo_sdk.network.create_network(name=unique("from-shared"))
        subnet = demo_sdk.network.create_subnet(network_id=mine.id, ip_version=4,
                                                subnetpool_id=shared.id, prefixlen=24)
        assert ipaddress.ip_network(subnet.cidr).subnet_of(
            ipaddress.ip_network("10.233.0.0/16"))
        demo_sdk.network.delete_network(mine)
        default_v4 = list(admin_sdk.network.subnet_pools(is_default=True, ip_version=4))
        if default_v4:  # one default per IP version
            second = net_api.put(f"/subnetpools/{shared.id}",
                                 json={"subnetpool": {"is_default": True}})
            assert second.status_code == 400 and error_type(second) == "InvalidInput"
    finally:
        admin_sdk.network.delete_subnet_pool(shared)
        admin_sdk.network.delete_subnet_pool(v6)


# ---------------------------------------------------------------- availability

def test_availability_zones(demo_sdk: Connection, demo_api: httpx.Client) -> None:
    zones = {(z.name, z.resource, z.state) for z in demo_sdk.network.availability_zones()}
    assert ("nova", "network", "available") in zones
    assert ("nova", "router", "available") in zones
    named = list(demo_sdk.network.availability_zones(name="nova"))
    assert {z.name for z in named} == {"nova"}
    routers = demo_api.get("/availability_zones", params={"resource": "router"}).json()
    assert routers["availability_zones"] and {
        z["resource"] for z in routers["availability_zones"]} == {"router"}


def test_ip_availability_counts_ports(admin_sdk: Connection, net_api: httpx.Client,
                                      demo_api: httpx.Client) -> None:
    net = admin_sdk.network.create_network(name=unique("ipavail"))
    v4 = admin_sdk.network.create_subnet(network_id=net.id, ip_version=4,
                                         cidr="10.79.0.0/28", enable_dhcp=False)
    v6 = admin_sdk.network.create_subnet(network_id=net.id, ip_version=6,
                                         cidr="fd00:79::/120", enable_dhcp=False)
    ports = [admin_sdk.network.create_port(network_id=net.id) for _ in range(3)]
    try:
        found = admin_sdk.network.get_network_ip_availability(net.id)
        by_subnet = {s["subnet_id"]: s for s in found.subnet_ip_availability}
        assert by_subnet[v4.id]["total_ips"] == 13  # .2–.14: the gateway takes .1
        assert by_subnet[v4.id]["used_ips"] == 3
        assert by_subnet[v4.id]["cidr"] == "10.79.0.0/28"
        assert by_subnet[v6.id]["used_ips"] == 3
        assert found.used_ips == 6 and found.total_ips == 13 + by_subnet[v6.id]["total_ips"]
        assert found.network_name == net.name and found.project_id == net.project_id
        listed = net_api.get("/network-ip-availabilities",
                             params={"network_id": net.id, "ip_version": 4}).json()
        (only,) = listed["network_ip_availabilities"]
        assert [s["ip_version"] for s in only["subnet_ip_availability"]] == [4]
        assert only["used_ips"] == 3
        by_name = list(admin_sdk.network.network_ip_availabilities(network_name=net.name))
        assert [a.network_id for a in by_name] == [net.id]
        assert demo_api.get("/network-ip-availabilities").status_code == 403
        missing = net_api.get(f"/network-ip-availabilities/{uuid.uuid4()}")
        assert missing.status_code == 404 and error_type(missing) == "NetworkNotFound"
    finally:
        for port in ports:
            admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_network(net)


# ---------------------------------------------------------------- auto-allocated topology

@pytest.mark.skipif(not routers_api.router.routes,
                    reason="the router API is not built yet (run by the coordinator)")
def test_auto_allocated_topology(cloud: RunningCloud, admin_sdk: Connection,
                                 member: Member) -> None:
    externals = list(admin_sdk.network.networks(is_router_external=True, is_default=True))
    assert externals, "bootstrap makes `public` the default external network"
    pools = list(admin_sdk.network.subnet_pools(is_default=True))
    assert pools, "bootstrap makes the default subnet pool"
    sdk = member.sdk
    check = httpx.get(
        f"{cloud.url}/networking/v2.0/auto-allocated-topology/{member.project_id}",
        params={"fields": "dry-run"}, headers={"X-Auth-Token": member.token})
    assert check.status_code == 200 and check.json()["auto_allocated_topology"]["id"] == (
        "dry-run=pass")

    url = f"{cloud.url}/networking/v2.0/auto-allocated-topology/{member.project_id}"
    with ThreadPoolExecutor(4) as pool:  # racing first askings build one topology
        answers = list(pool.map(lambda _: httpx.get(
            url, headers={"X-Auth-Token": member.token}, timeout=60), range(4)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert len({a.json()["auto_allocated_topology"]["id"] for a in answers}) == 1
    topology = sdk.network.get_auto_allocated_topology(member.project_id)
    again = sdk.network.get_auto_allocated_topology()
    assert again.id == topology.id == answers[0].json()["auto_allocated_topology"]["id"]
    assert topology.project_id == member.project_id
    assert [n.id for n in sdk.network.networks(name="auto_allocated_network")] == [
        topology.id]
    net = sdk.network.get_network(topology.id)
    assert net.name == "auto_allocated_network" and net.is_admin_state_up
    (subnet,) = list(sdk.network.subnets(network_id=net.id))
    assert subnet.subnet_pool_id in {p.id for p in pools}
    routers = [r for r in sdk.network.routers() if r.name == "auto_allocated_router"]
    assert len(routers) == 1
    assert routers[0].external_gateway_info["network_id"] == externals[0].id
    other = httpx.get(f"{cloud.url}/networking/v2.0/auto-allocated-topology/"
                      f"{admin_sdk.current_project_id}", headers={"X-Auth-Token": member.token})
    assert other.status_code == 403

    sdk.network.delete_auto_allocated_topology(member.project_id)
    assert sdk.network.find_network(net.id) is None
    assert not [r for r in sdk.network.routers() if r.name == "auto_allocated_router"]


def test_auto_allocated_topology_refuses_other_fields(cloud: RunningCloud,
                                                     member: Member) -> None:
    response = httpx.get(
        f"{cloud.url}/networking/v2.0/auto-allocated-topology/{member.project_id}",
        params={"fields": "id"}, headers={"X-Auth-Token": member.token})
    assert response.status_code == 400 and error_type(response) == "BadRequest"


def test_an_unknown_pool_is_not_found(admin_sdk: Connection) -> None:
    with pytest.raises(exceptions.NotFoundException):
        admin_sdk.network.get_subnet_pool(str(uuid.uuid4()))
