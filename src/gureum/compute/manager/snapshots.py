"""Images from servers (createImage): the Image service gets a queued record in the
user's project (nova's snapshot properties on it), the server's task state is
`image_snapshot` while the host's agent streams its driver's snapshot of the disk into
that image (`active`); a failure deletes the image and clears the task."""

from __future__ import annotations

from typing import Any

from gureum.clients.image import ImageError
from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked
from gureum.compute.manager.base import ManagerBase, record_action
from gureum.compute.messages import compute_topic
from gureum.compute.models import Server
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow

SNAPSHOTTABLE = ("active", "stopped", "paused", "suspended")


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
