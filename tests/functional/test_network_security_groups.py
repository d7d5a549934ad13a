"""Security groups and rules over HTTP, as openstacksdk and raw neutron clients use them:
the per-project default group (made once even under racing first uses), rule validation
and normalisation, duplicates, groups in use, tenant isolation and quotas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import openstack
import pytest
from openstack import exceptions

from gureum.network.models import Quota
from tests.harness import RunningCloud, error_type, unique


@dataclass
class Project:
    id: str
    user: str
    password: str
    api: httpx.Client


def fresh_project(cloud: RunningCloud, admin_sdk: openstack.connection.Connection) -> Project:
    """A project nobody has used yet, and a member of it."""
    project = admin_sdk.identity.create_project(name=unique("sgp"), domain_id="default")
    name, password = unique("sgu"), "secret-" + uuid.uuid4().hex[:8]
    user = admin_sdk.identity.create_user(name=name, password=password, domain_id="default",
                                          default_project_id=project.id)
    admin_sdk.identity.assign_project_role_to_user(project, user,
                                                   admin_sdk.identity.find_role("member"))
    token = cloud.token(name, project.name, password=password)
    api = httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=120,
                       headers={"X-Auth-Token": token})
    return Project(project.id, name, password, api)


@pytest.fixture()
def project(cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
            ) -> Iterator[Project]:
    made = fresh_project(cloud, admin_sdk)
    yield made
    made.api.close()


def default_groups(api: httpx.Client, project_id: str) -> list[dict[str, Any]]:
    response = api.get("/security-groups", params={"project_id": project_id,
                                                   "name": "default"})
    assert response.status_code == 200
    return list(response.json()["security_groups"])


def rule_shape(rule: dict[str, Any]) -> tuple[Any, ...]:
    return (rule["direction"], rule["ethertype"], rule["protocol"], rule["remote_group_id"],
            rule["remote_ip_prefix"])


# ---------------------------------------------------------------- the default group

def test_a_project_gets_a_default_group_with_neutrons_four_rules(
        demo_sdk: openstack.connection.Connection) -> None:
    groups = [g for g in demo_sdk.network.security_groups() if g.name == "default"]
    assert len(groups) == 1
    default = groups[0]
    assert default.description == "Default security group"
    assert default.project_id == demo_sdk.current_project_id
    assert default.stateful is True and default.is_shared is False
    assert sorted(rule_shape(r) for r in default.security_group_rules) == sorted([
        ("egress", "IPv4", None, None, None), ("egress", "IPv6", None, None, None),
        ("ingress", "IPv4", None, default.id, None),
        ("ingress", "IPv6", None, default.id, None)])
    listed = list(demo_sdk.network.security_group_rules(security_group_id=default.id))
    assert len(listed) == 4


def test_a_port_created_without_groups_gets_the_default_group(project: Project) -> None:
    net = project.api.post("/networks", json={"network": {"name": unique("n")}})
    assert net.status_code == 201, net.text
    net_id = net.json()["network"]["id"]
    try:
        assert project.api.post("/subnets", json={"subnet": {
            "network_id": net_id, "ip_version": 4, "cidr": "10.90.0.0/24"}}
        ).status_code == 201
        port = project.api.post("/ports", json={"port": {"network_id": net_id}})
        assert port.status_code == 201, port.text
        [default] = default_groups(project.api, project.id)
        assert port.json()["port"]["security_groups"] == [default["id"]]
        # In use: even an admin cannot delete it now.
        in_use = project.api.delete(f"/security-groups/{default['id']}")
        assert in_use.status_code == 409
        assert error_type(in_use) in ("SecurityGroupInUse", "SecurityGroupCannotRemoveDefault")
        assert project.api.delete(f"/ports/{port.json()['port']['id']}").status_code == 204
    finally:
        project.api.delete(f"/networks/{net_id}")


def test_concurrent_first_uses_make_exactly_one_default_group(
        cloud: RunningCloud, admin_sdk: openstack.connection.Connection,
        net_api: httpx.Client) -> None:
    """Ten listings at once for a new project, then port creates racing listings for
    another: one default group each, and every port in it."""
    first = fresh_project(cloud, admin_sdk)
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: first.api.get("/security-groups"), range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    ids = {g["id"] for r in responses for g in r.json()["security_groups"]
           if g["name"] == "default"}
    assert len(ids) == 1
    assert [g["id"] for g in default_groups(net_api, first.id)] == list(ids)
    first.api.close()

    second = fresh_project(cloud, admin_sdk)
    net_id = second.api.post("/networks", json={"network": {"name": unique("n")}}
                             ).json()["network"]["id"]
    second.api.post("/subnets", json={"subnet": {"network_id": net_id, "ip_version": 4,
                                                 "cidr": "10.91.0.0/24"}})

    def use(index: int) -> httpx.Response:
        if index % 2:
            return second.api.get("/security-groups")
        return second.api.post("/ports", json={"port": {"network_id": net_id}})

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            responses = list(pool.map(use, range(10)))
        assert sorted(r.status_code for r in responses) == [200] * 5 + [201] * 5
        [default] = default_groups(net_api, second.id)
        assert {tuple(r.json()["port"]["security_groups"]) for r in responses
                if r.status_code == 201} == {(default["id"],)}
        assert len(default["security_group_rules"]) == 4
    finally:
        for port in second.api.get("/ports", params={"network_id": net_id}
                                   ).json()["ports"]:
            second.api.delete(f"/ports/{port['id']}")
        second.api.delete(f"/networks/{net_id}")
        second.api.close()


def test_racing_transactions_keep_one_default_group(cloud: RunningCloud,
                                                   net_api: httpx.Client) -> None:
    """Below the API's own serialisation: ten transactions making the same project's
    default group at once (as port creates and listings do) agree on one group."""
    project_id = uuid.uuid4().hex
    network = cloud.cloud.network
    assert network is not None

    async def one() -> str:
        async with network.db.session() as session:
            return await network.default_security_group(session, project_id)

    async def race() -> list[str]:
        return list(await asyncio.gather(*[one() for _ in range(10)]))

    answers = cloud.run(race())
    assert len(set(answers)) == 1
    groups = net_api.get("/security-groups", params={"project_id": project_id}).json()[
        "security_groups"]
    assert [g["id"] for g in groups] == answers[:1]
    assert len(groups[0]["security_group_rules"]) == 4
    assert net_api.delete(f"/security-groups/{answers[0]}").status_code == 204


def test_the_default_group_is_guarded(demo_sdk: openstack.connection.Connection,
                                      demo_api: httpx.Client) -> None:
    [default] = [g for g in demo_sdk.network.security_groups() if g.name == "default"]
    removed = demo_api.delete(f"/security-groups/{default.id}")
    assert removed.status_code == 409
    assert error_type(removed) == "SecurityGroupCannotRemoveDefault"
    renamed = demo_api.put(f"/security-groups/{default.id}",
                           json={"security_group": {"name": "other"}})
    assert renamed.status_code == 409 and error_type(renamed) == "SecurityGroupCannotUpdateDefault"
    described = demo_api.put(f"/security-groups/{default.id}",
                             json={"security_group": {"description": "mine"}})
    assert described.status_code == 200
    assert described.json()["security_group"]["description"] == "mine"
    for name in ("default", "Default"):
        second = demo_api.post("/security-groups", json={"security_group": {"name": name}})
        assert second.status_code == 409
        assert error_type(second) == "SecurityGroupDefaultAlreadyExists"
    demo_api.put(f"/security-groups/{default.id}",
                 json={"security_group": {"description": "Default security group"}})


# ---------------------------------------------------------------- groups and rules

def test_group_and_rule_lifecycle(admin_sdk: openstack.connection.Connection) -> None:
    group = admin_sdk.network.create_security_group(name=unique("web"), description="web")
    try:
        assert group.stateful is True and group.revision_number == 0
        assert sorted(rule_shape(r) for r in group.security_group_rules) == [
            ("egress", "IPv4", None, None, None), ("egress", "IPv6", None, None, None)]
        rule = admin_sdk.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="tcp",
            port_range_min=22, port_range_max=22, remote_ip_prefix="192.0.2.0/24",
            description="ssh")
        assert (rule.protocol, rule.port_range_min, rule.port_range_max, rule.ether_type,
                rule.remote_ip_prefix, rule.description) == (
            "tcp", 22, 22, "IPv4", "192.0.2.0/24", "ssh")
        assert rule.project_id == admin_sdk.current_project_id
        shown = admin_sdk.network.get_security_group(group.id)
        assert rule.id in [r["id"] for r in shown.security_group_rules]
        assert shown.revision_number == 1
        listed = list(admin_sdk.network.security_group_rules(security_group_id=group.id))
        assert len(listed) == 3
        assert [r.id for r in admin_sdk.network.security_group_rules(
            security_group_id=group.id, direction="ingress")] == [rule.id]
        assert admin_sdk.network.get_security_group_rule(rule.id).port_range_min == 22
        admin_sdk.network.delete_security_group_rule(rule)
        with pytest.raises(exceptions.NotFoundException):
            admin_sdk.network.get_security_group_rule(rule.id)
        updated = admin_sdk.network.update_security_group(group, name=unique("web2"),
                                                          description="changed",
                                                          stateful=False)
        assert (updated.description, updated.stateful) == ("changed", False)
        assert updated.revision_number == 3
    finally:
        admin_sdk.network.delete_security_group(group)
    with pytest.raises(exceptions.NotFoundException):
        admin_sdk.network.get_security_group(group.id)
    assert not list(admin_sdk.network.security_group_rules(security_group_id=group.id))


def test_stateless_groups_and_fields_and_sorting(net_api: httpx.Client) -> None:
    names = sorted(unique("s") for _ in range(3))
    made = [net_api.post("/security-groups", json={"security_group": {
        "name": n, "stateful": False}}).json()["security_group"] for n in names]
    try:
        assert all(g["stateful"] is False for g in made)
        assert all(g["tags"] == [] and g["tenant_id"] == g["project_id"] for g in made)
        page = net_api.get("/security-groups", params=[
            ("id", g["id"]) for g in made] + [("sort_key", "name"), ("sort_dir", "desc"),
                                              ("fields", "id"), ("fields", "name"),
                                              ("limit", "2")]).json()
        assert [g["name"] for g in page["security_groups"]] == names[::-1][:2]
        assert set(page["security_groups"][0]) == {"id", "name"}
        assert page["security_groups_links"][0]["rel"] == "next"
    finally:
        for group in made:
            net_api.delete(f"/security-groups/{group['id']}")


def new_group(api: httpx.Client) -> dict[str, Any]:
    response = api.post("/security-groups", json={"security_group": {"name": unique("g")}})
    assert response.status_code == 201, response.text
    return dict(response.json()["security_group"])


def add_rule(api: httpx.Client, group_id: str, **rule: Any) -> httpx.Response:
    return api.post("/security-group-rules", json={"security_group_rule": {
        "security_group_id": group_id, "direction": "ingress", **rule}})


@pytest.mark.parametrize(("asked", "stored"), [
    ({"protocol": "6", "port_range_min": 80, "port_range_max": 81}, ("6", 80, 81)),
    ({"protocol": "UDP", "port_range_min": "53", "port_range_max": "53"}, ("udp", 53, 53)),
    ({"protocol": 132, "port_range_min": 1, "port_range_max": 65535}, ("132", None, None)),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}, ("icmp", 8, 0)),
    ({"protocol": "icmp", "ethertype": "IPv6"}, ("ipv6-icmp", None, None)),
    ({"protocol": "icmpv6", "ethertype": "ipv6"}, ("ipv6-icmp", None, None)),
    ({"protocol": "1", "ethertype": "IPv6"}, ("58", None, None)),
    ({"protocol": "any"}, (None, None, None)),
    ({"protocol": None}, (None, None, None)),
    ({"protocol": "gre"}, ("gre", None, None)),
])
def test_protocols_by_number_and_name(net_api: httpx.Client, asked: dict[str, Any],
                                      stored: tuple[Any, ...]) -> None:
    group = new_group(net_api)
    try:
        response = add_rule(net_api, group["id"], **asked)
        assert response.status_code == 201, response.text
        rule = response.json()["security_group_rule"]
        assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == stored
    finally:
        net_api.delete(f"/security-groups/{group['id']}")


@pytest.mark.parametrize(("asked", "kind"), [
    ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
     "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 80}, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 80},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "udp", "port_range_min": 1, "port_range_max": 70000},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": "x", "port_range_max": 80},
     "SecurityGroupInvalidPortValue"),
    ({"port_range_min": 22, "port_range_max": 22}, "SecurityGroupProtocolRequiredWithPorts"),
    ({"protocol": "gre", "port_range_min": 22, "port_range_max": 22},
     "SecurityGroupInvalidProtocolForPort"),
    ({"protocol": "icmp", "port_range_min": 300}, "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "icmp", "port_range_max": 0}, "SecurityGroupMissingIcmpType"),
    ({"protocol": "256"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "bogus"}, "SecurityGroupRuleInvalidProtocol"),
    ({"ethertype": "IPv5"}, "SecurityGroupRuleInvalidEtherType"),
    ({"protocol": "ipv6-icmp"}, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"remote_ip_prefix": "2001:db8::/64"}, "SecurityGroupRuleParameterConflict"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
     "SecurityGroupRuleParameterConflict"),
    ({"remote_ip_prefix": "10.0.0.300/8"}, "InvalidCIDR"),
    ({"direction": "sideways"}, "HTTPBadRequest"),
])
def test_bad_rules_are_refused(net_api: httpx.Client, asked: dict[str, Any],
                               kind: str) -> None:
    group = new_group(net_api)
    try:
        response = add_rule(net_api, group["id"], **asked)
        assert response.status_code == 400, response.text
        assert error_type(response) == kind
    finally:
        net_api.delete(f"/security-groups/{group['id']}")


def test_remotes(net_api: httpx.Client) -> None:
    group, other = new_group(net_api), new_group(net_api)
    try:
        both = add_rule(net_api, group["id"], remote_ip_prefix="10.0.0.0/8",
                        remote_group_id=other["id"])
        assert both.status_code == 400
        assert error_type(both) == "SecurityGroupMultipleRemoteEntites"
        missing = add_rule(net_api, group["id"], remote_group_id=str(uuid.uuid4()))
        assert missing.status_code == 404 and error_type(missing) == "SecurityGroupNotFound"
        host = add_rule(net_api, group["id"], remote_ip_prefix="10.1.2.3")
        assert host.json()["security_group_rule"]["remote_ip_prefix"] == "10.1.2.3/32"
        net = add_rule(net_api, group["id"], remote_ip_prefix="10.1.2.3/16", protocol="tcp")
        assert net.json()["security_group_rule"]["remote_ip_prefix"] == "10.1.0.0/16"
        v6 = add_rule(net_api, group["id"], ethertype="IPv6",
                      remote_ip_prefix="2001:DB8::1/64")
        assert v6.json()["security_group_rule"]["remote_ip_prefix"] == "2001:db8::/64"
        remote = add_rule(net_api, group["id"], remote_group_id=other["id"])
        assert remote.status_code == 201
        # A group named as remote takes those rules with it.
        assert net_api.delete(f"/security-groups/{other['id']}").status_code == 204
        shown = net_api.get(f"/security-groups/{group['id']}").json()["security_group"]
        assert other["id"] not in {r["remote_group_id"] for r in
                                   shown["security_group_rules"]}
    finally:
        net_api.delete(f"/security-groups/{group['id']}")
        net_api.delete(f"/security-groups/{other['id']}")


def test_duplicate_rules_conflict(net_api: httpx.Client) -> None:
    group = new_group(net_api)
    try:
        first = add_rule(net_api, group["id"], protocol="tcp", port_range_min=443,
                         port_range_max=443, remote_ip_prefix="198.51.100.0/24")
        assert first.status_code == 201
        rule_id = first.json()["security_group_rule"]["id"]
        for same in ({"protocol": "6"}, {"protocol": "TCP"},
                     {"protocol": "tcp", "remote_ip_prefix": "198.51.100.7/24"}):
            again = add_rule(net_api, group["id"], **{
                "protocol": "tcp", "port_range_min": 443, "port_range_max": 443,
                "remote_ip_prefix": "198.51.100.0/24", **same})
            assert again.status_code == 409 and error_type(again) == "SecurityGroupRuleExists"
            assert again.json()["NeutronError"]["message"] == (
                f"Security group rule already exists. Rule id is {rule_id}.")
        # Egress to anywhere exists from the start; 0.0.0.0/0 is the same as no prefix.
        anywhere = net_api.post("/security-group-rules", json={"security_group_rule": {
            "security_group_id": group["id"], "direction": "egress",
            "remote_ip_prefix": "0.0.0.0/0"}})
        assert anywhere.status_code == 409
        other_port = add_rule(net_api, group["id"], protocol="tcp", port_range_min=444,
                              port_range_max=444, remote_ip_prefix="198.51.100.0/24")
        assert other_port.status_code == 201
    finally:
        net_api.delete(f"/security-groups/{group['id']}")


def test_bulk_rule_create(net_api: httpx.Client) -> None:
    group, other = new_group(net_api), new_group(net_api)
    try:
        made = net_api.post("/security-group-rules", json={"security_group_rules": [
            {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
             "port_range_min": port, "port_range_max": port} for port in (80, 443)]})
        assert made.status_code == 201, made.text
        assert [r["port_range_min"] for r in made.json()["security_group_rules"]] == [80, 443]
        twice = net_api.post("/security-group-rules", json={"security_group_rules": [
            {"security_group_id": group["id"], "direction": "ingress", "protocol": "udp"}] * 2})
        assert twice.status_code == 409
        assert error_type(twice) == "DuplicateSecurityGroupRuleInPost"
        mixed = net_api.post("/security-group-rules", json={"security_group_rules": [
            {"security_group_id": g["id"], "direction": "ingress", "protocol": "udp"}
            for g in (group, other)]})
        assert mixed.status_code == 400
        assert error_type(mixed) == "SecurityGroupNotSingleGroupRules"
        # All or nothing: the second rule is a duplicate, so the first is not kept.
        partial = net_api.post("/security-group-rules", json={"security_group_rules": [
            {"security_group_id": group["id"], "direction": "ingress", "protocol": "udp"},
            {"security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
             "port_range_min": 80, "port_range_max": 80}]})
        assert partial.status_code == 409
        rules = net_api.get("/security-group-rules", params={
            "security_group_id": group["id"]}).json()["security_group_rules"]
        assert len(rules) == 4
    finally:
        net_api.delete(f"/security-groups/{group['id']}")
        net_api.delete(f"/security-groups/{other['id']}")


def test_a_group_in_use_cannot_be_deleted(admin_sdk: openstack.connection.Connection,
                                          net_api: httpx.Client) -> None:
    group = admin_sdk.network.create_security_group(name=unique("used"))
    net = admin_sdk.network.create_network(name=unique("n"))
    admin_sdk.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.92.0.0/24")
    port = admin_sdk.network.create_port(network_id=net.id, security_group_ids=[group.id])
    try:
        assert port.security_group_ids == [group.id]
        response = net_api.delete(f"/security-groups/{group.id}")
        assert response.status_code == 409 and error_type(response) == "SecurityGroupInUse"
        assert response.json()["NeutronError"]["message"] == (
            f"Security Group {group.id} in use.")
        stateless = net_api.put(f"/security-groups/{group.id}",
                                json={"security_group": {"stateful": False}})
        assert stateless.status_code == 409 and error_type(stateless) == "SecurityGroupInUse"
        admin_sdk.network.delete_port(port)
        admin_sdk.network.delete_security_group(group)
    finally:
        admin_sdk.network.delete_network(net)


# ---------------------------------------------------------------- isolation

def test_projects_do_not_see_each_others_groups(
        admin_sdk: openstack.connection.Connection, demo_sdk: openstack.connection.Connection,
        demo_api: httpx.Client) -> None:
    group = admin_sdk.network.create_security_group(name=unique("private"))
    rule = admin_sdk.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", protocol="tcp",
        port_range_min=8080, port_range_max=8080)
    mine = demo_sdk.network.create_security_group(name=unique("demo"))
    try:
        assert group.id not in {g.id for g in demo_sdk.network.security_groups()}
        assert mine.id in {g.id for g in demo_sdk.network.security_groups()}
        for path in (f"/security-groups/{group.id}", f"/security-group-rules/{rule.id}"):
            hidden = demo_api.get(path)
            assert hidden.status_code == 404, path
        assert error_type(demo_api.get(f"/security-groups/{group.id}")) == \
            "SecurityGroupNotFound"
        assert error_type(demo_api.get(f"/security-group-rules/{rule.id}")) == \
            "SecurityGroupRuleNotFound"
        assert rule.id not in {r.id for r in demo_sdk.network.security_group_rules()}
        assert demo_api.delete(f"/security-groups/{group.id}").status_code == 404
        assert demo_api.delete(f"/security-group-rules/{rule.id}").status_code == 404
        assert add_rule(demo_api, group.id, protocol="udp").status_code == 404
        into_admins = add_rule(demo_api, mine.id, remote_group_id=group.id)
        assert into_admins.status_code == 404
        foreign = demo_api.post("/security-groups", json={"security_group": {
            "name": unique("x"), "project_id": admin_sdk.current_project_id}})
        assert foreign.status_code == 403
        # The admin sees and may change the demo project's group.
        admin_rule = admin_sdk.network.create_security_group_rule(
            security_group_id=mine.id, direction="ingress", protocol="icmp")
        assert admin_rule.id in {r.id for r in demo_sdk.network.security_group_rules(
            security_group_id=mine.id)}
        demo_sdk.network.delete_security_group_rule(admin_rule)
    finally:
        demo_sdk.network.delete_security_group(mine)
        admin_sdk.network.delete_security_group(group)


# ---------------------------------------------------------------- quotas

def test_quotas_count_groups_and_rules(cloud: RunningCloud, project: Project) -> None:
    async def limit(resource: str, value: int) -> None:
        network = cloud.cloud.network
        assert network is not None
        async with network.db.session() as session:
            await session.merge(Quota(project_id=project.id, resource=resource, limit=value))

    # The default group (and its four rules) counts: room for one group more.
    cloud.run(limit("security_group", 2))
    cloud.run(limit("security_group_rule", 7))
    first = project.api.post("/security-groups", json={"security_group": {
        "name": unique("q")}})
    assert first.status_code == 201, first.text
    group_id = first.json()["security_group"]["id"]
    second = project.api.post("/security-groups", json={"security_group": {
        "name": unique("q")}})
    assert second.status_code == 409 and error_type(second) == "OverQuota"
    # 4 + 2 rules used: one more fits, then no more.
    assert add_rule(project.api, group_id, protocol="tcp").status_code == 201
    over = add_rule(project.api, group_id, protocol="udp")
    assert over.status_code == 409 and error_type(over) == "OverQuota"
    assert project.api.delete(f"/security-groups/{group_id}").status_code == 204
    assert project.api.post("/security-groups", json={"security_group": {
        "name": unique("q")}}).status_code == 201
