"""The Compute service through the real `openstack` CLI against `gureum up` (issue 6's
acceptance list, the parts built so far, in order)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from gureum.compute.metadata_api import sign
from tests.e2e.cloudproc import OpenStackCLI
from tests.e2e.compute.cli_waits import wait

pytestmark = pytest.mark.e2e


def test_flavors_keypairs_and_a_server_on_a_network(admin: OpenStackCLI, demo: OpenStackCLI,
                                                    image: str, state: Path) -> None:
    assert {"m1.nano", "m1.micro", "m1.tiny", "m1.small"} <= {
        f["Name"] for f in admin.json("flavor", "list")}
    flavor = admin.json("flavor", "create", "--ram", "64", "--disk", "1", "--vcpus", "1",
                        "--property", "tier=gold", "cli-flavor")
    assert admin.json("flavor", "show", "cli-flavor")["properties"] == {"tier": "gold"}
    assert flavor["ram"] == 64
    generated = demo.run("keypair", "create", "cli-key").stdout
    assert "PRIVATE KEY" in generated
    public = state.parent / "key.pub"
    public.write_text(demo.run("keypair", "show", "--public-key", "cli-key").stdout)
    imported = demo.json("keypair", "create", "--public-key", str(public), "cli-imported")
    assert imported["fingerprint"] == demo.json("keypair", "show", "cli-key")["fingerprint"]
    user_data = state.parent / "user-data"
    user_data.write_text("#cloud-config\n")
    server = demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                       "--network", "private", "--key-name", "cli-key", "--user-data",
                       str(user_data), "--property", "purpose=e2e", "--wait", "cli-server")
    assert server["status"] == "ACTIVE" and "private" in str(server["addresses"])
    assert server["key_name"] == "cli-key"
    # the demo project sees none of admin's servers
    admin.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
               "--network", "private", "--wait", "cli-admin-server")
    assert {s["Name"] for s in demo.json("server", "list")} == {"cli-server"}
    listed = demo.json("server", "list", "--name", "cli-ser", "--status", "ACTIVE",
                       "--flavor", "m1.nano")
    assert [s["Name"] for s in listed] == ["cli-server"]
    # the metadata API answers signed requests for the server, and refuses unsigned ones
    secret = (state / "metadata-secret").read_text().strip()
    clouds = yaml.safe_load((state / "clouds.yaml").read_text())["clouds"]
    base = clouds["gureum"]["auth"]["auth_url"].removesuffix("/identity")
    metadata_url = f"{base}/metadata/openstack/latest"
    signed = {"X-Instance-ID": server["id"], "X-Tenant-ID": server["project_id"],
              "X-Instance-ID-Signature": sign(secret, server["id"])}
    meta = httpx.get(f"{metadata_url}/meta_data.json", headers=signed).json()
    assert (meta["uuid"], meta["name"], meta["meta"]) == (server["id"], "cli-server",
                                                          {"purpose": "e2e"})
    assert list(meta["public_keys"]) == ["cli-key"]
    assert httpx.get(f"{metadata_url}/user_data", headers=signed).text == "#cloud-config\n"
    assert httpx.get(f"{metadata_url}/meta_data.json").status_code == 400


def test_no_network_auto_topology_and_min_max(demo: OpenStackCLI, image: str) -> None:
    auto = demo.json("--os-compute-api-version", "2.37", "server", "create", "--image",
                     "cli-image", "--flavor", "m1.nano", "--wait", "cli-auto")
    assert auto["status"] == "ACTIVE" and auto["addresses"]
    demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano", "--network",
              "private", "--min", "3", "--max", "3", "cli-many")
    names = {s["Name"] for s in demo.json("server", "list", "--name", "cli-many")}
    assert names == {"cli-many-1", "cli-many-2", "cli-many-3"}
    for name in sorted(names):
        wait(demo, name, "ACTIVE")
        demo.run("server", "delete", name)


def test_lifecycle_actions_properties_console_and_events(admin: OpenStackCLI,
                                                         demo: OpenStackCLI) -> None:
    for action, status in (("stop", "SHUTOFF"), ("start", "ACTIVE"), ("reboot", "ACTIVE"),
                           ("pause", "PAUSED"), ("unpause", "ACTIVE"),
                           ("suspend", "SUSPENDED"), ("resume", "ACTIVE")):
        demo.run("server", action, "cli-server")
        wait(demo, "cli-server", status)
    demo.run("server", "lock", "cli-server")
    assert demo.json("--os-compute-api-version", "2.9", "server", "show",
                     "cli-server")["locked"] is True
    demo.run("server", "unlock", "cli-server")
    demo.run("--os-compute-api-version", "2.26", "server", "set", "--property", "color=blue",
             "--tag", "web", "cli-server")
    shown = demo.json("--os-compute-api-version", "2.26", "server", "show", "cli-server")
    assert shown["properties"] == {"purpose": "e2e", "color": "blue"}
    assert shown["tags"] == ["web"]
    console = demo.run("console", "log", "show", "cli-server").stdout
    assert "Booting cli-server" in console
    last = demo.run("console", "log", "show", "--lines", "1", "cli-server").stdout
    assert last.strip().endswith("Resumed.") and len(last.strip().splitlines()) == 1
    # a locked server refuses its owner's actions until unlocked
    demo.run("server", "lock", "cli-server")
    refused = demo.run("server", "stop", "cli-server", check=False)
    assert refused.returncode != 0 and "is locked" in refused.stderr
    demo.run("server", "unlock", "cli-server")
    demo.run("--os-compute-api-version", "2.26", "server", "unset", "--property", "color",
             "--tag", "web", "cli-server")
    shown = demo.json("--os-compute-api-version", "2.26", "server", "show", "cli-server")
    assert shown["properties"] == {"purpose": "e2e"} and shown["tags"] == []
    events = demo.json("server", "event", "list", "cli-server")
    actions = [e["Action"] for e in events]
    assert actions[:10] == ["unlock", "lock", "unlock", "lock", "resume", "suspend",
                            "unpause", "pause", "reboot", "start"]
    assert actions[-1] == "create"
    # an admin sees the events of the agent's work
    stop = next(e["Request ID"] for e in events if e["Action"] == "stop")
    shown_event = admin.json("server", "event", "show", shown["id"], stop)
    assert [(e["event"], e["result"]) for e in shown_event["events"]] == [
        ("compute_stop_instance", "Success")]


def test_groups_hosts_services_quota_and_errors(admin: OpenStackCLI, demo: OpenStackCLI,
                                                image: str) -> None:
    group = demo.json("server", "group", "create", "--policy", "anti-affinity", "cli-group")
    members = [demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                         "--network", "private", "--hint", f"group={group['id']}", "--wait",
                         f"cli-member-{index}")["id"] for index in range(3)]
    hosts = {admin.json("server", "show", member)["OS-EXT-SRV-ATTR:host"]
             for member in members}
    assert len(hosts) == 3
    hypervisors = admin.json("hypervisor", "list")
    assert len(hypervisors) == 3 and {h["Hypervisor Type"] for h in hypervisors} == {"fake"}
    services = admin.json("compute", "service", "list", "--service", "nova-compute")
    assert {s["Host"] for s in services} == hosts and {s["State"] for s in services} == {
        "up"}
    zones = admin.json("availability", "zone", "list", "--compute")
    # an admin's list is the detailed one: the scheduler and conductor are in "internal"
    assert {(z["Zone Name"], z["Zone Status"]) for z in zones} == {
        ("nova", "available"), ("internal", "available")}
    demo.run("server", "delete", "--wait", *members)
    off = sorted(hosts)[0]
    admin.run("compute", "service", "set", "--disable", off, "nova-compute")
    placed = admin.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                        "--network", "private", "--wait", "cli-avoid")
    assert admin.json("server", "show", placed["id"])["OS-EXT-SRV-ATTR:host"] != off
    admin.run("compute", "service", "set", "--enable", off, "nova-compute")
    admin.json("flavor", "create", "--ram", "64", "--disk", "100000", "--vcpus", "1",
               "cli-huge")
    huge = admin.json("server", "create", "--image", "cli-image", "--flavor", "cli-huge",
                      "--network", "private", "cli-huge-server")
    failed = wait(admin, huge["id"], "ERROR")
    assert "No valid host was found" in str(failed["fault"])
    demo_project = admin.json("project", "show", "demo")["id"]
    admin.run("quota", "set", "--instances", "2", demo_project)
    over = demo.run("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                    "--network", "private", "cli-over", check=False)
    assert over.returncode != 0 and "Quota exceeded for instances" in over.stderr
    assert "403" in over.stderr
    admin.run("quota", "set", "--instances", "10", demo_project)
    server_id = demo.json("server", "show", "cli-server")["id"]
    assert demo.json("port", "list", "--server", server_id)
    demo.run("server", "delete", "--wait", "cli-server")
    assert demo.json("port", "list", "--device-id", server_id) == []
