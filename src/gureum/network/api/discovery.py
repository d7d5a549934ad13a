"""Version discovery, the v2.0 resource index and the extension list."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.core.errors import NotFound
from gureum.network.manager import NetworkManager

router = Router()

# (alias, name, description): exactly what is implemented, no more.
EXTENSIONS = [
    ("agent", "agent", "The agent management extension."),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("auto-allocated-topology", "Auto Allocated Topology Services",
     "Auto Allocated Topology Services."),
    ("availability_zone", "Availability Zone", "The availability zone extension."),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external "
     "application"),
    ("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a "
     "subnetpool as the default."),
    ("dhcp_agent_scheduler", "DHCP Agent Scheduler", "Schedule networks among dhcp agents"),
    ("external-net", "Neutron external network", "Adds external network attribute to "
     "network resource."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
     "Extension of the router abstraction for specifying whether SNAT should occur on the "
     "external gateway"),
    ("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for DHCP. "
     "For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, "
     "server-ip-address, bootfile-name)"),
    ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
    ("extraroute-atomic", "Atomically add/remove extra routes",
     "Edit extra routes of a router on server side by atomically adding/removing extra "
     "routes"),
    ("fip-port-details", "Floating IP Port Details Extension", "Add port_details attribute "
     "to Floating IP resource"),
    ("ip-substring-filtering", "IP address substring filtering",
     "Provides IP address substring filtering when listing ports"),
    ("l3_agent_scheduler", "L3 Agent Scheduler", "Schedule routers among l3 agents"),
    ("multi-provider", "Multi Provider Network", "Expose mapping of virtual networks to "
     "multiple physical networks"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a "
     "network resource."),
    ("network-ip-availability", "Network IP Availability", "Provides IP availability data "
     "for each network and subnet."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support "
     "for network."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is "
     "enabled."),
    ("port-security", "Port Security", "Provides port security"),
    ("port-security-groups-filtering", "Port filtering on security groups",
     "Provides security groups filtering when listing ports"),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id "
     "field is enabled."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical "
     "networks"),
    ("quotas", "Quota management support", "Expose functions for quotas management per "
     "tenant"),
    ("quota_details", "Quota details management support", "Expose functions for quotas "
     "usage statistics per project"),
    ("rbac-policies", "RBAC Policies", "Allows creation and modification of policies that "
     "control tenant access to resources."),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 "
     "Neutron networks and access to external networks via a NAT gateway."),
    ("router_availability_zone", "Router Availability Zone", "Availability zone support for "
     "router."),
    ("security-group", "security-group", "The security groups extension."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("standard-attr-description", "standard-attr-description", "Extension to add "
     "descriptions to standard attributes"),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will display "
     "the revision number of neutron resources."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, "
     "trunk, network_segment_range, router, network, policy, subnetpool, port, "
     "security_group, floatingip", "Enables to set tag on resources with standard "
     "attribute."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at "
     "fields to all Neutron resources that have Neutron standard attributes."),
    ("stateful-security-group", "Stateful security group", "Indicates if the security "
     "group is stateful or not"),
    ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet "
     "pool"),
    ("subnet-service-types", "Subnet service types", "Provides ability to set the subnet "
     "service_types field"),
]
RESOURCES = ("networks", "subnets", "ports", "subnetpools", "routers", "floatingips",
             "security-groups", "security-group-rules", "rbac-policies", "quotas", "agents",
             "availability_zones", "network-ip-availabilities", "extensions")


def extension(alias: str, name: str, description: str) -> dict[str, Any]:
    return {"alias": alias, "name": name, "description": description,
            "updated": "2013-01-01T00:00:00-00:00", "links": []}


@router.get("/", public=True)
async def list_versions(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
        {"rel": "self", "href": f"{req.base_url}/v2.0/"}]}]}


@router.get("/v2.0/", public=True)
async def list_resources(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"resources": [
        {"name": name.rstrip("s").replace("-", "_"), "collection": name,
         "links": [{"rel": "self", "href": f"{req.base_url}/v2.0/{name}"}]}
        for name in RESOURCES]}


router.get("/v2.0", public=True)(list_resources)


@router.get("/v2.0/extensions", policy="get_extension")
async def list_extensions(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"extensions": [extension(*entry) for entry in EXTENSIONS]}


@router.get("/v2.0/extensions/{alias}", policy="get_extension")
async def show_extension(req: Request, manager: NetworkManager) -> dict[str, Any]:
    for entry in EXTENSIONS:
        if entry[0] == req.params["alias"]:
            return {"extension": extension(*entry)}
    raise NotFound(f"Extension with alias {req.params['alias']} does not exist")
