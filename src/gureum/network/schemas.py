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
SEG_ID = {"type": ["integer", "string", "null"], "pattern": "^[0-9]+$"}

PROVIDER: dict[str, Any] = {
    "provider:network_type": {"type": "string"},
    "provider:physical_network": NULLABLE_TEXT,
    "provider:segmentation_id": {"type": ["integer", "null"], "minimum": 0},
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
    "binding:profile": {"type": ["object", "null"]}, "dns_name": NULLABLE_TEXT,
    "qos_policy_id": {"type": "null"}, "propagate_uplink_status": BOOLEAN,
}
CREATE_PORT = envelope("port", obj({**PORT_FIELDS, **PROJECT, "network_id": UUID},
                                   required=("network_id",)))
UPDATE_PORT = envelope("port", obj({**PORT_FIELDS, "network_id": {}}))
