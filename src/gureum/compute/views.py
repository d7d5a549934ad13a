"""Rows → nova's JSON shapes, at the request's microversion."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gureum.compute.models import (
    Aggregate,
    ComputeNode,
    ComputeService,
    Flavor,
    InstanceAction,
    InstanceActionEvent,
    Keypair,
    Server,
    ServerGroup,
    VolumeAttachment,
)

# (vm_state, task_state) → status, as nova's API shows it
TASK_STATUS = {
    "rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
    "rebooting_hard": "HARD_REBOOT", "reboot_pending_hard": "HARD_REBOOT",
    "reboot_started_hard": "HARD_REBOOT", "rebuilding": "REBUILD",
    "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD",
    "migrating": "MIGRATING", "resize_prep": "RESIZE", "resize_migrating": "RESIZE",
    "resize_migrated": "RESIZE", "resize_finish": "RESIZE",
    "resize_reverting": "REVERT_RESIZE", "updating_password": "PASSWORD",
    "rescuing": "RESCUE",
}
VM_STATUS = {
    "active": "ACTIVE", "building": "BUILD", "stopped": "SHUTOFF", "paused": "PAUSED",
    "suspended": "SUSPENDED", "rescued": "RESCUE", "resized": "VERIFY_RESIZE",
    "soft_deleted": "SOFT_DELETED", "deleted": "DELETED", "error": "ERROR",
    "shelved": "SHELVED", "shelved_offloaded": "SHELVED_OFFLOADED",
}


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def status(row: Server) -> str:
    if row.vm_state == "active" and row.task_state in TASK_STATUS:
        return TASK_STATUS[row.task_state]
    if row.vm_state == "stopped" and row.task_state in ("resize_prep", "resize_migrating",
                                                          "resize_migrated", "resize_finish"):
        return "RESIZE"
    return VM_STATUS.get(row.vm_state, "UNKNOWN")


def links(base: str, collection: str, item_id: str) -> list[dict[str, str]]:
    root = base.removesuffix("/v2.1")
    return [{"rel": "self", "href": f"{base}/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{root}/{collection}/{item_id}"}]


def host_id(row: Server) -> str:
    """nova's hostId: the host, hashed with the project, so projects cannot compare."""
    return hashed_host(row.project_id, row.host)


def hashed_host(project_id: str, host: str | None) -> str:
    return hashlib.sha224(f"{project_id}{host}".encode()).hexdigest() if host else ""


def server_summary(row: Server, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": links(base, "servers", row.id)}


def server(row: Server, base: str, version: tuple[int, int], *, admin: bool,
           tags: list[str] | None = None, host_status: str | None = None,
           volumes: list[VolumeAttachment] | None = None,
           extra_specs: bool = False) -> dict[str, Any]:
    image_base = base.removesuffix("/v2.1")
    body: dict[str, Any] = {
        "id": row.id, "name": row.name, "status": status(row),
        "tenant_id": row.project_id, "user_id": row.user_id,
        "metadata": dict(row.metadata_), "hostId": host_id(row),
        "image": {"id": row.image_ref, "links": [
            {"rel": "bookmark", "href": f"{image_base}/images/{row.image_ref}"}]}
        if row.image_ref else "",
        "flavor": {"id": row.flavor_id, "links": [
            {"rel": "bookmark", "href": f"{image_base}/flavors/{row.flavor_id}"}]},
        "created": iso(row.created_at), "updated": iso(row.updated_at),
        "addresses": dict(row.addresses), "accessIPv4": row.access_ipv4,
        "accessIPv6": row.access_ipv6, "links": links(base, "servers", row.id),
        "OS-DCF:diskConfig": "MANUAL", "progress": row.progress,
        "OS-EXT-AZ:availability_zone": row.availability_zone or "",
        "config_drive": row.config_drive, "key_name": row.key_name,
        "OS-SRV-USG:launched_at": iso_micro(row.launched_at),
        "OS-SRV-USG:terminated_at": iso_micro(row.terminated_at),
        "security_groups": [{"name": name} for name in row.security_groups],
        "OS-EXT-STS:task_state": row.task_state, "OS-EXT-STS:vm_state": row.vm_state,
        "OS-EXT-STS:power_state": row.power_state,
        "os-extended-volumes:volumes_attached": [
            {"id": v.volume_id, **({"delete_on_termination": v.delete_on_termination}
                                   if version >= (2, 3) else {})}
            for v in volumes or []],
    }
    if row.fault and row.vm_state in ("error", "deleted"):
        body["fault"] = {k: v for k, v in row.fault.items() if admin or k != "details"}
    if admin:
        body.update(admin_fields(row, version))
    body.update({key: value(row) for since, key, value in SERVER_FIELDS if version >= since})
    if version >= (2, 98) and row.image_ref:  # the image's properties at boot
        body["image"]["properties"] = dict(row.image.get("properties") or {})
    if version >= (2, 47):
        body["flavor"] = embedded_flavor(row.flavor, extra_specs)
    if version >= (2, 16) and host_status is not None:
        body["host_status"] = host_status
    if version >= (2, 26):
        body["tags"] = tags or []
    return body


# what microversions added to a server: (since, key, its value)
SERVER_FIELDS: tuple[tuple[tuple[int, int], str, Callable[[Server], Any]], ...] = (
    ((2, 9), "locked", lambda r: r.locked),
    ((2, 19), "description", lambda r: r.description),
    ((2, 63), "trusted_image_certificates", lambda r: r.system_metadata.get("trusted_certs")),
    ((2, 73), "locked_reason", lambda r: r.locked_reason),
    ((2, 90), "OS-EXT-SRV-ATTR:hostname", lambda r: r.hostname),  # everyone's from 2.90
    ((2, 96), "pinned_availability_zone", lambda r: r.requested_zone),
    ((2, 100), "scheduler_hints", lambda r: dict(r.scheduler_hints)),
)


def admin_fields(row: Server, version: tuple[int, int]) -> dict[str, Any]:
    """os-extended-server-attributes, for those its policy allows."""
    body: dict[str, Any] = {"OS-EXT-SRV-ATTR:host": row.host,
                            "OS-EXT-SRV-ATTR:instance_name": instance_name(row),
                            "OS-EXT-SRV-ATTR:hypervisor_hostname": row.node}
    if version >= (2, 3):
        body.update({"OS-EXT-SRV-ATTR:reservation_id": row.reservation_id,
                     "OS-EXT-SRV-ATTR:launch_index": row.launch_index,
                     "OS-EXT-SRV-ATTR:hostname": row.hostname,
                     "OS-EXT-SRV-ATTR:kernel_id": "", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                     "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                     "OS-EXT-SRV-ATTR:user_data": row.user_data})
    return body


def embedded_flavor(flavor: dict[str, Any], extra_specs: bool) -> dict[str, Any]:
    """The flavor as the server was given it (2.47), its extra specs for those who may
    list them."""
    body: dict[str, Any] = {"vcpus": flavor.get("vcpus", 0), "ram": flavor.get("ram", 0),
                            "disk": flavor.get("disk", 0),
                            "ephemeral": flavor.get("ephemeral", 0),
                            "swap": flavor.get("swap") or 0,
                            "original_name": flavor.get("name", "")}
    if extra_specs:
        body["extra_specs"] = dict(flavor.get("extra_specs") or {})
    return body


def iso_micro(value: datetime | None) -> str | None:
    """launched_at and terminated_at, which nova shows with microseconds."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


def instance_name(row: Server) -> str:
    return f"instance-{row.id[:8]}"


def flavor(row: Flavor, base: str, version: tuple[int, int], *, detail: bool = True,
           ) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "name": row.name,
                            "links": links(base, "flavors", row.id)}
    if version >= (2, 55):
        body["description"] = row.description
    if not detail:
        return body
    body.update({"ram": row.memory_mb, "disk": row.root_gb, "vcpus": row.vcpus,
                 # no swap was "" until 2.75 made it 0
                 "swap": row.swap if row.swap or version >= (2, 75) else "",
                 "rxtx_factor": row.rxtx_factor,
                 "OS-FLV-EXT-DATA:ephemeral": row.ephemeral_gb,
                 "OS-FLV-DISABLED:disabled": row.disabled,
                 "os-flavor-access:is_public": row.is_public})
    if version >= (2, 61):
        body["extra_specs"] = dict(row.extra_specs)
    return body


def keypair(row: Keypair, version: tuple[int, int], *, detail: bool = True,
            ) -> dict[str, Any]:
    body: dict[str, Any] = {"name": row.name, "public_key": row.public_key,
                            "fingerprint": row.fingerprint}
    if version >= (2, 2):
        body["type"] = row.type
    if detail:
        body.update({"user_id": row.user_id, "created_at": iso_micro(row.created_at),
                     "deleted": False, "deleted_at": None, "updated_at": None,
                     "id": row.id})
    return body


def instance_action(row: InstanceAction, version: tuple[int, int]) -> dict[str, Any]:
    body = {"action": row.action, "instance_uuid": row.server_id,
            "message": row.message, "project_id": row.project_id,
            "request_id": row.request_id, "start_time": iso_micro(row.start_time),
            "user_id": row.user_id}
    if version >= (2, 58):
        body["updated_at"] = iso_micro(row.updated_at)
    return body


def action_event(row: InstanceActionEvent, version: tuple[int, int], project_id: str,
                 admin: bool, details: bool = False) -> dict[str, Any]:
    """An action's event; its traceback and (2.62) its host for admins, the host hashed
    with the project (as a server's hostId) for everyone; (2.84) a failure's message
    for those allowed its details."""
    body = {"event": row.event, "start_time": iso_micro(row.start_time),
            "finish_time": iso_micro(row.finish_time), "result": row.result}
    if admin:
        body["traceback"] = row.traceback
    if version >= (2, 62):
        body["hostId"] = hashed_host(project_id, row.host)
        if admin:
            body["host"] = row.host or ""
    if version >= (2, 84) and details:
        body["details"] = row.details
    return body


def service(row: ComputeService, up: bool, version: tuple[int, int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.uuid if version >= (2, 53) else row.id,
        "binary": row.binary, "host": row.host,
        "zone": row.availability_zone, "status": "disabled" if row.disabled else "enabled",
        "state": "up" if up else "down", "updated_at": iso_micro(row.updated_at),
        "disabled_reason": row.disabled_reason}
    if version >= (2, 11):
        body["forced_down"] = row.forced_down
    return body


def hypervisor(node: ComputeNode, service_row: ComputeService | None, up: bool,
               version: tuple[int, int], *, detail: bool) -> dict[str, Any]:
    by_uuid = version >= (2, 53)
    body: dict[str, Any] = {
        "id": node.uuid if by_uuid else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": "up" if up else "down",
        "status": "disabled" if service_row is not None and service_row.disabled
        else "enabled"}
    if not detail:
        return body
    body.update({
        "hypervisor_type": node.hypervisor_type, "hypervisor_version": node.hypervisor_version,
        "host_ip": node.host_ip,
        "service": {"host": node.host,
                    "id": (service_row.uuid if by_uuid else service_row.id) if service_row
                    else None,
                    "disabled_reason": service_row.disabled_reason if service_row
                    else None}})
    if version >= (2, 88):  # usage moved to placement; the uptime came in
        body["uptime"] = uptime(node) if up else None
        return body
    cpu_info: Any = node.cpu_info if version >= (2, 28) else json.dumps(node.cpu_info)
    body.update({
        "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
        "vcpus_used": node.vcpus_used, "memory_mb_used": node.memory_mb_used,
        "local_gb_used": node.local_gb_used,
        "free_ram_mb": node.memory_mb - node.memory_mb_used,
        "free_disk_gb": node.local_gb - node.local_gb_used, "current_workload": 0,
        "running_vms": node.running_vms, "disk_available_least": node.local_gb
        - node.local_gb_used, "cpu_info": cpu_info})
    return body


def uptime(node: ComputeNode) -> str:
    """As `uptime` prints it: the time since the host registered, and this machine's load."""
    now = datetime.now(UTC).replace(tzinfo=None)
    seconds = int((now - node.created_at).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    loads = ", ".join(f"{load:.2f}" for load in os.getloadavg())
    return (f" {now:%H:%M:%S} up {days} days, {rest // 3600}:{rest % 3600 // 60:02d}, "
            f"0 users, load average: {loads}")


def aggregate(row: Aggregate, hosts: list[str], version: tuple[int, int]) -> dict[str, Any]:
    body = {"id": row.id, "name": row.name,
            "availability_zone": row.metadata_.get("availability_zone"),
            "hosts": hosts, "metadata": dict(row.metadata_),
            "created_at": iso_micro(row.created_at), "updated_at": iso_micro(row.updated_at),
            "deleted": False, "deleted_at": None}
    if version >= (2, 41):
        body["uuid"] = row.uuid
    return body


def server_group(row: ServerGroup, members: list[str], version: tuple[int, int],
                 ) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "name": row.name, "members": members}
    if version >= (2, 64):  # one policy and its rules, no metadata
        body.update({"policy": row.policy, "rules": dict(row.rules)})
    else:
        body.update({"policies": [row.policy], "metadata": {}})
    if version >= (2, 13):
        body.update({"project_id": row.project_id, "user_id": row.user_id})
    return body


def volume_attachment(row: VolumeAttachment, version: tuple[int, int],
                      created: bool = False) -> dict[str, Any]:
    """As nova shows it (the attachment's id is the volume's until 2.89, and always in
    the answer to an attach); its tag from 2.70, delete_on_termination from 2.79."""
    body: dict[str, Any] = {"serverId": row.server_id, "volumeId": row.volume_id,
                            "device": row.device_name}
    if version >= (2, 89) and not created:  # the attachment and nova's mapping, no id
        body.update({"attachment_id": row.attachment_id, "bdm_uuid": row.id})
    else:
        body["id"] = row.volume_id
    if version >= (2, 70):
        body["tag"] = row.tag
    if version >= (2, 79):
        body["delete_on_termination"] = row.delete_on_termination
    return body
