"""Compute as operators see it: services (disable one and nothing lands there),
hypervisors with usage, zones, aggregates, and server groups the scheduler honours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    new_project_member,
    wait_deleted,
    wait_status,
)
from tests.harness import RunningCloud, unique


def compute_hosts(nova: httpx.Client) -> list[str]:
    services = nova.get("/os-services", params={"binary": "nova-compute"}).json()["services"]
    return sorted(s["host"] for s in services)


def test_services_and_hypervisors_show_every_fake_host(nova: httpx.Client,
                                                       demo_nova: httpx.Client,
                                                       image: str) -> None:
    services = nova.get("/os-services").json()["services"]
    binaries = {s["binary"] for s in services}
    assert {"nova-compute", "nova-scheduler", "nova-conductor"} <= binaries
    hosts = compute_hosts(nova)
    assert hosts == ["gureum-compute-1", "gureum-compute-2", "gureum-compute-3"]
    assert all(s["state"] == "up" and s["status"] == "enabled" for s in services)
    assert isinstance(services[0]["id"], int) and "forced_down" in services[0]
    assert demo_nova.get("/os-services").status_code == 403
    server = create_server(nova, image, flavor="2")  # m1.small: 2048 MB
    host = wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
    detail = {h["hypervisor_hostname"]: h for h in
              nova.get("/os-hypervisors/detail").json()["hypervisors"]}
    assert sorted(detail) == hosts
    assert detail[host]["hypervisor_type"] == "fake" and detail[host]["vcpus"] == 8
    assert detail[host]["memory_mb_used"] >= 2048 and detail[host]["running_vms"] >= 1
    assert isinstance(detail[host]["cpu_info"], dict)  # 2.28
    old = nova.get("/os-hypervisors/detail", headers={
        "OpenStack-API-Version": "compute 2.1"}).json()["hypervisors"][0]
    assert isinstance(old["cpu_info"], str)
    stats = nova.get("/os-hypervisors/statistics").json()["hypervisor_statistics"]
    assert stats["count"] == 3 and stats["vcpus"] == 24
    on_host = nova.get(f"/os-hypervisors/{host}/servers").json()["hypervisors"][0]
    assert server["id"] in {s["uuid"] for s in on_host["servers"]}
    assert nova.get(f"/os-hypervisors/{detail[host]['id']}").json()["hypervisor"][
        "hypervisor_hostname"] == host
    assert nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(nova, server["id"])
    after = nova.get(f"/os-hypervisors/{detail[host]['id']}").json()["hypervisor"]
    assert after["memory_mb_used"] == detail[host]["memory_mb_used"] - 2048


def test_a_disabled_compute_service_gets_no_new_servers(nova: httpx.Client,
                                                        image: str) -> None:
    hosts = compute_hosts(nova)
    off, on = hosts[0], hosts[1:]
    disabled = nova.put("/os-services/disable-log-reason", json={
        "host": off, "binary": "nova-compute", "disabled_reason": "maintenance"})
    assert disabled.json()["service"] == {"host": off, "binary": "nova-compute",
                                          "status": "disabled",
                                          "disabled_reason": "maintenance"}
    try:
        made = nova.post("/servers", json={"server": {
            "name": unique("avoid"), "imageRef": image, "flavorRef": "42",
            "networks": "none", "min_count": 4, "max_count": 4,
            "return_reservation_id": True}}).json()
        servers = nova.get("/servers/detail", params={
            "reservation_id": made["reservation_id"]}).json()["servers"]
        placed = {wait_status(nova, s["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
                  for s in servers}
        assert placed <= set(on) and off not in placed
        zones = nova.get("/os-availability-zone/detail").json()["availabilityZoneInfo"]
        nova_zone = next(z for z in zones if z["zoneName"] == "nova")
        assert nova_zone["hosts"][off]["nova-compute"]["active"] is False
    finally:
        enabled = nova.put("/os-services/enable", json={"host": off,
                                                        "binary": "nova-compute"})
        assert enabled.json()["service"]["status"] == "enabled"
    for server in servers:
        nova.delete(f"/servers/{server['id']}")


def test_anti_affinity_puts_three_members_on_three_hosts(nova: httpx.Client,
                                                         demo_nova: httpx.Client,
                                                         image: str) -> None:
    group = demo_nova.post("/os-server-groups", json={"server_group": {
        "name": unique("spread"), "policies": ["anti-affinity"]}})
    assert group.status_code == 200, group.text
    group_id = group.json()["server_group"]["id"]
    members = []
    for index in range(3):
        made = demo_nova.post("/servers", json={
            "server": {"name": f"member-{index}", "imageRef": image, "flavorRef": "42",
                       "networks": "none"},
            "os:scheduler_hints": {"group": group_id}})
        assert made.status_code == 202, made.text
        members.append(made.json()["server"]["id"])
    hosts = {wait_status(nova, m, {"ACTIVE"})["OS-EXT-SRV-ATTR:host"] for m in members}
    assert len(hosts) == 3
    shown = demo_nova.get(f"/os-server-groups/{group_id}").json()["server_group"]
    assert sorted(shown["members"]) == sorted(members)
    assert shown["policies"] == ["anti-affinity"]
    # a fourth member has nowhere to go
    fourth = demo_nova.post("/servers", json={
        "server": {"name": "member-3", "imageRef": image, "flavorRef": "42",
                   "networks": "none"}, "os:scheduler_hints": {"group": group_id}})
    failed = wait_status(demo_nova, fourth.json()["server"]["id"], {"ERROR"})
    assert failed["fault"]["message"].startswith("No valid host was found")
    # affinity: all on one host
    together = demo_nova.post("/os-server-groups", json={"server_group": {
        "name": unique("together"), "policies": ["affinity"]}}).json()["server_group"]
    pair = [demo_nova.post("/servers", json={
        "server": {"name": f"pal-{i}", "imageRef": image, "flavorRef": "42",
                   "networks": "none"}, "os:scheduler_hints": {"group": together["id"]}}
        ).json()["server"]["id"] for i in range(2)]
    assert len({wait_status(nova, s, {"ACTIVE"})["OS-EXT-SRV-ATTR:host"] for s in pair}) == 1
    assert demo_nova.post("/os-server-groups", json={"server_group": {
        "name": "x", "policies": ["soft-affinity"]}}, headers={
        "OpenStack-API-Version": "compute 2.14"}).status_code == 400
    for server in [*members, fourth.json()["server"]["id"], *pair]:
        demo_nova.delete(f"/servers/{server}")
    for server in members:
        wait_deleted(demo_nova, server)
    assert demo_nova.get(f"/os-server-groups/{group_id}").json()["server_group"][
        "members"] == []
    assert demo_nova.delete(f"/os-server-groups/{group_id}").status_code == 204
    assert nova.get(f"/os-server-groups/{group_id}").status_code == 404


def test_aggregates_make_zones_and_match_flavor_extra_specs(nova: httpx.Client,
                                                            demo_nova: httpx.Client,
                                                            image: str) -> None:
    host = compute_hosts(nova)[2]
    made = nova.post("/os-aggregates", json={"aggregate": {
        "name": unique("gold"), "availability_zone": unique("az")}}).json()["aggregate"]
    zone = made["availability_zone"]
    added = nova.post(f"/os-aggregates/{made['id']}/action",
                      json={"add_host": {"host": host}}).json()["aggregate"]
    assert added["hosts"] == [host]
    meta = nova.post(f"/os-aggregates/{made['id']}/action", json={
        "set_metadata": {"metadata": {"tier": "gold"}}}).json()["aggregate"]
    assert meta["metadata"] == {"availability_zone": zone, "tier": "gold"}
    zones = {z["zoneName"] for z in demo_nova.get("/os-availability-zone").json()[
        "availabilityZoneInfo"]}
    assert zone in zones and "internal" not in zones
    in_zone = create_server(demo_nova, image, availability_zone=zone)
    assert wait_status(nova, in_zone["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"] == host
    flavor = nova.post("/flavors", json={"flavor": {"name": unique("gold"), "ram": 64,
                                                    "vcpus": 1, "disk": 1}}).json()["flavor"]
    nova.post(f"/flavors/{flavor['id']}/os-extra_specs", json={"extra_specs": {
        "aggregate_instance_extra_specs:tier": "gold"}})
    gold = create_server(nova, image, flavor=flavor["id"])
    assert wait_status(nova, gold["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"] == host
    for server in (in_zone, gold):
        nova.delete(f"/servers/{server['id']}")
        wait_deleted(nova, server["id"])
    assert nova.delete(f"/os-aggregates/{made['id']}").status_code == 400  # has a host
    nova.post(f"/os-aggregates/{made['id']}/action", json={"remove_host": {"host": host}})
    assert nova.delete(f"/os-aggregates/{made['id']}").status_code == 200
    assert demo_nova.get("/os-aggregates").status_code == 403


def test_quota_sets_limit_a_project_and_show_its_usage(cloud: RunningCloud,
                                                       nova: httpx.Client,
                                                       image: str) -> None:
    project_id, token = new_project_member(cloud, "quota-set")
    with compute_client(cloud, "", token=token) as member:
        defaults = member.get(f"/os-quota-sets/{project_id}/defaults").json()["quota_set"]
        assert defaults["instances"] == 10 and "floating_ips" not in defaults  # 2.36
        assert member.put(f"/os-quota-sets/{project_id}", json={
            "quota_set": {"instances": 50}}).status_code == 403
        updated = nova.put(f"/os-quota-sets/{project_id}", json={
            "quota_set": {"instances": 1, "cores": 4}})
        assert updated.status_code == 200, updated.text
        assert updated.json()["quota_set"]["instances"] == 1
        first = create_server(member, image)
        second = member.post("/servers", json={"server": {
            "name": "two", "imageRef": image, "flavorRef": "42", "networks": "none"}})
        assert second.status_code == 403 and "instances" in second.json()["forbidden"][
            "message"]
        detail = member.get(f"/os-quota-sets/{project_id}/detail").json()["quota_set"]
        assert detail["instances"] == {"limit": 1, "in_use": 1, "reserved": 0}
        assert detail["cores"] == {"limit": 4, "in_use": 1, "reserved": 0}
        below = nova.put(f"/os-quota-sets/{project_id}", json={"quota_set": {"instances": 0}})
        assert below.status_code == 400
        forced = nova.put(f"/os-quota-sets/{project_id}", json={"quota_set": {
            "instances": 0, "force": True}})
        assert forced.json()["quota_set"]["instances"] == 0
        assert nova.delete(f"/os-quota-sets/{project_id}").status_code == 202
        assert member.get(f"/os-quota-sets/{project_id}").json()["quota_set"][
            "instances"] == 10
        assert member.delete(f"/servers/{first['id']}").status_code == 204
    classes = nova.get("/os-quota-class-sets/default").json()["quota_class_set"]
    assert classes["instances"] == 10


def test_simple_tenant_usage_counts_each_server_while_it_ran(cloud: RunningCloud,
                                                             nova: httpx.Client,
                                                             image: str) -> None:
    project_id, token = new_project_member(cloud, "usage")
    now = datetime.now(UTC).replace(tzinfo=None)
    period = {"start": (now - timedelta(hours=1)).isoformat(),
              "end": (now + timedelta(hours=1)).isoformat()}
    with compute_client(cloud, "", token=token) as member:
        assert member.get(f"/os-simple-tenant-usage/{project_id}", params=period).json() == {
            "tenant_usage": {}}
        kept = create_server(member, image, flavor="84", name="kept")
        gone = create_server(member, image, flavor="42", name="gone")
        for server in (kept, gone):
            wait_status(member, server["id"], {"ACTIVE"})
        assert member.delete(f"/servers/{gone['id']}").status_code == 204
        wait_deleted(member, gone["id"])
        usage = member.get(f"/os-simple-tenant-usage/{project_id}", params=period).json()[
            "tenant_usage"]
        servers = {s["name"]: s for s in usage["server_usages"]}
        assert servers["kept"]["state"] == "active" and servers["kept"]["ended_at"] is None
        assert (servers["kept"]["vcpus"], servers["kept"]["memory_mb"],
                servers["kept"]["flavor"]) == (1, 192, "m1.micro")
        assert servers["gone"]["state"] == "terminated" and servers["gone"]["ended_at"]
        assert 0 < servers["gone"]["hours"] < 0.1
        assert usage["total_memory_mb_usage"] == pytest.approx(
            192 * servers["kept"]["hours"] + 128 * servers["gone"]["hours"])
        # members see their own project only, and no list of all
        assert member.get("/os-simple-tenant-usage", params=period).status_code == 403
        assert member.get("/os-simple-tenant-usage/someone-else", params=period
                          ).status_code == 403
        assert member.get(f"/os-simple-tenant-usage/{project_id}", params={
            "start": period["end"], "end": period["start"]}).status_code == 400
        member.delete(f"/servers/{kept['id']}")
    listed = nova.get("/os-simple-tenant-usage", params=period).json()["tenant_usages"]
    mine = next(u for u in listed if u["tenant_id"] == project_id)
    assert "server_usages" not in mine and mine["total_hours"] > 0
    detailed = nova.get("/os-simple-tenant-usage", params={**period, "detailed": 1}).json()
    assert any("server_usages" in u for u in detailed["tenant_usages"])


def test_a_project_s_quota_set_limits_key_pairs_and_metadata_items(
        cloud: RunningCloud, nova: httpx.Client, image: str) -> None:
    project_id, token = new_project_member(cloud, "quota-items")
    assert nova.put(f"/os-quota-sets/{project_id}", json={"quota_set": {
        "key_pairs": 1, "metadata_items": 1}}).status_code == 200
    with compute_client(cloud, "", token=token) as member:
        assert member.post("/os-keypairs", json={"keypair": {
            "name": "one"}}).status_code == 201
        second = member.post("/os-keypairs", json={"keypair": {"name": "two"}})
        assert second.status_code == 403, second.text
        assert "too many key pairs" in second.json()["forbidden"]["message"]
        crowded = member.post("/servers", json={"server": {
            "name": "meta", "imageRef": image, "flavorRef": "42", "networks": "none",
            "metadata": {"a": "1", "b": "2"}}})
        assert crowded.status_code == 403, crowded.text
        server = create_server(member, image, metadata={"a": "1"})
        more = member.post(f"/servers/{server['id']}/metadata", json={"metadata": {"b": "2"}})
        assert more.status_code == 403, more.text
        assert member.delete(f"/servers/{server['id']}").status_code == 204
