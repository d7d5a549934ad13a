"""Request bodies (JSON Schema). neutron refuses attributes it does not know (400)."""

from __future__ import annotations

from typing import Any

from gureum.core.validation import BOOLEAN, envelope, obj

TEXT = {"type": "string", "maxLength": 255}
NULLABLE_TEXT = {"type": ["string", "null"], "maxLength": 255}
UUID = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_UUID = {"type": ["string", "null"], "maxLength": 64}
PROJECT = {"project_id": UUID, "tenant_id": UUID}
STANDARD = {"name": NULLABLE_TEXT, "description": NULLABLE_TEXT}
STRINGS = {"type": "array", "items": {"type": "string", "maxLength": 255}}

PROVIDER: dict[str, Any] = {
    "provider:network_type": {"type": "string"},
    "provider:physical_network": NULLABLE_TEXT,
    # The CLI sends it as a string; neutron converts.
    "provider:segmentation_id": {"type": ["integer", "string", "null"], "minimum": 0,
                                 "pattern": "^[0-9]+$"},
}
NETWORK_FIELDS: dict[str, Any] = {
    **STANDARD, "admin_state_up": BOOLEAN, "shared": BOOLEAN, "router:external": BOOLEAN,
    "mtu": {"type": "integer", "minimum": 68}, "port_security_enabled": BOOLEAN,
    "availability_zone_hints": STRINGS, "dns_domain": NULLABLE_TEXT, "is_default": BOOLEAN,
    "qos_policy_id": {"type": "null"}, **PROVIDER,
    "segments": {"type": "array", "items": obj(PROVIDER)},
}
CREATE_NETWORK = envelope("network", obj({**NETWORK_FIELDS, **PROJECT}))
UPDATE_NETWORK = envelope("network", obj(NETWORK_FIELDS))

POOL = obj({"start": {"type": "string"}, "end": {"type": "string"}}, ("start", "end"))
ROUTE = obj({"destination": {"type": "string"}, "nexthop": {"type": "string"}},
            ("destination", "nexthop"))
IPV6_MODE = {"enum": ["slaac", "dhcpv6-stateful", "dhcpv6-stateless", None]}
SUBNET_FIELDS: dict[str, Any] = {
    **STANDARD, "gateway_ip": {"type": ["string", "null"]}, "enable_dhcp": BOOLEAN,
    "allocation_pools": {"type": ["array", "null"], "items": POOL},
    "dns_nameservers": {"type": ["array", "null"], "items": {"type": "string"}},
    "host_routes": {"type": ["array", "null"], "items": ROUTE},
    "service_types": STRINGS, "segment_id": NULLABLE_UUID, "dns_publish_fixed_ip": BOOLEAN,
}
CREATE_SUBNET = envelope("subnet", obj({
    **SUBNET_FIELDS, **PROJECT, "network_id": UUID, "ip_version": {"enum": [4, 6]},
    "cidr": {"type": ["string", "null"]}, "subnetpool_id": NULLABLE_UUID,
    "prefixlen": {"type": "integer", "minimum": 0, "maximum": 128},
    "use_default_subnetpool": BOOLEAN, "ipv6_ra_mode": IPV6_MODE,
    "ipv6_address_mode": IPV6_MODE}, required=("network_id",)))
UPDATE_SUBNET = envelope("subnet", obj({**SUBNET_FIELDS, "cidr": {}, "ip_version": {},
                                        "network_id": {}, "ipv6_ra_mode": {},
                                        "ipv6_address_mode": {}}))

FIXED_IP = obj({"subnet_id": UUID, "ip_address": {"type": "string"}})
PAIR = obj({"ip_address": {"type": "string"}, "mac_address": {"type": "string"}},
           ("ip_address",))
DHCP_OPT = obj({"opt_name": {"type": "string"}, "opt_value": {"type": ["string", "null"]},
                "ip_version": {"enum": [4, 6, None]}}, ("opt_name",))
MAC = {"type": "string", "pattern": "^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$"}
PORT_FIELDS: dict[str, Any] = {
    **STANDARD, "admin_state_up": BOOLEAN, "mac_address": MAC,
    "device_id": NULLABLE_TEXT, "device_owner": NULLABLE_TEXT,
    "fixed_ips": {"type": ["array", "null"], "items": FIXED_IP},
    "security_groups": {"type": ["array", "null"], "items": UUID},
    "allowed_address_pairs": {"type": ["array", "null"], "items": PAIR},
    "extra_dhcp_opts": {"type": ["array", "null"], "items": DHCP_OPT},
    "port_security_enabled": BOOLEAN, "binding:host_id": NULLABLE_TEXT,
    "binding:vnic_type": {"enum": ["normal", "direct", "macvtap", "baremetal",
                                   "direct-physical", "virtio-forwarder", "smart-nic",
                                   "vdpa", "remote-managed"]},
    "binding:profile": {"type": ["object", "null"]},
    "qos_policy_id": {"type": "null"}, "propagate_uplink_status": BOOLEAN,
}
CREATE_PORT = envelope("port", obj({**PORT_FIELDS, **PROJECT, "network_id": UUID},
                                   required=("network_id",)))
UPDATE_PORT = envelope("port", obj({**PORT_FIELDS, "network_id": {}}))

SECURITY_GROUP_FIELDS: dict[str, Any] = {**STANDARD, "stateful": BOOLEAN}
CREATE_SECURITY_GROUP = envelope("security_group", obj({**SECURITY_GROUP_FIELDS, **PROJECT}))
UPDATE_SECURITY_GROUP = envelope("security_group", obj(SECURITY_GROUP_FIELDS))
PORT_NUMBER = {"type": ["integer", "string", "null"]}
SECURITY_GROUP_RULE = obj({
    "security_group_id": UUID, "direction": {"enum": ["ingress", "egress"]},
    "ethertype": {"type": "string"}, "protocol": {"type": ["string", "integer", "null"]},
    "port_range_min": PORT_NUMBER, "port_range_max": PORT_NUMBER,
    "remote_ip_prefix": {"type": ["string", "null"]}, "remote_group_id": NULLABLE_UUID,
    "description": NULLABLE_TEXT, **PROJECT}, required=("security_group_id", "direction"))
# One rule, or several at once (neutron's bulk create; all in one group).
CREATE_SECURITY_GROUP_RULE: dict[str, Any] = {
    **obj({"security_group_rule": SECURITY_GROUP_RULE,
           "security_group_rules": {"type": "array", "items": SECURITY_GROUP_RULE,
                                    "minItems": 1}}),
    "minProperties": 1, "maxProperties": 1}

# ---------------------------------------------------------------- routers, floating IPs
GATEWAY_INFO = {"type": ["object", "null"], "properties": {
    "network_id": UUID, "enable_snat": BOOLEAN,
    "external_fixed_ips": {"type": ["array", "null"], "items": FIXED_IP}},
    "additionalProperties": False}
ROUTER_FIELDS: dict[str, Any] = {**STANDARD, "admin_state_up": BOOLEAN,
                                 "external_gateway_info": GATEWAY_INFO}
CREATE_ROUTER = envelope("router", obj({**ROUTER_FIELDS, **PROJECT,
                                        "availability_zone_hints": STRINGS}))
UPDATE_ROUTER = envelope("router", obj({**ROUTER_FIELDS,
                                        "routes": {"type": ["array", "null"], "items": ROUTE}}))
ROUTER_INTERFACE = obj({"subnet_id": UUID, "port_id": UUID})
FLOATINGIP_FIELDS: dict[str, Any] = {
    "description": NULLABLE_TEXT, "port_id": NULLABLE_UUID,
    "fixed_ip_address": {"type": ["string", "null"]}, "qos_policy_id": {"type": "null"}}
CREATE_FLOATINGIP = envelope("floatingip", obj({
    **FLOATINGIP_FIELDS, **PROJECT, "floating_network_id": UUID,
    "floating_ip_address": {"type": ["string", "null"]}, "subnet_id": NULLABLE_UUID},
    required=("floating_network_id",)))
UPDATE_FLOATINGIP = envelope("floatingip", obj(FLOATINGIP_FIELDS))
EXTRAROUTES = envelope("router", obj({"routes": {"type": "array", "items": ROUTE}},
                                     required=("routes",)))
