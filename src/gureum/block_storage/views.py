"""Rows → cinder's JSON shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gureum.block_storage.models import (
    Attachment,
    Message,
    Pool,
    Service,
    Snapshot,
    Volume,
    VolumeType,
)


def isotime(moment: datetime | None) -> str | None:
    """cinder's format: 2018-11-29T06:50:07.770785."""
    return moment.isoformat(timespec="microseconds") if moment else None


def links(base: str, project_id: str, collection: str, item_id: str) -> list[dict[str, str]]:
    root = base.rsplit("/v3", 1)[0]
    return [{"rel": "self", "href": f"{base}/{project_id}/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{root}/{project_id}/{collection}/{item_id}"}]


def volume_summary(row: Volume, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name,
            "links": links(base, row.project_id, "volumes", row.id)}


def volume_attachment(row: Attachment, admin: bool) -> dict[str, Any]:
    return {"id": row.volume_id, "attachment_id": row.id, "volume_id": row.volume_id,
            "server_id": row.instance_uuid, "host_name": row.attached_host if admin else None,
            "device": row.mountpoint, "attached_at": isotime(row.attach_time)}


def volume(row: Volume, base: str, vtype: VolumeType | None,
           attachments: list[Attachment], admin: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id, "status": row.status, "size": row.size,
        "availability_zone": row.availability_zone, "created_at": isotime(row.created_at),
        "updated_at": isotime(row.updated_at), "name": row.name,
        "description": row.description,
        "volume_type": vtype.name if vtype else row.volume_type_id,
        "snapshot_id": row.snapshot_id, "source_volid": row.source_volid,
        "metadata": dict(row.metadata_), "links": links(base, row.project_id, "volumes",
                                                        row.id),
        "user_id": row.user_id, "bootable": str(row.bootable).lower(), "encrypted": False,
        "replication_status": None, "consistencygroup_id": None,
        "multiattach": row.multiattach, "migration_status": None,
        "attachments": [volume_attachment(a, admin) for a in attachments
                        if a.attach_status == "attached"],
        "os-vol-tenant-attr:tenant_id": row.project_id, "group_id": None,
    }
    if row.image_metadata:
        body["volume_image_metadata"] = dict(row.image_metadata)
    if admin:
        body.update({"os-vol-host-attr:host": row.host,
                     "os-vol-mig-status-attr:migstat": None,
                     "os-vol-mig-status-attr:name_id": None, "provider_id": None})
    return body


def snapshot(row: Snapshot) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "volume_id": row.volume_id, "size": row.size, "status": row.status,
            "metadata": dict(row.metadata_), "created_at": isotime(row.created_at),
            "updated_at": isotime(row.updated_at), "user_id": row.user_id,
            "os-extended-snapshot-attributes:progress": row.progress,
            "os-extended-snapshot-attributes:project_id": row.project_id,
            "group_snapshot_id": None}


def volume_type(row: VolumeType, show_specs: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "name": row.name, "description": row.description,
                            "is_public": row.is_public,
                            "os-volume-type-access:is_public": row.is_public}
    if show_specs:
        body["extra_specs"] = dict(row.extra_specs)
        body["qos_specs_id"] = row.qos_specs_id
    return body


def attachment(row: Attachment, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "status": row.attach_status,
                            "instance": row.instance_uuid, "volume_id": row.volume_id}
    if detail:
        body.update({"attached_at": isotime(row.attach_time) or "",
                     "detached_at": isotime(row.detach_time) or "",
                     "attach_mode": row.attach_mode,
                     "connection_info": row.connection_info or {}})
    return body


def service(row: Service, up: bool) -> dict[str, Any]:
    return {"binary": row.binary, "host": row.host, "zone": row.availability_zone,
            "status": "disabled" if row.disabled else "enabled",
            "state": "up" if up else "down", "updated_at": isotime(row.updated_at),
            "disabled_reason": row.disabled_reason, "cluster": None,
            "replication_status": "disabled" if row.binary == "cinder-volume" else None,
            "active_backend_id": None, "frozen": False}


def pool(row: Pool, detail: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"name": row.name}
    if detail:
        body["capabilities"] = {
            **row.capabilities, "total_capacity_gb": row.total_capacity_gb,
            "free_capacity_gb": row.total_capacity_gb - row.allocated_gb,
            "allocated_capacity_gb": row.allocated_gb,
            "timestamp": isotime(row.updated_at)}
    return body


def message(row: Message, base: str) -> dict[str, Any]:
    return {"id": row.id, "event_id": row.event_id, "user_message": row.user_message,
            "message_level": row.message_level, "resource_type": row.resource_type,
            "resource_uuid": row.resource_uuid, "request_id": row.request_id,
            "created_at": isotime(row.created_at),
            "guaranteed_until": isotime(row.expires_at),
            "links": links(base, row.project_id, "messages", row.id)}


def transfer(row: Any, base: str, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "name": row.name, "volume_id": row.volume_id,
                            "links": links(base, row.project_id, "os-volume-transfer",
                                           row.id)}
    if detail:
        body["created_at"] = isotime(row.created_at)
    return body


def backup(row: Any, base: str, detail: bool = True, dependent: bool = False,
           project_attr: bool = False, with_metadata: bool = False) -> dict[str, Any]:
    """cinder's backup view (3.18: the project attribute to whom may see it; 3.43:
    metadata)."""
    body: dict[str, Any] = {"id": row.id, "name": row.name,
                            "links": links(base, row.project_id, "backups", row.id)}
    if not detail:
        return body
    body.update({
        "status": row.status, "size": row.size, "object_count": row.object_count,
        "availability_zone": row.availability_zone, "container": row.container,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "description": row.description, "fail_reason": row.fail_reason,
        "volume_id": row.volume_id, "is_incremental": row.parent_id is not None,
        "has_dependent_backups": dependent, "snapshot_id": row.snapshot_id,
        "data_timestamp": isotime(row.data_timestamp)})
    if project_attr:
        body["os-backup-project-attr:project_id"] = row.project_id
    if with_metadata:
        body["metadata"] = dict(row.metadata_)
    return body


# the capabilities a volume type can ask for, as cinder's drivers describe them
_CAPABILITY_PROPERTIES = {
    "thin_provisioning": ("Thin Provisioning", "Sets thin provisioning."),
    "multiattach": ("Multi-attach", "Volumes can be attached to several servers."),
    "QoS_support": ("QoS", "Enables QoS."),
}


def capabilities(pool: Any) -> dict[str, Any]:
    """GET /capabilities/{host}: what the backend's agent reported, in cinder's shape."""
    caps = dict(pool.capabilities)
    protocol = str(caps.get("storage_protocol", ""))
    reported = {"thin_provisioning": caps.get("thin_provisioning_support"),
                "multiattach": caps.get("multiattach"), "QoS_support": caps.get("QoS_support")}
    return {
        "namespace": f"OS::Storage::Capabilities::{pool.backend}",
        "vendor_name": caps.get("vendor_name"),
        "volume_backend_name": caps.get("volume_backend_name"),
        "pool_name": caps.get("pool_name"),
        "driver_version": caps.get("driver_version"),
        "storage_protocol": protocol,
        "display_name": f"Capabilities of the Gureum {protocol} volume driver",
        "description": None,
        "visibility": "public",
        "replication_targets": [],
        "properties": {name: {"title": title, "description": text, "type": "boolean"}
                       for name, (title, text) in _CAPABILITY_PROPERTIES.items()
                       if reported[name] is not None},
    }


def qos_specs(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "consumer": row.consumer,
            "specs": dict(row.specs)}
