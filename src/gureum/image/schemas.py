"""Request bodies, as glance's image schema accepts them."""

from __future__ import annotations

from typing import Any

from gureum.core.validation import obj
from gureum.image.formats import CONTAINER_FORMATS, DISK_FORMATS

UUID = {"type": "string", "pattern": "^([0-9a-fA-F]){8}-?([0-9a-fA-F]){4}-?([0-9a-fA-F]){4}"
        "-?([0-9a-fA-F]){4}-?([0-9a-fA-F]){12}$"}
VISIBILITIES = ("public", "private", "shared", "community")
TAG = {"type": "string", "minLength": 1, "maxLength": 255}

IMAGE_PROPERTIES: dict[str, Any] = {
    "id": UUID,
    "name": {"type": ["string", "null"], "maxLength": 255},
    "visibility": {"enum": list(VISIBILITIES)},
    "protected": {"type": "boolean"},
    "os_hidden": {"type": "boolean"},
    "disk_format": {"enum": [None, *DISK_FORMATS]},
    "container_format": {"enum": [None, *CONTAINER_FORMATS]},
    "min_disk": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "min_ram": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "tags": {"type": "array", "items": TAG, "maxItems": 128},
}
# Everything else a user sets is a custom property: a string, as glance keeps them.
CUSTOM_PROPERTY = {"type": "string", "maxLength": 65535}
READ_ONLY = frozenset({"status", "size", "virtual_size", "checksum", "os_hash_algo",
                       "os_hash_value", "created_at", "updated_at", "self", "file", "schema",
                       "direct_url", "locations", "owner"})
# Read-only attributes pass the schema so that the manager can answer 403, as glance does.
CREATE_IMAGE = {"type": "object",
                "properties": {**IMAGE_PROPERTIES, **{name: {} for name in READ_ONLY}},
                "additionalProperties": CUSTOM_PROPERTY}

JSON_PATCH = {"type": "array", "items": obj({
    "op": {"enum": ["add", "replace", "remove"]},
    "path": {"type": "string", "pattern": "^/[^/]+$"},
    "value": {}}, required=("op", "path"))}

IMPORT = obj({"method": obj({"name": {"type": "string", "minLength": 1},
                              "uri": {"type": "string"}}, required=("name",)),
               "stores": {"type": "array", "items": {"type": "string"}},
               "all_stores": {"type": "boolean"},
               "all_stores_must_succeed": {"type": "boolean"}}, required=("method",))

ADD_MEMBER = obj({"member": {"type": "string", "minLength": 1, "maxLength": 255}},
                 required=("member",))
# openstacksdk repeats the member's id beside the status
UPDATE_MEMBER = obj({"status": {"enum": ["pending", "accepted", "rejected"]},
                     "member": {"type": "string"}}, required=("status",))

# ---------------------------------------------------------------- metadata definitions
_JSON_TYPES = ["array", "boolean", "integer", "number", "object", "string", "null"]
_STRINGS = {"type": "array", "items": {"type": "string"}}
METADEF_PROPERTY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "title": {"type": "string"}, "description": {"type": "string"},
    "type": {"enum": _JSON_TYPES}, "operators": _STRINGS, "required": _STRINGS,
    "minimum": {"type": "number"}, "maximum": {"type": "number"},
    "minLength": {"type": "integer", "minimum": 0},
    "maxLength": {"type": "integer", "minimum": 0}, "pattern": {"type": "string"},
    "enum": {"type": "array"}, "readonly": {"type": "boolean"}, "default": {},
    "items": obj({"type": {"enum": _JSON_TYPES}, "enum": {"type": "array"}}),
    "maxItems": {"type": "integer", "minimum": 0},
    "minItems": {"type": "integer", "minimum": 0}, "uniqueItems": {"type": "boolean"},
    "additionalItems": {"type": "boolean"},
}
# What glance shows but ignores when a client sends it back (clients PUT what they GOT).
_SHOWN: dict[str, Any] = {key: {} for key in ("schema", "self", "created_at", "updated_at")}
# Inside a namespace's or object's `properties` map the name is the key.
_INNER_PROPERTY = obj({k: v for k, v in METADEF_PROPERTY_FIELDS.items() if k != "name"},
                      required=("title", "type"))
METADEF_PROPERTIES = {"type": "object", "additionalProperties": _INNER_PROPERTY}
METADEF_PROPERTY = obj({**METADEF_PROPERTY_FIELDS, **_SHOWN},
                       required=("name", "title", "type"))
METADEF_OBJECT = obj({"name": {"type": "string", "minLength": 1, "maxLength": 255},
                      "description": {"type": "string"}, "required": _STRINGS,
                      "properties": METADEF_PROPERTIES, **_SHOWN},
                     required=("name",))
_TAG_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
METADEF_TAG = obj({"name": _TAG_NAME, **_SHOWN}, required=("name",))
METADEF_TAGS = obj({"tags": {"type": "array", "items": METADEF_TAG}}, required=("tags",))
METADEF_ASSOCIATION = obj({"name": {"type": "string", "minLength": 1, "maxLength": 80},
                           "prefix": {"type": "string", "maxLength": 80},
                           "properties_target": {"type": "string", "maxLength": 80}},
                          required=("name",))
METADEF_NAMESPACE = obj({
    "namespace": {"type": "string", "minLength": 1, "maxLength": 80,
                  "pattern": "^[^/]+$"},
    "display_name": {"type": "string", "maxLength": 80},
    "description": {"type": "string", "maxLength": 500},
    "visibility": {"enum": ["public", "private"]}, "protected": {"type": "boolean"},
    "owner": {"type": "string", "maxLength": 255},
    "properties": METADEF_PROPERTIES, "objects": {"type": "array", "items": METADEF_OBJECT},
    "tags": {"type": "array", "items": METADEF_TAG},
    "resource_type_associations": {"type": "array", "items": METADEF_ASSOCIATION}, **_SHOWN,
}, required=("namespace",))
