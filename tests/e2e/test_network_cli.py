"""The Network service through the real `openstack` CLI against `gureum up` (issue 4's
acceptance list, in order)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cloudproc import OpenStackCLI, gureum_up

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("networks")
    with gureum_up(folder / "state", GUREUM_IMAGE__DEFAULT_GUEST="false") as state:
        yield state


def failure(cli: OpenStackCLI, *args: str) -> str:
    result = cli.run(*args, check=False)
    assert result.returncode != 0, f"openstack {' '.join(args)} should have failed"
    return result.stderr


def test_networks_subnets_ports(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    # What DevStack leaves: public (external) and demo's private network
    names = {n["Name"] for n in demo.json("network", "list")}
    assert {"public", "private"} <= names

    mine = demo.json("network", "create", "cli-demo-net")
    assert mine["status"] == "ACTIVE" and mine["router:external"] is False
    ext = admin.json("network", "create", "--external", "--provider-network-type", "flat",
                     "--provider-physical-network", "physnet1", "cli-ext")
    assert ext["router:external"] is True and ext["provider:network_type"] == "flat"
    vlans = [admin.json("network", "create", "--provider-network-type", "vlan",
                        "--provider-physical-network", "physnet1", f"cli-vlan{i}")
             for i in range(3)]
    vxlans = [admin.json("network", "create", "--provider-network-type", "vxlan",
                         f"cli-vx{i}") for i in range(3)]
    vlan_ids = [n["provider:segmentation_id"] for n in vlans]
    vni = [n["provider:segmentation_id"] for n in vxlans]
    assert len(set(vlan_ids)) == 3 and all(1000 <= i <= 1999 for i in vlan_ids)
    assert len(set(vni)) == 3
    clash = failure(admin, "network", "create", "--provider-network-type", "vlan",
                    "--provider-physical-network", "physnet1", "--provider-segment",
                    str(vlan_ids[0]), "cli-clash")
    assert "409" in clash or "in use" in clash

    v4 = demo.json("subnet", "create", "--network", "cli-demo-net", "--subnet-range",
                   "192.168.50.0/24", "--allocation-pool",
                   "start=192.168.50.10,end=192.168.50.200", "cli-v4")
    assert v4["gateway_ip"] == "192.168.50.1"
    v6 = demo.json("subnet", "create", "--network", "cli-demo-net", "--ip-version", "6",
                   "--subnet-range", "fd50::/64", "--ipv6-ra-mode", "slaac",
                   "--ipv6-address-mode", "slaac", "cli-v6")
    assert v6["ip_version"] == 6

    auto = demo.json("port", "create", "--network", "cli-demo-net", "cli-auto")
    auto_v4 = next(ip["ip_address"] for ip in auto["fixed_ips"]
                   if ip["ip_address"].startswith("192.168.50."))
    assert 10 <= int(auto_v4.rsplit(".", 1)[1]) <= 200  # from the pool
    fixed = demo.json("port", "create", "--network", "cli-demo-net", "--fixed-ip",
                      "subnet=cli-v4,ip-address=192.168.50.99", "cli-fixed")
    assert any(ip["ip_address"] == "192.168.50.99" for ip in fixed["fixed_ips"])
    dup = failure(demo, "port", "create", "--network", "cli-demo-net", "--fixed-ip",
                  "subnet=cli-v4,ip-address=192.168.50.99", "cli-dup")
    assert "409" in dup or "in use" in dup

    # Routers, gateway, floating IPs
    router = demo.json("router", "create", "cli-router")
    demo.run("router", "add", "subnet", "cli-router", "cli-v4")
    demo.run("router", "set", "--external-gateway", "public", "cli-router")
    shown = demo.json("router", "show", "cli-router")
    assert shown["external_gateway_info"]["network_id"] == demo.json(
        "network", "show", "public")["id"]
    fip = demo.json("floating", "ip", "create", "public")
    assert fip["floating_ip_address"]
    demo.run("floating", "ip", "set", "--port", "cli-auto", fip["floating_ip_address"])
    associated = demo.json("floating", "ip", "show", fip["floating_ip_address"])
    assert associated["port_id"] == auto["id"]
    assert associated["fixed_ip_address"] == auto_v4
    demo.run("floating", "ip", "unset", "--port", fip["floating_ip_address"])
    assert demo.json("floating", "ip", "show", fip["floating_ip_address"])["port_id"] is None
    in_use = failure(demo, "subnet", "delete", "cli-v4")
    assert "409" in in_use or "in use" in in_use.lower()

    # Security groups
    groups = demo.json("security", "group", "list")
    assert "default" in {g["Name"] for g in groups}
    demo.json("security", "group", "create", "cli-web")
    rule = demo.json("security", "group", "rule", "create", "--protocol", "tcp",
                     "--dst-port", "80:81", "--remote-ip", "10.0.0.0/8", "cli-web")
    assert (rule["port_range_min"], rule["port_range_max"]) == (80, 81)
    rules = demo.json("security", "group", "rule", "list", "cli-web")
    assert rule["id"] in {r["ID"] for r in rules}
    again = failure(demo, "security", "group", "rule", "create", "--protocol", "tcp",
                    "--dst-port", "80:81", "--remote-ip", "10.0.0.0/8", "cli-web")
    assert "409" in again or "exists" in again
    demo.run("security", "group", "rule", "delete", rule["id"])

    # Agents and extensions
    agents = admin.json("network", "agent", "list")
    assert {a["Binary"] for a in agents} >= {"neutron-dhcp-agent", "neutron-l3-agent"}
    assert all(a["Alive"] in (True, ":-)") for a in agents)
    aliases = {e["Alias"] for e in admin.json("extension", "list", "--network")}
    assert {"router", "security-group", "quotas", "agent"} <= aliases

    # Isolation: demo sees none of admin's private networks
    seen = {n["ID"] for n in demo.json("network", "list")}
    assert not {n["id"] for n in vlans + vxlans} & seen
    assert "cli-vx0" not in {n["Name"] for n in demo.json("network", "list")}

    # Everything goes away cleanly
    demo.run("floating", "ip", "delete", fip["floating_ip_address"])
    demo.run("router", "unset", "--external-gateway", "cli-router")
    demo.run("router", "remove", "subnet", "cli-router", "cli-v4")
    demo.run("router", "delete", router["id"])
    demo.run("port", "delete", "cli-auto", "cli-fixed")
    demo.run("security", "group", "delete", "cli-web")
    demo.run("subnet", "delete", "cli-v4", "cli-v6")
    demo.run("network", "delete", "cli-demo-net")
    for net in [ext, *vlans, *vxlans]:
        admin.run("network", "delete", net["id"])
    assert "cli-demo-net" not in {n["Name"] for n in demo.json("network", "list")}


def test_quota_set_networks(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    admin.run("project", "create", "--domain", "default", "cli-quota")
    admin.run("user", "create", "--domain", "default", "--password", "quota-pw-1",
              "--project", "cli-quota", "cli-quota-user")
    admin.run("role", "add", "--user", "cli-quota-user", "--project", "cli-quota", "member")
    admin.run("quota", "set", "--networks", "1", "cli-quota")
    shown = admin.json("quota", "show", "--network", "cli-quota")
    # A list of {"Resource": …, "Limit": …} rows in recent clients, a dict in older ones
    limits = ({row["Resource"]: row["Limit"] for row in shown} if isinstance(shown, list)
              else shown)
    assert limits["networks"] == 1
    user = ("--os-username", "cli-quota-user", "--os-password", "quota-pw-1",
            "--os-project-name", "cli-quota")
    admin.run(*user, "network", "create", "q1")
    over = failure(admin, *user, "network", "create", "q2")
    assert "409" in over or "Quota exceeded" in over
