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
