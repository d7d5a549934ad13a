"""Compute admin APIs at their edges: who may call what (admin, a member, another
project's member) and the 4xx answers nova gives for what it refuses."""

from __future__ import annotations

import httpx

from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    new_project_member,
    wait_deleted,
    wait_status,
)
from tests.harness import RunningCloud, unique


def test_members_read_zones_limits_and_their_quotas_but_nothing_operators_see(
        cloud: RunningCloud, nova: httpx.Client) -> None:
    project_id, token = new_project_member(cloud, "persona")
    other_id, _ = new_project_member(cloud, "persona-other")
    with compute_client(cloud, "", token=token) as member:
        zones = member.get("/os-availability-zone")
        assert zones.status_code == 200
        assert zones.json()["availabilityZoneInfo"][0]["hosts"] is None
        absolute = member.get("/limits").json()["limits"]["absolute"]
        assert {"maxTotalInstances", "maxTotalCores", "maxTotalRAMSize", "maxServerMeta",
                "maxTotalKeypairs", "maxServerGroups", "maxServerGroupMembers",
                "totalInstancesUsed", "totalCoresUsed", "totalRAMUsed"} <= set(absolute)
        assert "maxSecurityGroups" not in absolute  # gone at 2.36
        assert member.get(f"/os-quota-sets/{project_id}").status_code == 200
        assert member.get(f"/os-quota-sets/{other_id}").status_code == 403
        assert member.get("/limits", params={"tenant_id": other_id}).status_code == 403
        for path in ("/os-availability-zone/detail", "/os-services", "/os-hypervisors",
                     "/os-hypervisors/detail", "/os-hypervisors/statistics",
                     "/os-aggregates", "/os-quota-class-sets/default"):
            answer = member.get(path)
            assert answer.status_code == 403, path
            assert "forbidden" in answer.json(), path
        assert member.put("/os-services/disable", json={
            "host": "gureum-compute-1", "binary": "nova-compute"}).status_code == 403
        assert member.delete(f"/os-quota-sets/{project_id}").status_code == 403
    admin_view = nova.get("/limits", params={"tenant_id": other_id})
    assert admin_view.status_code == 200


def test_services_refuse_unknown_hosts_actions_and_ids(nova: httpx.Client) -> None:
    unknown = nova.put("/os-services/disable", json={"host": "nowhere",
                                                     "binary": "nova-compute"})
    assert unknown.status_code == 404, unknown.text
    assert nova.put("/os-services/disable-log-reason", json={
        "host": "gureum-compute-1", "binary": "nova-compute"}).status_code == 400
    assert nova.put("/os-services/reboot", json={
        "host": "gureum-compute-1", "binary": "nova-compute"}).status_code == 404
    assert nova.delete("/os-services/abc").status_code == 400
    assert nova.delete("/os-services/999999").status_code == 404
    old = compute_client_headers(nova, "2.10")
    assert nova.put("/os-services/force-down", headers=old, json={
        "host": "gureum-compute-1", "binary": "nova-compute",
        "forced_down": True}).status_code == 404
    down = nova.put("/os-services/force-down", json={
        "host": "gureum-compute-1", "binary": "nova-compute", "forced_down": True})
    assert down.status_code == 200, down.text
    try:
        service = next(s for s in nova.get("/os-services", params={
            "host": "gureum-compute-1", "binary": "nova-compute"}).json()["services"])
        assert service["forced_down"] is True and service["state"] == "down"
    finally:
        nova.put("/os-services/force-down", json={
            "host": "gureum-compute-1", "binary": "nova-compute", "forced_down": False})
    assert next(iter(nova.get("/os-services", params={
        "host": "gureum-compute-1", "binary": "nova-compute"}).json()["services"]))[
            "state"] == "up"


def compute_client_headers(nova: httpx.Client, version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {version}"}


def test_aggregates_refuse_duplicates_unknown_hosts_and_zone_conflicts(
        nova: httpx.Client) -> None:
    name = unique("agg")
    first = nova.post("/os-aggregates", json={"aggregate": {
        "name": name, "availability_zone": unique("az-a")}})
    assert first.status_code == 200, first.text
    agg = first.json()["aggregate"]
    assert nova.post("/os-aggregates", json={"aggregate": {"name": name}}).status_code == 409
    assert nova.post("/os-aggregates", json={"aggregate": {}}).status_code == 400
    assert nova.get("/os-aggregates/999999").status_code == 404
    assert nova.post(f"/os-aggregates/{agg['id']}/action", json={
        "add_host": {"host": "nowhere"}}).status_code == 404
    host = "gureum-compute-3"
    path = f"/os-aggregates/{agg['id']}/action"
    assert nova.post(path, json={"add_host": {"host": host}}).status_code == 200
    assert nova.post(path, json={"add_host": {"host": host}}).status_code == 409
    other = nova.post("/os-aggregates", json={"aggregate": {
        "name": unique("agg"), "availability_zone": unique("az-b")}}).json()["aggregate"]
    clash = nova.post(f"/os-aggregates/{other['id']}/action",
                      json={"add_host": {"host": host}})
    assert clash.status_code == 400, clash.text  # one host, two zones
    assert nova.post(f"/os-aggregates/{agg['id']}/action", json={
        "remove_host": {"host": "gureum-compute-2"}}).status_code == 404
    assert nova.post(path, json={"remove_host": {"host": host}}).status_code == 200
    for made in (agg, other):
        assert nova.delete(f"/os-aggregates/{made['id']}").status_code == 200


def test_hypervisors_and_quotas_answer_4xx_for_what_does_not_exist(
        nova: httpx.Client) -> None:
    assert nova.get("/os-hypervisors/999999").status_code == 404
    assert nova.get("/os-hypervisors/no-such-host/search").status_code == 404
    assert nova.get("/os-hypervisors/no-such-host/servers").status_code == 404
    assert nova.get("/os-hypervisors", params={"marker": "999999"}).status_code == 400
    listed = nova.get("/os-hypervisors", params={"limit": 1}).json()
    assert len(listed["hypervisors"]) == 1 and listed["hypervisors_links"]
    assert nova.put("/os-quota-sets/some-project", json={
        "quota_set": {"instances": "many"}}).status_code == 400
    assert nova.put("/os-quota-sets/some-project", json={
        "quota_set": {"instances": -2}}).status_code == 400
    assert nova.put("/os-quota-sets/some-project", json={
        "quota_set": {"no_such_quota": 1}}).status_code == 400
    user = nova.put("/os-quota-sets/some-project", params={"user_id": "u1"}, json={
        "quota_set": {"instances": 3}})
    assert user.status_code == 200, user.text
    assert nova.get("/os-quota-sets/some-project", params={"user_id": "u1"}).json()[
        "quota_set"]["instances"] == 3
    assert nova.get("/os-quota-sets/some-project").json()["quota_set"]["instances"] == 10


def test_a_compute_service_hosting_servers_cannot_be_deleted(nova: httpx.Client,
                                                             image: str) -> None:
    server = create_server(nova, image)
    host = wait_status(nova, server["id"], {"ACTIVE"})["OS-EXT-SRV-ATTR:host"]
    service = nova.get("/os-services", params={"host": host, "binary": "nova-compute"}
                       ).json()["services"][0]
    refused = nova.delete(f"/os-services/{service['id']}")
    assert refused.status_code == 409, refused.text
    assert "hosting instances" in refused.json()["conflictingRequest"]["message"]
    assert nova.delete(f"/servers/{server['id']}").status_code == 204
    wait_deleted(nova, server["id"])
