"""Compute microversions 2.38–2.60, each behaviour change checked at the version before
it and at its own, over HTTP as clients send them."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gureum.compute.metadata_api import sign
from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    network_id,
    new_project_member,
    wait_status,
)
from tests.functional.volume_helpers import volume_client, wait_for
from tests.harness import RunningCloud, unique


def client_at(user: str, version: str) -> Any:
    """A fixture: httpx against the Compute API as `user` at that microversion."""
    @pytest.fixture()
    def client(cloud: RunningCloud) -> Iterator[httpx.Client]:
        with compute_client(cloud, user, version) as made:
            yield made
    return client


admin60 = client_at("admin", "2.60")
demo60 = client_at("demo", "2.60")
admin75 = client_at("admin", "2.75")
demo75 = client_at("demo", "2.75")
admin85 = client_at("admin", "2.85")
demo85 = client_at("demo", "2.85")
admin92 = client_at("admin", "2.92")
demo92 = client_at("demo", "2.92")


def at(version: str) -> dict[str, str]:
    """The headers that ask for another microversion than the client's."""
    return {"OpenStack-API-Version": f"compute {version}"}


def metadata_api(cloud: RunningCloud, server: dict[str, Any]) -> httpx.Client:
    """The metadata API as the server's guest reaches it (through neutron's proxy)."""
    secret = (cloud.settings.state_dir / "metadata-secret").read_text().strip()
    return httpx.Client(base_url=f"{cloud.url}/metadata", timeout=30, headers={
        "X-Instance-ID": server["id"], "X-Instance-ID-Signature": sign(secret, server["id"]),
        "X-Tenant-ID": server["tenant_id"]})


def test_limits_and_quota_shapes(admin60: httpx.Client, cloud: RunningCloud) -> None:
    def absolute(version: str) -> set[str]:
        return set(admin60.get("/limits", headers=at(version)).json()[
            "limits"]["absolute"])

    assert {"maxImageMeta", "maxPersonality"} <= absolute("2.38")
    assert "maxImageMeta" not in absolute("2.39") and "maxPersonality" in absolute("2.39")
    assert not {"maxImageMeta", "maxPersonality", "maxPersonalitySize"} & absolute("2.57")
    project, _ = new_project_member(cloud, "mv")

    def quota_class(version: str) -> set[str]:
        return set(admin60.get("/os-quota-class-sets/default",
                               headers=at(version)).json()["quota_class_set"])

    assert "floating_ips" in quota_class("2.49") and "server_groups" not in quota_class("2.49")
    assert "server_groups" in quota_class("2.50") and "floating_ips" not in quota_class("2.50")
    assert "injected_files" in quota_class("2.56")
    assert "injected_files" not in quota_class("2.57")
    sets = admin60.get(f"/os-quota-sets/{project}").json()["quota_set"]
    assert "injected_files" not in sets and "server_groups" in sets
    refused = admin60.put(f"/os-quota-sets/{project}",
                          json={"quota_set": {"injected_files": 3}})
    assert refused.status_code == 400


def test_servers_show_their_flavor_tags_and_take_tags_at_create(
        admin60: httpx.Client, demo60: httpx.Client, image: str) -> None:
    made = create_server(demo60, image, name=unique("mv"), tags=["blue", "blue", "web"])
    shown = wait_status(demo60, made["id"], {"ACTIVE"})
    assert sorted(shown["tags"]) == ["blue", "web"]
    assert shown["flavor"] == {"vcpus": 1, "ram": 128, "disk": 1, "ephemeral": 0,
                               "swap": 0, "original_name": "m1.nano", "extra_specs": {}}
    old = demo60.get(f"/servers/{made['id']}", headers=at("2.46")).json()["server"]
    assert old["flavor"]["id"] == "42" and "original_name" not in old["flavor"]
    too_early = demo60.post("/servers", headers=at("2.51"), json={"server": {
        "name": unique("mv"), "imageRef": image, "flavorRef": "42", "networks": "none",
        "tags": ["x"]}})
    assert too_early.status_code == 400
    demo60.delete(f"/servers/{made['id']}")


def test_instance_actions_page_and_show_events_to_members(demo60: httpx.Client,
                                                          image: str) -> None:
    made = create_server(demo60, image, name=unique("mv"))
    wait_status(demo60, made["id"], {"ACTIVE"})
    for action in ("os-stop", "os-start"):
        assert demo60.post(f"/servers/{made['id']}/action", json={action: None}
                           ).status_code == 202
        wait_status(demo60, made["id"], {"SHUTOFF" if action == "os-stop" else "ACTIVE"})
    actions = demo60.get(f"/servers/{made['id']}/os-instance-actions").json()
    assert [a["action"] for a in actions["instanceActions"]] == ["start", "stop", "create"]
    first = demo60.get(f"/servers/{made['id']}/os-instance-actions",
                       params={"limit": 2}).json()
    assert [a["action"] for a in first["instanceActions"]] == ["start", "stop"]
    assert first["links"][0]["rel"] == "next"
    rest = demo60.get(f"/servers/{made['id']}/os-instance-actions", params={
        "marker": first["instanceActions"][-1]["request_id"]}).json()
    assert [a["action"] for a in rest["instanceActions"]] == ["create"]
    assert demo60.get(f"/servers/{made['id']}/os-instance-actions",
                      params={"marker": "req-nope"}).status_code == 400
    request_id = actions["instanceActions"][0]["request_id"]
    shown = demo60.get(f"/servers/{made['id']}/os-instance-actions/{request_id}").json()
    events = shown["instanceAction"]["events"]  # a member sees events from 2.51
    assert events and all("traceback" not in e for e in events)
    demo60.delete(f"/servers/{made['id']}")


def test_rebuild_changes_the_key_and_user_data(cloud: RunningCloud, demo60: httpx.Client,
                                               image: str) -> None:
    key = unique("key")
    assert demo60.post("/os-keypairs", json={"keypair": {"name": key}}).status_code == 201
    made = create_server(demo60, image, name=unique("mv"), user_data=base64.b64encode(
        b"old").decode())
    wait_status(demo60, made["id"], {"ACTIVE"})
    user_data = base64.b64encode(b"#cloud-config\n").decode()
    old = demo60.post(f"/servers/{made['id']}/action", headers=at("2.53"),
                      json={"rebuild": {"imageRef": image, "key_name": key}})
    assert old.status_code == 400  # key_name on rebuild is 2.54
    rebuilt = demo60.post(f"/servers/{made['id']}/action", json={"rebuild": {
        "imageRef": image, "key_name": key, "user_data": user_data}})
    assert rebuilt.status_code == 202, rebuilt.text
    assert rebuilt.json()["server"]["key_name"] == key
    with metadata_api(cloud, wait_status(demo60, made["id"], {"ACTIVE"})) as md:
        assert md.get("/openstack/latest/user_data").content == b"#cloud-config\n"
        assert list(md.get("/openstack/latest/meta_data.json").json()["public_keys"]) == [key]
    unknown = demo60.post(f"/servers/{made['id']}/action", json={"rebuild": {
        "imageRef": image, "key_name": "no-such-key"}})
    assert unknown.status_code == 400
    demo60.delete(f"/servers/{made['id']}")


def test_tagged_devices_reach_the_metadata_api(cloud: RunningCloud, demo60: httpx.Client,
                                               image: str) -> None:
    private = network_id(cloud, "private", "demo")
    made = create_server(demo60, image, name=unique("mv"),
                         networks=[{"uuid": private, "tag": "frontend"}])
    shown = wait_status(demo60, made["id"], {"ACTIVE"})
    with volume_client(cloud, "demo", "3.44") as volumes:
        volume = volumes.post("/volumes", json={"volume": {"size": 1}}).json()["volume"]
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"available"})
        early = demo60.post(f"/servers/{made['id']}/os-volume_attachments",
                            headers=at("2.48"),
                            json={"volumeAttachment": {"volumeId": volume["id"], "tag": "db"}})
        assert early.status_code == 400  # tagged attach is 2.49
        attached = demo60.post(f"/servers/{made['id']}/os-volume_attachments", json={
            "volumeAttachment": {"volumeId": volume["id"], "tag": "db"}})
        assert attached.status_code == 200, attached.text
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"in-use"})
    with metadata_api(cloud, shown) as md:
        answer = md.get("/openstack/latest/meta_data.json")
        assert answer.status_code == 200, answer.text
        devices = answer.json()["devices"]
    assert sorted((d["type"], d["tags"][0]) for d in devices) == [("disk", "db"),
                                                                 ("nic", "frontend")]
    assert [d["serial"] for d in devices if d["type"] == "disk"] == [volume["id"]]
    demo60.delete(f"/servers/{made['id']}")


def test_services_and_hypervisors_by_uuid(admin60: httpx.Client) -> None:
    services = admin60.get("/os-services", params={"binary": "nova-compute"}).json()[
        "services"]
    service = services[0]
    assert len(service["id"]) == 36
    old = admin60.get("/os-services", headers=at("2.52")).json()["services"]
    assert all(isinstance(s["id"], int) for s in old)
    disabled = admin60.put(f"/os-services/{service['id']}", json={
        "status": "disabled", "disabled_reason": "maintenance"})
    assert disabled.status_code == 200, disabled.text
    assert (disabled.json()["service"]["status"],
            disabled.json()["service"]["disabled_reason"]) == ("disabled", "maintenance")
    assert admin60.put(f"/os-services/{service['id']}", json={
        "status": "enabled", "disabled_reason": "x"}).status_code == 400
    assert admin60.put(f"/os-services/{service['id']}", json={}).status_code == 400
    assert admin60.put("/os-services/disable", json={
        "host": service["host"], "binary": "nova-compute"}).status_code == 400
    enabled = admin60.put(f"/os-services/{service['id']}", json={"status": "enabled"})
    assert enabled.json()["service"]["status"] == "enabled"
    conductor = admin60.get("/os-services", params={"binary": "nova-conductor"}).json()[
        "services"][0]
    assert admin60.put(f"/os-services/{conductor['id']}", json={
        "status": "disabled"}).status_code == 400
    hypervisors = admin60.get("/os-hypervisors").json()["hypervisors"]
    assert all(len(h["id"]) == 36 for h in hypervisors)
    name = hypervisors[0]["hypervisor_hostname"]
    found = admin60.get("/os-hypervisors", params={"hypervisor_hostname_pattern": name,
                                                   "with_servers": "true"})
    assert [h["hypervisor_hostname"] for h in found.json()["hypervisors"]] == [name]
    assert admin60.get("/os-hypervisors", params={
        "hypervisor_hostname_pattern": name, "limit": 1}).status_code == 400
    assert admin60.get(f"/os-hypervisors/{name}/search").status_code == 404
    shown = admin60.get(f"/os-hypervisors/{hypervisors[0]['id']}").json()["hypervisor"]
    assert shown["service"]["id"] == next(
        s["id"] for s in services if s["host"] == shown["service"]["host"])
    assert admin60.get("/os-hypervisors/1").status_code == 400


def test_aggregates_usage_and_images_of_servers(admin60: httpx.Client, demo60: httpx.Client,
                                                image: str) -> None:
    made = admin60.post("/os-aggregates", json={"aggregate": {"name": unique("agg")}})
    aggregate = made.json()["aggregate"]
    assert len(aggregate["uuid"]) == 36
    old = admin60.get(f"/os-aggregates/{aggregate['id']}", headers=at("2.40"))
    assert "uuid" not in old.json()["aggregate"]
    admin60.delete(f"/os-aggregates/{aggregate['id']}")
    usage = admin60.get("/os-simple-tenant-usage", params={
        "start": "2000-01-01T00:00:00", "limit": 1, "detailed": 1}).json()
    assert sum(len(u["server_usages"]) for u in usage["tenant_usages"]) == 1
    marker = usage["tenant_usages"][0]["server_usages"][0]["instance_id"]
    assert f"marker={marker}" in usage["tenant_usages_links"][0]["href"]
    server = create_server(demo60, image, name=unique("mv"))
    wait_status(demo60, server["id"], {"ACTIVE"})
    snapshot = demo60.post(f"/servers/{server['id']}/action",
                           json={"createImage": {"name": unique("img")}})
    assert snapshot.status_code == 202 and "Location" not in snapshot.headers
    assert len(snapshot.json()["image_id"]) == 36  # 2.45: in the body
    while demo60.get(f"/servers/{server['id']}").json()["server"]["OS-EXT-STS:task_state"]:
        time.sleep(0.05)
    old_style = demo60.post(f"/servers/{server['id']}/action", headers=at("2.44"),
                            json={"createImage": {"name": unique("img")}})
    assert old_style.status_code == 202 and "/images/" in old_style.headers["Location"]
    demo60.delete(f"/servers/{server['id']}")


def test_groups_with_rules_and_servers_naming_theirs(demo75: httpx.Client,
                                                     image: str) -> None:
    refused = demo75.post("/os-server-groups", json={"server_group": {
        "name": unique("g"), "policy": "affinity", "rules": {"max_server_per_host": 2}}})
    assert refused.status_code == 400
    old_style = demo75.post("/os-server-groups", json={"server_group": {
        "name": unique("g"), "policies": ["anti-affinity"]}})
    assert old_style.status_code == 400  # 2.64 takes one policy
    group = demo75.post("/os-server-groups", json={"server_group": {
        "name": unique("g"), "policy": "anti-affinity",
        "rules": {"max_server_per_host": 2}}}).json()["server_group"]
    assert (group["policy"], group["rules"]) == ("anti-affinity", {"max_server_per_host": 2})
    assert "policies" not in group and "metadata" not in group
    made = demo75.post("/servers", json={
        "server": {"name": unique("grouped"), "imageRef": image, "flavorRef": "42",
                   "networks": "none"}, "os:scheduler_hints": {"group": group["id"]}})
    server_id = made.json()["server"]["id"]
    shown = wait_status(demo75, server_id, {"ACTIVE"})
    assert shown["server_groups"] == [group["id"]]
    listed = demo75.get("/servers/detail", params={"name": shown["name"]}).json()["servers"]
    assert "server_groups" not in listed[0]  # only a single server's answer names them
    demo75.delete(f"/servers/{server_id}")


def test_lock_reasons_sorting_and_unknown_parameters(demo75: httpx.Client,
                                                     image: str) -> None:
    prefix = unique("sort")
    ids = [create_server(demo75, image, name=f"{prefix}-{n}")["id"] for n in "bca"]
    for server_id in ids:
        wait_status(demo75, server_id, {"ACTIVE"})
    assert demo75.post(f"/servers/{ids[0]}/action", json={
        "lock": {"locked_reason": "audit"}}).status_code == 202
    shown = demo75.get(f"/servers/{ids[0]}").json()["server"]
    assert (shown["locked"], shown["locked_reason"]) == (True, "audit")
    locked = demo75.get("/servers", params={"locked": "true", "name": prefix}).json()
    assert [s["id"] for s in locked["servers"]] == [ids[0]]
    ordered = demo75.get("/servers/detail", params={
        "name": prefix, "sort_key": "display_name", "sort_dir": "asc"}).json()["servers"]
    assert [s["name"] for s in ordered] == [f"{prefix}-{n}" for n in "abc"]
    assert demo75.get("/servers", params={"sort_key": "host"}).status_code == 403
    assert demo75.get("/servers", params={"sort_key": "vcpus"}).status_code == 400
    assert demo75.get("/servers", params={"sort_key": "vcpus"},
                      headers=at("2.74")).status_code == 200  # ignored before 2.75
    assert demo75.get("/servers", params={"nonsense": "1"}).status_code == 400
    since = shown["updated"]
    assert demo75.get("/servers", params={"changes-since": since,
                                          "changes-before": "2000-01-01T00:00:00Z"}
                      ).status_code == 400
    demo75.post(f"/servers/{ids[0]}/action", json={"unlock": None})
    for server_id in ids:
        demo75.delete(f"/servers/{server_id}")


def test_trusted_certificates_and_event_hosts(admin75: httpx.Client, demo75: httpx.Client,
                                              image: str) -> None:
    made = create_server(demo75, image, name=unique("certs"),
                         trusted_image_certificates=["cert-1", "cert-2"])
    shown = wait_status(demo75, made["id"], {"ACTIVE"})
    assert shown["trusted_image_certificates"] == ["cert-1", "cert-2"]
    rebuilt = demo75.post(f"/servers/{made['id']}/action", json={"rebuild": {
        "imageRef": image, "trusted_image_certificates": None}})
    assert rebuilt.json()["server"]["trusted_image_certificates"] is None
    wait_status(demo75, made["id"], {"ACTIVE"})
    create = demo75.get(f"/servers/{made['id']}/os-instance-actions").json()[
        "instanceActions"][-1]
    path = f"/servers/{made['id']}/os-instance-actions/{create['request_id']}"
    build = "compute__do_build_and_run_instance"
    member = next(e for e in demo75.get(path).json()["instanceAction"]["events"]
                  if e["event"] == build)
    admin = next(e for e in admin75.get(path).json()["instanceAction"]["events"]
                 if e["event"] == build)
    assert "host" not in member and len(member["hostId"]) == 56
    host = admin75.get(f"/servers/{made['id']}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    assert admin["host"] == host and admin["hostId"] == member["hostId"]
    demo75.delete(f"/servers/{made['id']}")


def test_a_requested_host_and_the_2_75_shapes(admin75: httpx.Client, demo75: httpx.Client,
                                             image: str) -> None:
    hosts = [h["hypervisor_hostname"] for h in admin75.get("/os-hypervisors").json()[
        "hypervisors"]]
    body = {"name": unique("placed"), "imageRef": image, "flavorRef": "42",
            "networks": "none", "host": hosts[-1]}
    assert demo75.post("/servers", json={"server": body}).status_code == 403
    assert admin75.post("/servers", json={"server": {**body, "host": "nowhere"}}
                        ).status_code == 400
    made = admin75.post("/servers", json={"server": body})
    assert made.status_code == 202, made.text
    shown = wait_status(admin75, made.json()["server"]["id"], {"ACTIVE"})
    assert shown["OS-EXT-SRV-ATTR:host"] == hosts[-1]
    admin75.delete(f"/servers/{shown['id']}")
    assert admin75.get("/flavors/42").json()["flavor"]["swap"] == 0
    assert admin75.get("/flavors/42", headers=at("2.74")).json()["flavor"][
        "swap"] == ""
    listed = admin75.get("/os-hypervisors", params={"with_servers": "true"}).json()
    assert all(isinstance(h["servers"], list) for h in listed["hypervisors"])


def test_device_tags_show_on_interfaces_and_volumes(cloud: RunningCloud,
                                                    demo75: httpx.Client,
                                                    image: str) -> None:
    private = network_id(cloud, "private", "demo")
    made = create_server(demo75, image, name=unique("tags"),
                         networks=[{"uuid": private, "tag": "eth-front"}])
    wait_status(demo75, made["id"], {"ACTIVE"})
    interfaces = demo75.get(f"/servers/{made['id']}/os-interface").json()[
        "interfaceAttachments"]
    assert [i["tag"] for i in interfaces] == ["eth-front"]
    old = demo75.get(f"/servers/{made['id']}/os-interface",
                     headers=at("2.69")).json()["interfaceAttachments"]
    assert "tag" not in old[0]
    demo75.delete(f"/servers/{made['id']}")


def test_topology_volumes_kept_and_member_filters(cloud: RunningCloud, demo85: httpx.Client,
                                                  image: str) -> None:
    key = unique("key")
    demo85.post("/os-keypairs", json={"keypair": {"name": key}})
    made = create_server(demo85, image, name=unique("t"), key_name=key)
    wait_status(demo85, made["id"], {"ACTIVE"})
    assert demo85.get(f"/servers/{made['id']}/topology").json() == {
        "nodes": [], "pagesize_kb": None}
    assert demo85.get(f"/servers/{made['id']}/topology",
                      headers=at("2.77")).status_code == 404
    # 2.83: members filter by key name, state and more
    mine = demo85.get("/servers", params={"key_name": key}).json()["servers"]
    assert [s["id"] for s in mine] == [made["id"]]
    other = create_server(demo85, image, name=unique("t"))
    older = demo85.get("/servers", params={"key_name": key},
                       headers=at("2.82")).json()["servers"]
    assert other["id"] in [s["id"] for s in older]  # ignored for members before 2.83
    demo85.delete(f"/servers/{other['id']}")
    assert demo85.get("/servers", params={"key_name": key, "vm_state": "stopped"}).json()[
        "servers"] == []
    with volume_client(cloud, "demo", "3.44") as volumes:
        volume = volumes.post("/volumes", json={"volume": {"size": 1}}).json()["volume"]
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"available"})
        attached = demo85.post(f"/servers/{made['id']}/os-volume_attachments", json={
            "volumeAttachment": {"volumeId": volume["id"], "delete_on_termination": True}})
        assert attached.json()["volumeAttachment"]["delete_on_termination"] is True
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"in-use"})
        assert demo85.delete(f"/servers/{made['id']}").status_code == 204
        deadline = time.monotonic() + 15  # the volume goes with the server
        while volumes.get(f"/volumes/{volume['id']}").status_code != 404:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_failed_events_say_why_and_images_are_cached(cloud: RunningCloud,
                                                     admin85: httpx.Client,
                                                     image: str) -> None:
    made = create_server(admin85, image, name=unique("fail"),
                         metadata={"gureum:fake_behaviour": "spawn_fail"})
    wait_status(admin85, made["id"], {"ERROR"})
    create = admin85.get(f"/servers/{made['id']}/os-instance-actions").json()[
        "instanceActions"][-1]
    events = admin85.get(f"/servers/{made['id']}/os-instance-actions/"
                         f"{create['request_id']}").json()["instanceAction"]["events"]
    failed = [e for e in events if e["result"] == "Error"]
    assert failed and all("spawn_fail" in e["details"] for e in failed)
    admin85.delete(f"/servers/{made['id']}")
    hosts = [h["hypervisor_hostname"] for h in admin85.get("/os-hypervisors").json()[
        "hypervisors"]]
    aggregate = admin85.post("/os-aggregates", json={"aggregate": {
        "name": unique("cache")}}).json()["aggregate"]
    admin85.post(f"/os-aggregates/{aggregate['id']}/action",
                 json={"add_host": {"host": hosts[0]}})
    path = f"/os-aggregates/{aggregate['id']}/images"
    early = admin85.post(path, json={"cache": [{"id": image}]}, headers=at("2.80"))
    assert early.status_code == 404
    assert admin85.post(path, json={"cache": [{"id": "6d7a4bc2-1c1d-4d4e-9d6f-"
                                               "0a1b2c3d4e5f"}]}).status_code == 400
    assert admin85.post(path, json={"cache": [{"id": image}]}).status_code == 202
    agent = cloud.cloud.compute_agents[hosts[0]]
    deadline = time.monotonic() + 10
    while image not in agent.driver.cached_images:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the host did not cache the image"
        time.sleep(0.05)
    admin85.post(f"/os-aggregates/{aggregate['id']}/action",
                 json={"remove_host": {"host": hosts[0]}})
    admin85.delete(f"/os-aggregates/{aggregate['id']}")


def test_extra_specs_nova_knows_are_validated(admin92: httpx.Client) -> None:
    flavor = admin92.post("/flavors", json={"flavor": {
        "name": unique("specs"), "ram": 64, "vcpus": 1, "disk": 1}}).json()["flavor"]
    path = f"/flavors/{flavor['id']}/os-extra_specs"
    good = {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2", "trait:HW_CPU_X86_AVX2":
            "required", "resources1:CUSTOM_GPU": "1", "tier": "gold", "mine:own": "x"}
    assert admin92.post(path, json={"extra_specs": good}).status_code == 200
    for bad in ({"hw:cpu_policy": "fancy"}, {"hw:numa_nodes": "0"}, {"hw:nope": "1"},
                {"trait:NOT_A_TRAIT": "required"}, {"resources:VCPU": "many"}):
        refused = admin92.post(path, json={"extra_specs": bad})
        assert refused.status_code == 400, bad
        assert "Validation failed" in refused.json()["badRequest"]["message"]
    assert admin92.put(f"{path}/hw:watchdog_action", json={
        "hw:watchdog_action": "explode"}).status_code == 400
    assert admin92.post(path, json={"extra_specs": {"hw:nope": "1"}},
                         headers=at("2.85")).status_code == 200  # before 2.86
    admin92.delete(f"/flavors/{flavor['id']}")


def test_hypervisors_after_2_88(admin92: httpx.Client) -> None:
    detail = admin92.get("/os-hypervisors/detail").json()["hypervisors"][0]
    assert "vcpus" not in detail and "memory_mb_used" not in detail
    assert " up " in detail["uptime"] and "load average" in detail["uptime"]
    assert admin92.get("/os-hypervisors/statistics").status_code == 404
    assert admin92.get(f"/os-hypervisors/{detail['id']}/uptime").status_code == 404
    old = admin92.get("/os-hypervisors/detail", headers=at("2.87")).json()[
        "hypervisors"][0]
    assert "vcpus" in old
    uptime = admin92.get(f"/os-hypervisors/{old['id']}/uptime", headers=at("2.87"))
    assert "load average" in uptime.json()["hypervisor"]["uptime"]


def test_hostnames_keys_and_attachment_ids(cloud: RunningCloud, demo92: httpx.Client,
                                           image: str) -> None:
    assert demo92.post("/os-keypairs", json={"keypair": {"name": unique("gen")}}
                       ).status_code == 400  # 2.92: keys are imported, not generated
    made = demo92.post("/servers", json={"server": {
        "name": unique("named"), "imageRef": image, "flavorRef": "42", "networks": "none",
        "hostname": "web-1"}})
    assert made.status_code == 202, made.text
    server_id = made.json()["server"]["id"]
    shown = wait_status(demo92, server_id, {"ACTIVE"})
    assert shown["OS-EXT-SRV-ATTR:hostname"] == "web-1"  # a member sees it (2.90)
    fqdn = demo92.post("/servers", json={"server": {
        "name": unique("named"), "imageRef": image, "flavorRef": "42", "networks": "none",
        "hostname": "web-2.example.org"}})
    assert fqdn.status_code == 400  # FQDNs come at 2.94
    several = demo92.post("/servers", json={"server": {
        "name": unique("named"), "imageRef": image, "flavorRef": "42", "networks": "none",
        "hostname": "same", "min_count": 2}})
    assert several.status_code == 400
    renamed = demo92.put(f"/servers/{server_id}", json={"server": {"hostname": "web-9"}})
    assert renamed.json()["server"]["OS-EXT-SRV-ATTR:hostname"] == "web-9"
    with volume_client(cloud, "demo", "3.44") as volumes:
        volume = volumes.post("/volumes", json={"volume": {"size": 1}}).json()["volume"]
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"available"})
        attached = demo92.post(f"/servers/{server_id}/os-volume_attachments", json={
            "volumeAttachment": {"volumeId": volume["id"]}})
        assert attached.json()["volumeAttachment"]["id"] == volume["id"]  # still, on attach
        wait_for(volumes, f"/volumes/{volume['id']}", "volume", {"in-use"})
    listed = demo92.get(f"/servers/{server_id}/os-volume_attachments").json()[
        "volumeAttachments"]
    assert "id" not in listed[0] and listed[0]["volumeId"] == volume["id"]
    assert len(listed[0]["attachment_id"]) == 36 and len(listed[0]["bdm_uuid"]) == 36
    demo92.delete(f"/servers/{server_id}")
