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
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
# 2.90: a hostname of the user's; 2.94: a fully qualified one (as hosts are named)
HOSTNAME = {"type": "string", "minLength": 2, "maxLength": 63,
            "pattern": "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$"}
FQDN = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9-._]*$"}
NETWORK_ITEM: dict[str, Any] = {"type": "object", "properties": {
    "uuid": {"type": "string"}, "port": {"type": ["string", "null"]},
    "fixed_ip": {"type": "string"}}, "additionalProperties": False}
HINTS = {"type": "object", "properties": {
    "group": UUID,
    "same_host": {"type": ["string", "array"], "items": {"type": "string"}},
    "different_host": {"type": ["string", "array"], "items": {"type": "string"}}}}


def _bdm(tagged: bool, typed: bool) -> dict[str, Any]:
    """block_device_mapping_v2: a device tag where networks take one (2.32, 2.42), a
    volume type from 2.67."""
    item: dict[str, Any] = {"type": "object", "properties": {
        "source_type": {"enum": ["volume", "image", "snapshot", "blank"]},
        "destination_type": {"enum": ["local", "volume"]},
        "uuid": {"type": "string", "minLength": 1, "maxLength": 255},
        "boot_index": {"type": ["integer", "string", "null"]},
        "volume_size": {"type": ["integer", "string", "null"]},
        "delete_on_termination": {"type": ["boolean", "string"]},
        "device_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "device_type": {"type": "string"}, "disk_bus": {"type": "string"},
        "guest_format": {"type": "string"}, "no_device": {}},
        "additionalProperties": False}
    if tagged:
        item["properties"]["tag"] = TAG
    if typed:
        item["properties"]["volume_type"] = {"type": ["string", "null"], "maxLength": 255}
    return {"type": "array", "items": item}


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
        "block_device_mapping_v2": _bdm(tagged=False, typed=False),
        "block_device_mapping": {"type": "array", "items": {
            "type": "object", "properties": {
                "volume_id": UUID, "device_name": {"type": "string", "maxLength": 255},
                "delete_on_termination": {"type": ["boolean", "string"]},
                "volume_size": {"type": ["integer", "string", "null"]}},
            "additionalProperties": True}},
        **extra},
        "required": ["name", "flavorRef", *required], "additionalProperties": False}
    return {"type": "object", "properties": {
        "server": server, "os:scheduler_hints": HINTS, "OS-SCH-HNT:scheduler_hints": HINTS},
        "required": ["server"], "additionalProperties": False}


def _networks(tagged: bool, auto: bool) -> dict[str, Any]:
    """A create's networks: device tags from 2.32 to 2.36 and from 2.42 (2.37 lost them);
    "auto" or "none" instead of a list from 2.37."""
    item = {**NETWORK_ITEM, "properties": {**NETWORK_ITEM["properties"], "tag": TAG}} \
        if tagged else NETWORK_ITEM
    listed = {"type": "array", "items": item}
    return {"oneOf": [listed, {"enum": ["auto", "none"]}]} if auto else listed


_SERVER_TAGS = {"type": "array", "items": TAG, "maxItems": 50}
TRUSTED_CERTS = {"type": ["array", "null"], "minItems": 1, "maxItems": 50,
                 "uniqueItems": True, "items": {"type": "string", "minLength": 1}}
CREATE_SERVER = {
    "2.1": _server_create(_networks(False, False), []),
    "2.19": _server_create(_networks(False, False), [], description=DESCRIPTION),
    "2.32": _server_create(_networks(True, False), [], description=DESCRIPTION,
                           block_device_mapping_v2=_bdm(True, False)),
    "2.37": _server_create(_networks(False, True), ["networks"], description=DESCRIPTION),
    "2.42": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           block_device_mapping_v2=_bdm(True, False)),
    # 2.52: tags given at create
    "2.52": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, block_device_mapping_v2=_bdm(True, False)),
    # 2.63: certificates the image's signature must chain to
    "2.63": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, trusted_image_certificates=TRUSTED_CERTS,
                           block_device_mapping_v2=_bdm(True, False)),
    # 2.67: a root or data volume of a volume type
    "2.67": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, trusted_image_certificates=TRUSTED_CERTS,
                           block_device_mapping_v2=_bdm(True, True)),
    # 2.74: a host or node asked for (the scheduler still checks it)
    "2.74": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, trusted_image_certificates=TRUSTED_CERTS,
                           host=FQDN, hypervisor_hostname=FQDN,
                           block_device_mapping_v2=_bdm(True, True)),
    "2.90": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, trusted_image_certificates=TRUSTED_CERTS,
                           host=FQDN, hypervisor_hostname=FQDN,
                           hostname=HOSTNAME,
                           block_device_mapping_v2=_bdm(True, True)),
    "2.94": _server_create(_networks(True, True), ["networks"], description=DESCRIPTION,
                           tags=_SERVER_TAGS, trusted_image_certificates=TRUSTED_CERTS,
                           host=FQDN, hypervisor_hostname=FQDN, hostname=FQDN,
                           block_device_mapping_v2=_bdm(True, True)),
}


def _server_update(**extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"server": {
        "type": "object", "properties": {
            "name": NAME, "accessIPv4": {"type": "string"},
            "accessIPv6": {"type": "string"},
            "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}, **extra},
        "additionalProperties": False}}, "required": ["server"],
        "additionalProperties": False}


UPDATE_SERVER = {"2.1": _server_update(), "2.19": _server_update(description=DESCRIPTION),
                 "2.90": _server_update(description=DESCRIPTION, hostname=HOSTNAME),
                 "2.94": _server_update(description=DESCRIPTION, hostname=FQDN)}

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

def _keypair(names: str, required: tuple[str, ...] = ("name",), **extra: Any,
             ) -> dict[str, Any]:
    return {"type": "object", "properties": {"keypair": {
        "type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": names},
            "public_key": {"type": "string"}, **extra},
        "required": list(required), "additionalProperties": False}},
        "required": ["keypair"], "additionalProperties": False}


_KEY_TYPE = {"enum": ["ssh", "x509"]}
_KEY_NAMES, _KEY_NAMES_292 = r"^[a-zA-Z0-9 _-]+$", r"^[a-zA-Z0-9 _.@-]+$"
CREATE_KEYPAIR = {
    "2.1": _keypair(_KEY_NAMES),
    "2.2": _keypair(_KEY_NAMES, type=_KEY_TYPE),
    "2.10": _keypair(_KEY_NAMES, type=_KEY_TYPE, user_id={"type": "string"}),
    # 2.92: no more generated keys ('@' and '.' allowed in names)
    "2.92": _keypair(_KEY_NAMES_292, ("name", "public_key"), type=_KEY_TYPE,
                     user_id={"type": "string"}),
}

REPLACE_TAGS = {"type": "object", "properties": {"tags": _SERVER_TAGS}, "required": ["tags"],
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
    "rebuild": {"type": "object", "properties": {
        "imageRef": {"type": "string", "minLength": 1}, "name": NAME,
        "adminPass": {"type": "string"}, "metadata": METADATA,
        "accessIPv4": {"type": ["string", "null"]}, "accessIPv6": {"type": ["string", "null"]},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        "preserve_ephemeral": {"type": "boolean"}, "description": DESCRIPTION,
        "personality": {"type": "array"}},
        "required": ["imageRef"], "additionalProperties": False},
    "rescue": {"type": ["object", "null"], "properties": {
        "adminPass": {"type": "string"}, "rescue_image_ref": {"type": "string"}},
        "additionalProperties": False},
    "unrescue": {"type": "null"},
    **dict.fromkeys(("os-getVNCConsole", "os-getSPICEConsole", "os-getRDPConsole",
                     "os-getSerialConsole"), {"type": "object", "properties": {
                         "type": {"type": "string"}}, "required": ["type"],
                         "additionalProperties": False}),
    "createBackup": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "backup_type": {"type": "string"},
        "rotation": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0},
        "metadata": METADATA}, "required": ["name", "backup_type", "rotation"],
        "additionalProperties": False},
    "resize": {"type": "object", "properties": {
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}},
        "required": ["flavorRef"], "additionalProperties": False},
    "confirmResize": {"type": "null"}, "revertResize": {"type": "null"},
    # migrate's host is 2.56's; os-migrateLive's fields change with the version (the
    # handler checks which): disk_over_commit before 2.25, force from 2.30 to 2.67
    "migrate": {"type": ["object", "null"], "properties": {
        "host": {**FQDN, "type": ["string", "null"]}}, "additionalProperties": False},
    "os-migrateLive": {"type": "object", "properties": {
        "host": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "block_migration": {"type": ["boolean", "string"]},
        "disk_over_commit": {"type": ["boolean", "string"]}, "force": {"type": "boolean"}},
        "required": ["host", "block_migration"], "additionalProperties": False},
    "evacuate": {"type": "object", "properties": {
        "host": {"type": "string", "minLength": 1, "maxLength": 255},
        "onSharedStorage": {"type": ["boolean", "string"]},
        "adminPass": {"type": "string"}, "force": {"type": "boolean"}},
        "additionalProperties": False},
    "shelve": {"type": "null"}, "shelveOffload": {"type": "null"},
    # 2.77 names a zone (checked in the handler: before it, nothing)
    "unshelve": {"type": ["object", "null"], "properties": {
        "availability_zone": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "host": FQDN}, "additionalProperties": False},
    "createImage": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "metadata": METADATA}, "required": ["name"], "additionalProperties": False},
}
_REBUILD: dict[str, Any] = _ACTION_ARGUMENTS["rebuild"]
# 2.54: a rebuild may change the key pair; 2.57: and the user data, with no personality
_REBUILD_254 = {**_REBUILD, "properties": {**_REBUILD["properties"], "key_name": {
    "type": ["string", "null"], "minLength": 1, "maxLength": 255}}}
_REBUILD_257 = {**_REBUILD_254, "properties": {
    **{k: v for k, v in _REBUILD_254["properties"].items() if k != "personality"},
    "user_data": {"type": ["string", "null"], "maxLength": 65535}}}
_REBUILD_263 = {**_REBUILD_257, "properties": {**_REBUILD_257["properties"],
                                               "trusted_image_certificates": TRUSTED_CERTS}}
_REBUILD_290 = {**_REBUILD_263, "properties": {**_REBUILD_263["properties"],
                                               "hostname": HOSTNAME}}
_REBUILD_294 = {**_REBUILD_263, "properties": {**_REBUILD_263["properties"], "hostname": FQDN}}
# 2.73: a lock may say why
_LOCK_273 = {"type": ["object", "null"], "properties": {
    "locked_reason": {"type": "string", "minLength": 1, "maxLength": 255}},
    "additionalProperties": False}


def _actions(**overrides: Any) -> dict[str, Any]:
    return {"type": "object", "minProperties": 1, "maxProperties": 1,
            "properties": {**_ACTION_ARGUMENTS, **overrides}}


SERVER_ACTION = {
    "2.1": _actions(),
    "2.54": _actions(rebuild=_REBUILD_254),
    "2.57": _actions(rebuild=_REBUILD_257),
    "2.63": _actions(rebuild=_REBUILD_263),
    "2.73": _actions(rebuild=_REBUILD_263, lock=_LOCK_273),
    "2.90": _actions(rebuild=_REBUILD_290, lock=_LOCK_273),
    "2.94": _actions(rebuild=_REBUILD_294, lock=_LOCK_273),
}

SERVICE_UPDATE = {
    "2.1": {"type": "object", "properties": {
        "host": {"type": "string", "minLength": 1},
        "binary": {"type": "string", "minLength": 1},
        "disabled_reason": {"type": "string", "maxLength": 255},
        "forced_down": {"type": "boolean"}}, "required": ["host", "binary"],
        "additionalProperties": False},
    # 2.53: PUT /os-services/{uuid} with what is to change
    "2.53": {"type": "object", "properties": {
        "status": {"enum": ["enabled", "disabled"]},
        "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
        "forced_down": {"type": "boolean"}}, "additionalProperties": False},
}
CACHE_IMAGES = {"type": "object", "properties": {"cache": {
    "type": "array", "minItems": 1, "items": {
        "type": "object", "properties": {"id": UUID}, "required": ["id"],
        "additionalProperties": False}}}, "required": ["cache"], "additionalProperties": False}
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
_GROUP_POLICY = {"enum": ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]}
_GROUP_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
CREATE_SERVER_GROUP = {
    "2.1": {"type": "object", "properties": {"server_group": {
        "type": "object", "properties": {
            "name": _GROUP_NAME,
            "policies": {"type": "array", "minItems": 1, "maxItems": 1,
                         "items": _GROUP_POLICY}},
        "required": ["name", "policies"], "additionalProperties": False}},
        "required": ["server_group"], "additionalProperties": False},
    # 2.64: one policy, and rules for it
    "2.64": {"type": "object", "properties": {"server_group": {
        "type": "object", "properties": {
            "name": _GROUP_NAME, "policy": _GROUP_POLICY,
            "rules": {"type": "object", "properties": {"max_server_per_host": {
                "type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1}},
                "additionalProperties": False}},
        "required": ["name", "policy"], "additionalProperties": False}},
        "required": ["server_group"], "additionalProperties": False},
}

_QUOTA_VALUE = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": -1}
_QUOTA_NAMES = ("instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups",
                "server_group_members")
_PERSONALITY = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
_PROXY = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules", "networks")


def _quotas(key: str, names: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {key: {
        "type": "object", "properties": {**{r: _QUOTA_VALUE for r in names}, **extra},
        "additionalProperties": False}}, "required": [key], "additionalProperties": False}


# 2.36 refuses the network proxy quotas in quota sets, 2.50 in quota classes, 2.57 the
# personality quotas in both
_FORCE = {"force": {"type": ["boolean", "string"]}}
UPDATE_QUOTAS = {
    "2.1": _quotas("quota_set", _QUOTA_NAMES + _PERSONALITY + _PROXY, **_FORCE),
    "2.36": _quotas("quota_set", _QUOTA_NAMES + _PERSONALITY, **_FORCE),
    "2.57": _quotas("quota_set", _QUOTA_NAMES, **_FORCE),
}
UPDATE_QUOTA_CLASS = {
    "2.1": _quotas("quota_class_set", _QUOTA_NAMES + _PERSONALITY + _PROXY),
    "2.50": _quotas("quota_class_set", _QUOTA_NAMES + _PERSONALITY),
    "2.57": _quotas("quota_class_set", _QUOTA_NAMES),
}

METADATA_BODY = {"type": "object", "properties": {"metadata": METADATA},
                 "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object", "properties": {"meta": {**METADATA, "minProperties": 1,
                                                       "maxProperties": 1}},
             "required": ["meta"], "additionalProperties": False}

_ATTACH_VOLUME: dict[str, Any] = {"type": "object", "properties": {
    "volumeId": {"type": "string", "format": "uuid"},
    "device": {"type": ["string", "null"],
               "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"}},
    "required": ["volumeId"], "additionalProperties": False}


def _attach(key: str, attachment: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"type": "object", "properties": {key: attachment},
            **({"required": [key]} if required else {}), "additionalProperties": False}


# 2.49: a device tag (a server tag's shape) on what is attached
_ATTACH_VOLUME_249 = {**_ATTACH_VOLUME, "properties": {**_ATTACH_VOLUME["properties"],
                                                       "tag": TAG}}
ATTACH_VOLUME = {
    "2.1": _attach("volumeAttachment", _ATTACH_VOLUME),
    "2.49": _attach("volumeAttachment", _ATTACH_VOLUME_249),
    # 2.79: whether the volume goes with the server
    "2.79": _attach("volumeAttachment", {**_ATTACH_VOLUME_249, "properties": {
        **_ATTACH_VOLUME_249["properties"], "delete_on_termination": {"type": "boolean"}}}),
}

_ATTACH_INTERFACE: dict[str, Any] = {"type": "object", "properties": {
    "net_id": {"type": "string", "format": "uuid"},
    "port_id": {"type": "string", "format": "uuid"},
    "fixed_ips": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
        "type": "object", "properties": {"ip_address": {"type": "string"}},
        "required": ["ip_address"], "additionalProperties": False}}},
    "additionalProperties": False}
ATTACH_INTERFACE = {
    "2.1": _attach("interfaceAttachment", _ATTACH_INTERFACE, required=False),
    "2.49": _attach("interfaceAttachment", {**_ATTACH_INTERFACE, "properties": {
        **_ATTACH_INTERFACE["properties"], "tag": TAG}}, required=False),
}

REMOTE_CONSOLE = {"type": "object", "properties": {"remote_console": {
    "type": "object", "properties": {
        "protocol": {"enum": ["vnc", "spice", "rdp", "serial", "mks"]},
        "type": {"enum": ["novnc", "xvpvnc", "rdp-html5", "spice-html5", "spice-direct",
                          "serial", "webmks"]}},
    "required": ["protocol", "type"], "additionalProperties": False}},
    "required": ["remote_console"], "additionalProperties": False}

UPDATE_VOLUME_ATTACHMENT = {"type": "object", "properties": {"volumeAttachment": {
    "type": "object", "properties": {
        "volumeId": UUID, "delete_on_termination": {"type": "boolean"},
        # what the answer to an attach shows, accepted back as nova does
        "id": {}, "serverId": {}, "device": {}, "tag": {}},
    "required": ["volumeId"], "additionalProperties": False}},
    "required": ["volumeAttachment"], "additionalProperties": False}
