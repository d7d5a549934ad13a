"""The server's disk and images: its snapshot streamed into an image, and the server
spawned again from another image (rebuild)."""

from __future__ import annotations

import contextlib
import logging

from gureum.compute.agent.builds import Builds, instance_spec
from gureum.compute.messages import RUNNING, SHUTDOWN

log = logging.getLogger(__name__)


class Images(Builds):
    HANDLERS: tuple[str, ...] = ("snapshot_server", "rebuild_server", "cache_images")

    async def cache_images(self, image_ids: list[str]) -> None:
        """Fetch the images ahead of the boots that will need them (2.81, an aggregate's
        hosts at an admin's request); one that fails does not stop the others."""
        assert self.images is not None
        for image_id in image_ids:
            try:
                async with self.images.download_image(image_id) as data:
                    await self.driver.cache_image(image_id, data)
            except Exception as exc:
                log.warning("compute agent %s could not cache image %s: %s", self.host,
                            image_id, exc)

    async def snapshot_server(self, server_id: str, image_id: str, base_image_id: str,
                              request_id: str | None = None, rotation: int | None = None,
                              ) -> None:
        """The driver's snapshot of the disk streamed into the queued image (given the
        base image's bytes to start from); the task cleared either way, the image
        deleted on failure. A backup (`rotation`) then leaves only the newest
        `rotation` backups of its type."""
        assert self.images is not None
        event = "compute_backup_instance" if rotation else "compute_snapshot_instance"
        await self._event(server_id, event, request_id)
        try:
            await self._upload_snapshot(server_id, image_id, base_image_id)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.images.delete_image(image_id)
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": "image_snapshot"})
            await self._event(server_id, event, request_id, "Error",
                              str(exc) or type(exc).__name__)
            return
        await self._call("instance_update", server_id=server_id, values={"task_state": None},
                         expected={"task_state": "image_snapshot"})
        if rotation:
            await self._rotate(server_id, image_id, rotation)
        await self._event(server_id, event, request_id, "Success")

    async def _rotate(self, server_id: str, image_id: str, rotation: int) -> None:
        """The server's backups of this one's type, the newest `rotation` kept."""
        assert self.images is not None
        kind = (await self.images.show_image(image_id)).get("backup_type", "")
        backups = await self.images.list_images({
            "instance_uuid": server_id, "image_type": "backup", "backup_type": kind})
        backups.sort(key=lambda image: (image["created_at"], image["id"] == image_id),
                     reverse=True)
        for old in backups[rotation:]:
            await self.images.delete_image(old["id"])

    async def _upload_snapshot(self, server_id: str, image_id: str, base_image_id: str,
                               ) -> None:
        """The driver's snapshot of the disk streamed into the queued image."""
        assert self.images is not None
        async with self.images.download_image(base_image_id) as base:
            await self.images.upload_image(image_id, self.driver.snapshot(server_id, base))

    async def rebuild_server(self, server_id: str, vm_state: str,
                             request_id: str | None = None) -> None:
        """The server spawned again from its new image, on the same ports (so the same
        addresses); it ends as it was (active, or stopped), or in ERROR."""
        request = await self._call("rebuild_request", server_id=server_id, host=self.host)
        if request is None:
            return
        event = "compute_rebuild_instance"
        await self._event(server_id, event, request_id)
        try:
            ports = [await self.network.show_port(p["id"]) for p in request["ports"]]
            await self.driver.destroy(server_id)
            await self.driver.spawn(instance_spec(request, ports))
            if vm_state == "stopped":
                await self.driver.power_off(server_id)
        except Exception as exc:
            await self._call("instance_update", server_id=server_id,
                             values={"vm_state": "error", "task_state": None,
                                     "fault": {"message": f"Rebuild failed: {exc}"}},
                             expected={"task_state": "rebuilding"})
            await self._event(server_id, event, request_id, "Error",
                              str(exc) or type(exc).__name__)
            return
        await self._call("instance_update", server_id=server_id, values={
            "vm_state": vm_state, "task_state": None,
            "power_state": SHUTDOWN if vm_state == "stopped" else RUNNING},
            expected={"task_state": "rebuilding"})
        await self._event(server_id, event, request_id, "Success")


