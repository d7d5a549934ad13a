"""Rows → glance's JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gureum.image.models import Image, Member


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
