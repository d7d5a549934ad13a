"""Request JSON Schemas of the compute API (nova's, where microversions differ a
{min_version: schema} map)."""

from __future__ import annotations

from typing import Any

NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
DESCRIPTION = {"type": ["string", "null"], "maxLength": 255}
METADATA = {"type": "object", "maxProperties": 1000,
            "patternProperties": {"^.{1,255}$": {"type": "string", "maxLength": 255}},
            "additionalProperties": False}
UUID = {"type": "string", "format": "uuid"}
NETWORK_ITEM = {"type": "object", "properties": {
    "uuid": {"type": "string"}, "port": {"type": ["string", "null"]},
    "fixed_ip": {"type": "string"}, "tag": {"type": "string", "maxLength": 60}},
    "additionalProperties": False}
HINTS = {"type": "object", "properties": {
    "group": UUID,
    "same_host": {"type": ["string", "array"], "items": {"type": "string"}},
    "different_host": {"type": ["string", "array"], "items": {"type": "string"}}}}


def _server_create(networks: dict[str, Any], required: list[str],
                   **extra: Any) -> dict[str, Any]:
    """`required` beyond name and flavorRef (imageRef may come as the root block
    device mapping instead, as the CLI sends it)."""
    server: dict[str, Any] = {"type": "object", "properties": {
        "name": NAME, "imageRef": {"type": "string"}, "flavorRef": {"type": ["string",
                                                                              "integer"]},
        "adminPass": {"type": "string"}, "metadata": METADATA, "networks": networks,
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "user_data": {"type": "string"},
        "security_groups": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string", "minLength": 1}},
            "required": ["name"]}},
        "min_count": {"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$",
                      "minimum": 1},
        "max_count": {"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$",
                      "minimum": 1},
        "return_reservation_id": {"type": ["boolean", "string"]},
        "config_drive": {"type": ["boolean", "string"]},
        "block_device_mapping_v2": {"type": "array", "items": {"type": "object"}},
        **extra},
        "required": ["name", "flavorRef", *required], "additionalProperties": False}
    return {"type": "object", "properties": {
        "server": server, "os:scheduler_hints": HINTS, "OS-SCH-HNT:scheduler_hints": HINTS},
        "required": ["server"], "additionalProperties": False}


_NETWORKS_OLD = {"type": "array", "items": NETWORK_ITEM}
_NETWORKS_NEW = {"oneOf": [_NETWORKS_OLD, {"enum": ["auto", "none"]}]}
CREATE_SERVER = {
    "2.1": _server_create(_NETWORKS_OLD, []),
    "2.19": _server_create(_NETWORKS_OLD, [], description=DESCRIPTION),
    "2.37": _server_create(_NETWORKS_NEW, ["networks"], description=DESCRIPTION),
}


def _server_update(**extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"server": {
        "type": "object", "properties": {
            "name": NAME, "accessIPv4": {"type": "string"},
            "accessIPv6": {"type": "string"},
            "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}, **extra},
        "additionalProperties": False}}, "required": ["server"],
        "additionalProperties": False}


UPDATE_SERVER = {"2.1": _server_update(), "2.19": _server_update(description=DESCRIPTION)}

_FLAVOR = {"type": "object", "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "id": {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
           "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
    "ram": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
    "vcpus": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
    "disk": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0},
    "OS-FLV-EXT-DATA:ephemeral": {"type": ["integer", "string"], "minimum": 0},
    "swap": {"type": ["integer", "string"], "minimum": 0},
    "rxtx_factor": {"type": ["number", "string"], "minimum": 0},
    "os-flavor-access:is_public": {"type": "boolean"}},
    "required": ["name", "ram", "vcpus", "disk"], "additionalProperties": False}
CREATE_FLAVOR = {
    "2.1": {"type": "object", "properties": {"flavor": _FLAVOR}, "required": ["flavor"],
            "additionalProperties": False},
    "2.55": {"type": "object", "properties": {"flavor": {
        **_FLAVOR, "properties": {**_FLAVOR["properties"],  # type: ignore[dict-item]
                                  "description": {"type": ["string", "null"],
                                                  "maxLength": 65535}}}},
        "required": ["flavor"], "additionalProperties": False},
}
UPDATE_FLAVOR = {"type": "object", "properties": {"flavor": {
    "type": "object", "properties": {"description": {"type": ["string", "null"],
                                                     "maxLength": 65535}},
    "required": ["description"], "additionalProperties": False}},
    "required": ["flavor"], "additionalProperties": False}
EXTRA_SPECS = {"type": "object", "properties": {"extra_specs": {
    "type": "object", "patternProperties": {
        r"^[\w.:/ -]{1,255}$": {"type": ["string", "number", "boolean"]}},
    "additionalProperties": False}}, "required": ["extra_specs"],
    "additionalProperties": False}
EXTRA_SPEC_ITEM = {"type": "object", "minProperties": 1, "maxProperties": 1,
                   "patternProperties": {r"^[\w.:/ -]{1,255}$": {
                       "type": ["string", "number", "boolean"]}},
                   "additionalProperties": False}
FLAVOR_ACTION = {"type": "object", "properties": {
    "addTenantAccess": {"type": "object", "properties": {"tenant": {"type": "string"}},
                        "required": ["tenant"]},
    "removeTenantAccess": {"type": "object", "properties": {"tenant": {"type": "string"}},
                           "required": ["tenant"]}},
    "minProperties": 1, "maxProperties": 1}

_KEYPAIR = {"type": "object", "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": r"^[a-zA-Z0-9 _.@-]+$"},
    "public_key": {"type": "string"}}, "required": ["name"], "additionalProperties": False}
CREATE_KEYPAIR = {
    "2.1": {"type": "object", "properties": {"keypair": _KEYPAIR}, "required": ["keypair"],
            "additionalProperties": False},
    "2.2": {"type": "object", "properties": {"keypair": {
        **_KEYPAIR, "properties": {**_KEYPAIR["properties"],  # type: ignore[dict-item]
                                   "type": {"enum": ["ssh", "x509"]}}}},
        "required": ["keypair"], "additionalProperties": False},
    "2.10": {"type": "object", "properties": {"keypair": {
        **_KEYPAIR, "properties": {**_KEYPAIR["properties"],  # type: ignore[dict-item]
                                   "type": {"enum": ["ssh", "x509"]},
                                   "user_id": {"type": "string"}}}},
        "required": ["keypair"], "additionalProperties": False},
}

TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
REPLACE_TAGS = {"type": "object", "properties": {"tags": {
    "type": "array", "items": TAG, "maxItems": 50}}, "required": ["tags"],
    "additionalProperties": False}

# POST /servers/{id}/action: one action per body, each argument shaped as nova's schemas
# shape it (actions nova takes without a schema accept any argument).
_ACTION_ARGUMENTS: dict[str, Any] = {
    "reboot": {"type": "object", "properties": {"type": {
        "type": "string", "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
        "required": ["type"], "additionalProperties": False},
    "os-getConsoleOutput": {"type": "object", "properties": {"length": {
        "type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$", "minimum": -1}},
        "additionalProperties": False},
    "os-resetState": {"type": "object", "properties": {"state": {
        "type": "string", "enum": ["active", "error"]}},
        "required": ["state"], "additionalProperties": False},
    "addSecurityGroup": {"type": "object", "properties": {"name": {
        "type": "string", "minLength": 1}}, "required": ["name"],
        "additionalProperties": False},
    "removeSecurityGroup": {"type": "object", "properties": {"name": {
        "type": "string", "minLength": 1}}, "required": ["name"],
        "additionalProperties": False},
    "createImage": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "metadata": METADATA}, "required": ["name"], "additionalProperties": False},
}
SERVER_ACTION = {
    "2.1": {"type": "object", "minProperties": 1, "maxProperties": 1,
            "properties": _ACTION_ARGUMENTS},
    # 2.73: a lock may say why
    "2.73": {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
        **_ACTION_ARGUMENTS, "lock": {"type": ["object", "null"], "properties": {
            "locked_reason": {"type": "string", "minLength": 1, "maxLength": 255}},
            "additionalProperties": False}}},
}

SERVICE_UPDATE = {"type": "object", "properties": {
    "host": {"type": "string", "minLength": 1}, "binary": {"type": "string", "minLength": 1},
    "disabled_reason": {"type": "string", "maxLength": 255},
    "forced_down": {"type": "boolean"}}, "required": ["host", "binary"],
    "additionalProperties": False}
_AGGREGATE_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
CREATE_AGGREGATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": _AGGREGATE_NAME, "availability_zone": _ZONE},
    "required": ["name"], "additionalProperties": False}}, "required": ["aggregate"],
    "additionalProperties": False}
UPDATE_AGGREGATE = {"type": "object", "properties": {"aggregate": {
    "type": "object", "properties": {"name": _AGGREGATE_NAME, "availability_zone": _ZONE},
    "minProperties": 1, "additionalProperties": False}}, "required": ["aggregate"],
    "additionalProperties": False}
_HOST = {"type": "object", "properties": {"host": {"type": "string", "minLength": 1}},
         "required": ["host"], "additionalProperties": False}
AGGREGATE_ACTION = {"type": "object", "properties": {
    "add_host": _HOST, "remove_host": _HOST,
    "set_metadata": {"type": "object", "properties": {"metadata": {
        "type": "object", "patternProperties": {"^.{1,255}$": {
            "type": ["string", "null"], "maxLength": 255}},
        "additionalProperties": False}}, "required": ["metadata"]}},
    "minProperties": 1, "maxProperties": 1, "additionalProperties": False}
CREATE_SERVER_GROUP = {"type": "object", "properties": {"server_group": {
    "type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "policies": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "enum": ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]}}},
    "required": ["name", "policies"], "additionalProperties": False}},
    "required": ["server_group"], "additionalProperties": False}

_QUOTA_VALUE = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": -1}
_QUOTAS = {r: _QUOTA_VALUE for r in (
    "instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups",
    "server_group_members", "injected_files", "injected_file_content_bytes",
    "injected_file_path_bytes", "fixed_ips", "floating_ips", "security_groups",
    "security_group_rules", "networks")}
UPDATE_QUOTAS = {"type": "object", "properties": {"quota_set": {
    "type": "object", "properties": {**_QUOTAS, "force": {"type": ["boolean", "string"]}},
    "additionalProperties": False}}, "required": ["quota_set"], "additionalProperties": False}
UPDATE_QUOTA_CLASS = {"type": "object", "properties": {"quota_class_set": {
    "type": "object", "properties": _QUOTAS, "additionalProperties": False}},
    "required": ["quota_class_set"], "additionalProperties": False}

METADATA_BODY = {"type": "object", "properties": {"metadata": METADATA},
                 "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": {**METADATA, "minProperties": 1,
                                                       "maxProperties": 1}},
             "required": ["meta"], "additionalProperties": False}

ATTACH_VOLUME = {"type": "object", "properties": {"volumeAttachment": {
    "type": "object", "properties": {
        "volumeId": {"type": "string", "format": "uuid"},
        "device": {"type": ["string", "null"],
                   "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"}},
    "required": ["volumeId"], "additionalProperties": False}},
    "required": ["volumeAttachment"], "additionalProperties": False}
