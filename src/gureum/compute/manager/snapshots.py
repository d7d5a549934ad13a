"""Images from servers (createImage): the Image service gets a queued record in the
user's project (nova's snapshot properties on it), the server's task state is
`image_snapshot` while the host's agent streams its driver's snapshot of the disk into
that image (`active`); a failure deletes the image and clears the task.

A volume-backed server's image holds no bytes: each of its volumes gets a Block Storage
snapshot (in the user's project), and the image maps them (nova's `block_device_mapping`
property, `bdm_v2`), so a server booted from it gets new volumes made from them. It
becomes active (empty) once every snapshot is available."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from gureum.clients.image import ImageError
from gureum.clients.volume import VolumeError
from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked
from gureum.compute.manager.base import ManagerBase, record_action
from gureum.compute.messages import compute_topic
from gureum.compute.models import Server, VolumeAttachment
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow

log = logging.getLogger(__name__)

SNAPSHOTTABLE = ("active", "stopped", "paused", "suspended")
SNAPSHOT_WAIT = 600.0  # seconds a volume-backed image waits for its volumes' snapshots


class Snapshots(ManagerBase):
    async def create_backup(self, context: RequestContext, server_id: str, name: str,
                            kind: str, rotation: int, metadata: dict[str, str],
                            ) -> str | None:
        """createBackup: an image like createImage's (image_type backup, its
        backup_type), then only the newest `rotation` backups of that type of the server
        kept; with a rotation of 0, none: the existing ones go and none is made."""
        if rotation == 0:
            assert self.images is not None
            for old in await self.images.list_images(
                    backup_filter(server_id, kind), token=context.token):
                await self.images.delete_image(old["id"], token=context.token)
            return None
        return await self.create_image(context, server_id, name, {
            **metadata, "image_type": "backup", "backup_type": kind},
            action="createBackup", rotation=rotation)

    async def create_image(self, context: RequestContext, server_id: str, name: str,
                           metadata: dict[str, str], action: str = "createImage",
                           rotation: int | None = None) -> str:
        """The new image's id (queued until the agent has uploaded the disk)."""
        assert self.images is not None
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            check_unlocked(context, server)
            if not server.host or server.vm_state not in SNAPSHOTTABLE \
                    or server.task_state is not None:
                raise errors.InstanceInvalidState(
                    action="createImage", server_id=server_id,
                    attr="task_state" if server.task_state else "vm_state",
                    state=server.task_state or server.vm_state)
            if not server.image_ref and rotation is not None:
                raise errors.InvalidInput(reason="Backup is not supported for volume-backed "
                                          "instances.")
            if not server.image_ref:
                attached = list(await session.scalars(select(VolumeAttachment).where(
                    VolumeAttachment.server_id == server_id,
                    VolumeAttachment.status == "attached")))
        if not server.image_ref:
            return await self._volume_backed_image(context, server, attached, name,
                                                   metadata, action)
        record = {"name": name, "container_format": "bare",
                  "disk_format": server.image.get("disk_format") or "raw",
                  "visibility": "private", **image_properties(server, metadata)}
        try:
            image = await self.images.create_image(record, token=context.token)
        except ImageError as exc:
            raise errors.InvalidInput(reason=f"The image could not be created: {exc}") from exc
        async with self.db.session() as session:
            moved = await transition(session, Server, server_id,
                                     {"task_state": "image_snapshot", "updated_at": utcnow()},
                                     vm_state=SNAPSHOTTABLE, task_state=None, deleted=False)
            if moved:
                await record_action(session, server, action, context)
        if not moved:  # another action won meanwhile
            await self.images.delete_image(image["id"], token=context.token)
            raise errors.InstanceInvalidState(action="createImage", server_id=server_id,
                                              attr="task_state", state="(changed)")
        await self.bus.cast(compute_topic(server.host), "snapshot_server",
                            server_id=server_id, image_id=image["id"],
                            base_image_id=server.image_ref, request_id=context.request_id,
                            rotation=rotation)
        return str(image["id"])


    async def _volume_backed_image(self, context: RequestContext, server: Server,
                                   attached: list[VolumeAttachment], name: str,
                                   metadata: dict[str, str], action: str) -> str:
        """Snapshots of the server's volumes now (forced: they are in use), a queued
        image mapping them, made active in the background once they are available."""
        assert self.images is not None and self.volumes is not None
        mappings: list[dict[str, Any]] = []
        try:
            for row in sorted(attached, key=lambda r: (r.boot_index is None, r.boot_index or 0,
                                                       r.device_name)):
                volume = await self.volumes.show_volume(row.volume_id, token=context.token)
                snapshot = await self.volumes.create_snapshot(
                    row.volume_id, f"snapshot for {name}", token=context.token)
                mappings.append({
                    "source_type": "snapshot", "destination_type": "volume",
                    "snapshot_id": snapshot["id"], "volume_size": volume["size"],
                    "boot_index": row.boot_index, "device_name": row.device_name,
                    "delete_on_termination": row.delete_on_termination, "tag": row.tag})
        except VolumeError as exc:
            raise errors.InvalidInput(reason="The volumes could not be snapshotted: "
                                      f"{exc.message}") from exc
        record = {"name": name, "container_format": "bare",
                  "disk_format": server.image.get("disk_format") or "raw",
                  "visibility": "private", **image_properties(server, metadata),
                  "block_device_mapping": json.dumps(mappings), "bdm_v2": "True",
                  "root_device_name": mappings[0]["device_name"] if mappings else "/dev/vda"}
        try:
            image = await self.images.create_image(record, token=context.token)
        except ImageError as exc:
            raise errors.InvalidInput(reason=f"The image could not be created: {exc}") from exc
        async with self.db.session() as session:
            await record_action(session, server, action, context)
        task = asyncio.create_task(self._activate_mapped_image(
            image["id"], [m["snapshot_id"] for m in mappings]))
        self.pending_images.add(task)
        task.add_done_callback(self.pending_images.discard)
        return str(image["id"])

    async def _activate_mapped_image(self, image_id: str, snapshot_ids: list[str]) -> None:
        """The image active (no bytes) once every snapshot it maps is available; deleted
        if one fails or the wait runs out."""
        assert self.images is not None and self.volumes is not None
        deadline, waiting = time.monotonic() + SNAPSHOT_WAIT, list(snapshot_ids)
        try:
            while waiting and time.monotonic() < deadline:
                status = (await self.volumes.show_snapshot(waiting[0]))["status"]
                if status == "available":
                    waiting.pop(0)
                elif status in ("error", "deleting", "deleted"):
                    break
                else:
                    await asyncio.sleep(0.2)
            if not waiting:
                await self.images.upload_image(image_id, no_bytes())
                return
            log.warning("image %s: snapshot %s did not become available", image_id,
                        waiting[0])
        except Exception:
            log.exception("image %s of a volume-backed server could not be finished",
                          image_id)
        try:
            await self.images.delete_image(image_id)
        except ImageError:
            log.warning("image %s could not be deleted", image_id)


async def no_bytes() -> AsyncIterator[bytes]:
    """An empty upload: the image of a volume-backed server is its mappings."""
    nothing: tuple[bytes, ...] = ()
    for chunk in nothing:
        yield chunk


def backup_filter(server_id: str, kind: str) -> dict[str, str]:
    """The Image API's filters for a server's backups of one type."""
    return {"instance_uuid": server_id, "image_type": "backup", "backup_type": kind}


def image_properties(server: Server, metadata: dict[str, str]) -> dict[str, Any]:
    """What nova puts on a snapshot: where it came from, and the base image's own
    properties (hw_*, os_*, …), then the caller's metadata."""
    inherited = {k: str(v) for k, v in (server.image.get("properties") or {}).items()}
    return {**inherited, "image_type": "snapshot", "instance_uuid": server.id,
            "base_image_ref": server.image_ref, "user_id": server.user_id,
            "image_location": "snapshot", "min_disk": server.root_gb,
            "min_ram": int(server.image.get("min_ram") or 0),
            **{k: str(v) for k, v in metadata.items()}}
