"""Network settings: the ML2 type drivers' ranges, defaults for project networks, the
agents and the bootstrap networks."""

from pydantic import BaseModel, Field


class NetworkSettings(BaseModel):
    tenant_network_types: list[str] = Field(
        ["vxlan"], description="Types a project network gets, tried in order (neutron's "
        "ml2 tenant_network_types): vxlan, geneve, vlan or local.")
    network_vlan_ranges: dict[str, list[tuple[int, int]]] = Field(
        {"physnet1": [(1000, 1999)]},
        description="Physical networks and the VLAN ids projects may be given on each; a "
        "physical network with no ranges is usable by admins only.")
    flat_networks: list[str] = Field(
        ["public", "physnet1"], description="Physical networks that may carry a flat "
        "network ('*' for any).")
    vni_ranges: list[tuple[int, int]] = Field([(1, 65535)],
                                              description="VXLAN ids for project networks.")
    geneve_vni_ranges: list[tuple[int, int]] = Field(
        [(1, 65535)], description="Geneve ids for project networks.")
    global_physnet_mtu: int = Field(1500, ge=68, description="MTU of the physical network.")
    dns_domain: str = Field("openstacklocal.", description="Domain of ports' DNS names.")
    base_mac: str = Field("fa:16:3e:00:00:00", description="The first three octets of "
                          "every generated MAC address.")
    dhcp_agents_per_network: int = Field(1, ge=1, description="DHCP agents serving each "
                                         "network (more gives HA DHCP).")
    agent_hosts: list[str] = Field(
        ["gureum-net1"], description="Hosts the embedded mode runs network agents for.")
    agent_down_time: int = Field(75, ge=1, description="Seconds without a heartbeat "
                                 "after which an agent is shown dead.")
    report_interval: float = Field(30.0, gt=0, description="Seconds between heartbeats.")
    driver: str = Field("fake", description="Data plane driver of the agents: fake (wires "
                        "nothing, records what it was told; 'noop' is the same) or linux.")
    quotas: dict[str, int] = Field(
        {"network": 100, "subnet": 100, "subnetpool": -1, "port": 500, "router": 10,
         "floatingip": 50, "security_group": 10, "security_group_rule": 100,
         "rbac_policy": 10},
        description="Default quotas per project (-1 = unlimited).")
    public_network: bool = Field(
        True, description="Create at bootstrap, as DevStack does, the external network "
        "'public' and the demo project's 'private' network routed to it.")
    public_cidr: str = Field("172.24.4.0/24", description="The public network's subnet.")
    public_cidr_v6: str = Field("2001:db8::/64", description="Its IPv6 subnet.")
    private_cidr: str = Field("10.0.0.0/26", description="The demo private network's subnet.")
    private_cidr_v6: str = Field("fd00:0:0:1::/64", description="Its IPv6 subnet.")
    default_subnetpool_prefixes: list[str] = Field(
        ["10.128.0.0/12"], description="The shared default IPv4 subnet pool (used by "
        "auto-allocated topologies).")
