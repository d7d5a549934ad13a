"""Volume attachments: what the agent needs to connect or disconnect one, and the
outcome it reports."""

from __future__ import annotations

from typing import Any

from gureum.compute.conductor.base import ConductorBase
from gureum.compute.manager.base import record_event
from gureum.compute.models import VolumeAttachment


class Volumes(ConductorBase):
    HANDLERS: tuple[str, ...] = ("volume_attachment", "volume_attached", "volume_detached",
                                 "block_device_attached", "volume_swapped")

    async def volume_swapped(self, volume_attachment_id: str, ok: bool,
                             volume_id: str | None = None, attachment_id: str | None = None,
                             reason: str | None = None, request_id: str | None = None,
                             ) -> None:
        """The device holds the new volume now (or still the old one)."""
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is None:
                return
            if ok and volume_id and attachment_id:
                row.volume_id, row.attachment_id = volume_id, attachment_id
            row.status = "attached"
            await record_event(session, row.server_id, request_id, "compute_swap_volume",
                               None, "Success" if ok else "Error", reason)

    async def block_device_attached(self, volume_attachment_id: str,
                                    attachment_id: str) -> None:
        """A volume of the server's build (boot from volume) is attached through this
        Block Storage attachment."""
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is not None:
                row.attachment_id, row.status = attachment_id, "attached"

    async def volume_attachment(self, volume_attachment_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            return None if row is None else attachment_view(row)

    async def volume_attached(self, volume_attachment_id: str, ok: bool,
                              reason: str | None = None,
                              request_id: str | None = None) -> None:
        """The agent connected the volume (attached), or could not (the record goes)."""
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is None:
                return
            if ok:
                row.status = "attached"
            else:
                await session.delete(row)
            await record_event(session, row.server_id, request_id,
                               "compute_attach_volume", None,
                               "Success" if ok else "Error", reason)

    async def volume_detached(self, volume_attachment_id: str,
                              request_id: str | None = None) -> None:
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is None:
                return
            await session.delete(row)
            await record_event(session, row.server_id, request_id,
                               "compute_detach_volume", None, "Success")


def attachment_view(row: VolumeAttachment) -> dict[str, Any]:
    """A volume attachment as the agent needs it."""
    return {"id": row.id, "server_id": row.server_id, "volume_id": row.volume_id,
            "attachment_id": row.attachment_id, "device_name": row.device_name,
            "delete_on_termination": row.delete_on_termination, "status": row.status}

