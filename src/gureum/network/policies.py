"""Network policy defaults under neutron's names. Which rows a project sees (its own,
shared, external, RBAC-granted) is decided in the manager; these rules say who may act.
Attribute rules (`create_network:shared`, `get_port:binding:host_id`) guard single fields,
as neutron's do: a write naming the field needs the rule, a read without it omits it."""

from __future__ import annotations

from gureum.core.policy import Rule

ADMIN = "role:admin"
OWNER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or role:reader"
MEMBER = "role:admin or role:member"

RESOURCES = ("network", "subnet", "port", "subnetpool", "router", "floatingip",
             "security_group", "security_group_rule", "rbac_policy", "segment")

ADMIN_FIELDS = {
    "network": ("shared", "router:external", "is_default", "provider:network_type",
                "provider:physical_network", "provider:segmentation_id", "segments"),
    "port": ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"),
    "router": ("external_gateway_info:enable_snat", "external_gateway_info:external_fixed_ips",
               "distributed", "ha"),
    "subnetpool": ("shared", "is_default"),
    "security_group": ("shared",),
}
# Fields only admins see (neutron hides a network's wiring and a port's binding).
ADMIN_READ = {
    "network": ("provider:network_type", "provider:physical_network",
                "provider:segmentation_id", "segments"),
    "port": ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"),
    "router": ("distributed", "ha"),
}


def _crud(resource: str) -> list[Rule]:
    return [
        Rule(f"create_{resource}", OWNER, f"Create a {resource}."),
        Rule(f"get_{resource}", READER, f"Show or list {resource}s the project can see."),
        Rule(f"update_{resource}", OWNER, f"Update a {resource}."),
        Rule(f"delete_{resource}", OWNER, f"Delete a {resource}."),
    ]


def _fields() -> list[Rule]:
    rules = []
    for resource, names in ADMIN_FIELDS.items():
        for name in names:
            for action in ("create", "update"):
                rules.append(Rule(f"{action}_{resource}:{name}", ADMIN,
                                  f"Set {name} of a {resource}."))
    for resource, names in ADMIN_READ.items():
        for name in names:
            rules.append(Rule(f"get_{resource}:{name}", ADMIN, f"See {name} of a {resource}."))
    return rules


RULES = [
    Rule("context_is_admin", ADMIN),
    Rule("admin_only", ADMIN),
    Rule("default", ADMIN),
    *[rule for resource in RESOURCES for rule in _crud(resource)],
    *_fields(),
    Rule("create_port:fixed_ips:ip_address", OWNER, "Choose a port's address (network "
         "owners and admins)."),
    Rule("add_router_interface", OWNER, "Attach a subnet or port to a router."),
    Rule("remove_router_interface", OWNER, "Detach a subnet or port from a router."),
    Rule("get_extension", "", "List the API extensions."),
    Rule("get_agent", ADMIN, "List and show network agents."),
    Rule("update_agent", ADMIN, "Enable or disable an agent."),
    Rule("delete_agent", ADMIN, "Delete an agent."),
    Rule("get_dhcp-networks", ADMIN, "List the networks a DHCP agent serves."),
    Rule("create_dhcp-network", ADMIN, "Add a network to a DHCP agent."),
    Rule("delete_dhcp-network", ADMIN, "Remove a network from a DHCP agent."),
    Rule("get_dhcp-agents", ADMIN, "List the DHCP agents serving a network."),
    Rule("get_l3-routers", ADMIN, "List the routers an L3 agent hosts."),
    Rule("create_l3-router", ADMIN, "Add a router to an L3 agent."),
    Rule("delete_l3-router", ADMIN, "Remove a router from an L3 agent."),
    Rule("get_l3-agents", ADMIN, "List the L3 agents hosting a router."),
    Rule("get_quota", "role:admin or (role:reader and project_id:%(project_id)s)",
         "Show a project's quotas."),
    Rule("update_quota", ADMIN, "Set a project's quotas."),
    Rule("delete_quota", ADMIN, "Reset a project's quotas to the defaults."),
    Rule("get_network_ip_availability", ADMIN, "Show networks' address usage."),
    Rule("get_availability_zone", READER, "List availability zones."),
    Rule("get_auto_allocated_topology", OWNER, "Get (or make) a project's network."),
    Rule("delete_auto_allocated_topology", OWNER, "Remove a project's auto network."),
    Rule("create_tags", OWNER, "Tag a resource."),
    Rule("update_tags", OWNER, "Replace a resource's tags."),
    Rule("delete_tags", OWNER, "Untag a resource."),
    Rule("get_tags", READER, "Read a resource's tags."),
]

# RBAC: only admins share with every project (neutron's restrict_wildcard); checked when the
# target is `*`.
RULES += [
    Rule("create_rbac_policy:target_tenant", ADMIN, "Share an object with every project."),
    Rule("update_rbac_policy:target_tenant", ADMIN, "Share an object with every project."),
]

# Routers and floating IPs: only admins pick a floating IP's address (neutron's default).
RULES += [
    Rule("create_floatingip:floating_ip_address", ADMIN, "Choose a floating IP's address."),
]
RULES += [
    Rule("add_extraroutes", OWNER, "Add routes to a router (extraroute-atomic)."),
    Rule("remove_extraroutes", OWNER, "Remove routes from a router (extraroute-atomic)."),
]
