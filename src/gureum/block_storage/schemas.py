"""Request JSON Schemas, as cinder's (cinder/api/schemas) accept them."""

from __future__ import annotations

from typing import Any

from gureum.core.validation import BOOLEAN, envelope, obj

TEXT = {"type": ["string", "null"], "maxLength": 255}
ID = {"type": "string", "minLength": 1, "maxLength": 255}
NULLABLE_ID = {"type": ["string", "null"], "maxLength": 255}
SIZE = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1,
        "maximum": 2**31 - 1}
NULLABLE_SIZE = {**SIZE, "type": ["integer", "string", "null"]}
METADATA = {"type": ["object", "null"], "maxProperties": 1000,
            "patternProperties": {"^.{1,255}$": {"type": "string", "maxLength": 255}},
            "additionalProperties": False}
KEY_VALUES = {"type": "object", "patternProperties": {
    "^[a-zA-Z0-9-_:. /]{1,255}$": {"type": ["string", "number", "boolean"],
                                    "maxLength": 255}},
    "additionalProperties": False}
BOOLISH = {"type": ["boolean", "string"], "enum": [True, False, "true", "false", "True",
                                                    "False", "1", "0", "yes", "no"]}
CONNECTOR: dict[str, Any] = {"type": ["object", "null"]}

CREATE_VOLUME = obj({
    "volume": obj({
        "size": NULLABLE_SIZE, "name": TEXT, "description": TEXT, "display_name": TEXT,
        "display_description": TEXT, "availability_zone": TEXT, "volume_type": NULLABLE_ID,
        "metadata": METADATA, "snapshot_id": NULLABLE_ID, "source_volid": NULLABLE_ID,
        "multiattach": BOOLEAN, "imageRef": NULLABLE_ID, "backup_id": NULLABLE_ID,
        "consistencygroup_id": NULLABLE_ID, "group_id": NULLABLE_ID},
        extra=False),
    "OS-SCH-HNT:scheduler_hints": {"type": ["object", "null"]},
}, required=("volume",))
UPDATE_VOLUME = envelope("volume", obj({
    "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT,
    "metadata": METADATA}))
METADATA_BODY = obj({"metadata": METADATA}, required=("metadata",))
META_ITEM = obj({"meta": {"type": "object", "minProperties": 1, "maxProperties": 1,
                          "additionalProperties": {"type": "string", "maxLength": 255}}},
                required=("meta",))

# POST /volumes/{id}/action: one action per body; each is checked by its handler's schema
_ACTIONS: dict[str, Any] = {
    "os-extend": obj({"new_size": SIZE}, required=("new_size",)),
    "os-retype": obj({"new_type": {"type": "string", "minLength": 1, "maxLength": 255},
                      "migration_policy": {"enum": ["never", "on-demand", None]}},
                     required=("new_type",)),
    "os-set_bootable": obj({"bootable": BOOLISH}, required=("bootable",)),
    "os-update_readonly_flag": obj({"readonly": BOOLISH}, required=("readonly",)),
    "os-reset_status": obj({"status": {"type": "string"},
                            "attach_status": {"enum": ["attached", "detached"]},
                            "migration_status": {"type": ["string", "null"]}}),
    "os-reserve": {"type": ["object", "null"]},
    "os-unreserve": {"type": ["object", "null"]},
    "os-begin_detaching": {"type": ["object", "null"]},
    "os-roll_detaching": {"type": ["object", "null"]},
    "os-initialize_connection": obj({"connector": {"type": "object"}},
                                    required=("connector",)),
    "os-terminate_connection": obj({"connector": {"type": ["object", "null"]}},
                                   required=("connector",)),
    "os-attach": obj({"instance_uuid": NULLABLE_ID, "host_name": NULLABLE_ID,
                      "mountpoint": {"type": "string"}, "mode": {"enum": ["rw", "ro"]}},
                     required=("mountpoint",)),
    "os-detach": {"type": ["object", "null"], "properties": {
        "attachment_id": NULLABLE_ID}},
    "revert": obj({"snapshot_id": ID}, required=("snapshot_id",)),
    "os-volume_upload_image": obj({
        "image_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "force": BOOLISH,
        "disk_format": {"enum": ["raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop"]},
        "container_format": {"enum": ["bare"]},
        "visibility": {"enum": ["public", "private", "shared", "community"]},
        "protected": BOOLISH}, required=("image_name",)),
}
VOLUME_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1,
                 "properties": _ACTIONS, "additionalProperties": False}

CREATE_SNAPSHOT = envelope("snapshot", obj({
    "volume_id": ID, "name": TEXT, "description": TEXT, "display_name": TEXT,
    "display_description": TEXT, "force": BOOLISH, "metadata": METADATA},
    required=("volume_id",)))
UPDATE_SNAPSHOT = envelope("snapshot", obj({
    "name": TEXT, "description": TEXT, "display_name": TEXT, "display_description": TEXT}))

CREATE_TYPE = envelope("volume_type", obj({
    "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"},
    "description": TEXT, "os-volume-type-access:is_public": BOOLISH,
    "extra_specs": KEY_VALUES}, required=("name",)))
UPDATE_TYPE = envelope("volume_type", obj({
    "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
    "description": TEXT, "is_public": BOOLISH}))
EXTRA_SPECS = obj({"extra_specs": KEY_VALUES}, required=("extra_specs",))
EXTRA_SPEC_ITEM = {"type": "object", "minProperties": 1, "maxProperties": 1,
                   "additionalProperties": {"type": ["string", "number", "boolean"],
                                            "maxLength": 255}}
TYPE_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
    "addProjectAccess": obj({"project": ID}, required=("project",)),
    "removeProjectAccess": obj({"project": ID}, required=("project",))},
    "additionalProperties": False}

CREATE_ATTACHMENT = envelope("attachment", obj({
    "volume_uuid": ID, "instance_uuid": NULLABLE_ID, "connector": CONNECTOR,
    "mode": {"enum": ["rw", "ro", "null", None]}}, required=("volume_uuid",)))
UPDATE_ATTACHMENT = envelope("attachment", obj({"connector": {"type": "object"}},
                                               required=("connector",)))
ATTACHMENT_ACTION = obj({"os-complete": {"type": ["object", "null"]}},
                        required=("os-complete",))

CREATE_BACKUP = envelope("backup", obj({
    "volume_id": ID, "container": NULLABLE_ID, "description": TEXT, "name": TEXT,
    "incremental": BOOLISH, "force": BOOLISH, "snapshot_id": NULLABLE_ID,
    "metadata": METADATA, "availability_zone": TEXT}, required=("volume_id",)))
UPDATE_BACKUP = envelope("backup", obj({"name": TEXT, "description": TEXT,
                                        "metadata": METADATA}))
RESTORE_BACKUP = obj({"restore": {"type": ["object", "null"], "properties": {
    "volume_id": NULLABLE_ID, "name": TEXT}, "additionalProperties": False}},
    required=("restore",))

QUOTA_VALUE = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$"}
UPDATE_QUOTA = envelope("quota_set", {"type": "object", "properties": {
    "id": {"type": "string"}, "project_id": {"type": "string"}},
    "additionalProperties": QUOTA_VALUE})
SERVICE_ACTION = obj({"host": ID, "binary": ID, "disabled_reason": TEXT},
                     required=("host", "binary"))
CREATE_TRANSFER = envelope("transfer", obj({"volume_id": ID, "name": TEXT,
                                            "no_snapshots": BOOLEAN},
                                           required=("volume_id",)))
ACCEPT_TRANSFER = envelope("accept", obj({"auth_key": {"type": "string", "minLength": 1,
                                                       "maxLength": 255}},
                                         required=("auth_key",)))

_QOS_VALUE = {"type": ["string", "number", "boolean"]}
CREATE_QOS_SPECS = envelope("qos_specs", {
    "type": "object", "required": ["name"], "additionalProperties": _QOS_VALUE,
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255,
                            "pattern": "\\S"},
                   "consumer": {"type": "string"},
                   # openstacksdk nests the keys under `specs`
                   "specs": {"type": "object", "additionalProperties": _QOS_VALUE}}})
UPDATE_QOS_SPECS = envelope("qos_specs", {"type": "object", "minProperties": 1,
                                          "additionalProperties": _QOS_VALUE})
DELETE_QOS_KEYS = obj({"keys": {"type": "array", "minItems": 1,
                                "items": {"type": "string", "minLength": 1}}},
                      required=("keys",))
