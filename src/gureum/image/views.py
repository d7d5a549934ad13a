"""Rows → glance's JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gureum.image.models import (
    Image,
    Member,
    MetadefItem,
    MetadefNamespace,
    MetadefResourceType,
)


def isotime(moment: datetime) -> str:
    """Glance's format: 2016-06-29T16:13:07Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def image(row: Image) -> dict[str, Any]:
    return {
        **row.properties,
        "id": row.id, "name": row.name, "status": row.status, "visibility": row.visibility,
        "protected": row.protected, "os_hidden": row.os_hidden, "checksum": row.checksum,
        "os_hash_algo": row.os_hash_algo, "os_hash_value": row.os_hash_value,
        "size": row.size, "virtual_size": row.virtual_size, "disk_format": row.disk_format,
        "container_format": row.container_format, "min_disk": row.min_disk,
        "min_ram": row.min_ram, "owner": row.owner, "tags": sorted(row.tags),
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "self": f"/v2/images/{row.id}", "file": f"/v2/images/{row.id}/file",
        "schema": "/v2/schemas/image",
        **({"stores": row.stores} if row.stores else {}),
    }


def member(row: Member) -> dict[str, Any]:
    return {"image_id": row.image_id, "member_id": row.member_id, "status": row.status,
            "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
            "schema": "/v2/schemas/member"}


# ---------------------------------------------------------------- metadata definitions
NAMESPACES = "/v2/metadefs/namespaces"


def _stamped(item: MetadefItem | MetadefResourceType, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "created_at": isotime(item.created_at),
            "updated_at": isotime(item.updated_at)}


def metadef_property(item: MetadefItem, prefix: str = "") -> dict[str, Any]:
    return {"name": prefix + item.name, **item.body}


def metadef_object(namespace: str, item: MetadefItem) -> dict[str, Any]:
    return _stamped(item, {"name": item.name, **{k: v for k, v in item.body.items()
                                                 if v is not None},
                           "schema": "/v2/schemas/metadefs/object",
                           "self": f"{NAMESPACES}/{namespace}/objects/{item.name}"})


def metadef_tag(item: MetadefItem) -> dict[str, Any]:
    return _stamped(item, {"name": item.name})


def metadef_association(item: MetadefItem) -> dict[str, Any]:
    return _stamped(item, {"name": item.name, **item.body})


def metadef_resource_type(row: MetadefResourceType) -> dict[str, Any]:
    return _stamped(row, {"name": row.name})


def metadef_namespace(row: MetadefNamespace, items: dict[str, list[MetadefItem]],
                      full: bool = True, resource_type: str | None = None) -> dict[str, Any]:
    """Glance leaves unset attributes and empty collections out. With `resource_type`,
    property names carry that association's prefix (what that resource would store)."""
    body: dict[str, Any] = {
        "namespace": row.namespace, "display_name": row.display_name,
        "description": row.description, "visibility": row.visibility,
        "protected": row.protected, "owner": row.owner,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "schema": "/v2/schemas/metadefs/namespace", "self": f"{NAMESPACES}/{row.namespace}"}
    body = {k: v for k, v in body.items() if v is not None}
    if items["resource_type"]:
        body["resource_type_associations"] = [metadef_association(i)
                                              for i in items["resource_type"]]
    if not full:
        return body
    prefix = next((i.body.get("prefix", "") for i in items["resource_type"]
                   if i.name == resource_type), "")
    if items["property"]:
        body["properties"] = {prefix + i.name: i.body for i in items["property"]}
    if items["object"]:
        body["objects"] = [metadef_object(row.namespace, i) for i in items["object"]]
    if items["tag"]:
        body["tags"] = [{"name": i.name} for i in items["tag"]]
    return body
