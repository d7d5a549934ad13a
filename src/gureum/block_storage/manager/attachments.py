"""The attachments API (3.27+): create reserves the volume (or, given a connector,
also connects it), update connects, complete (3.44) marks it attached, delete detaches.
A non-multiattach volume takes one attachment: the reserve is a conditional update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.block_storage import errors
from gureum.block_storage.manager.actions import Actions
from gureum.block_storage.manager.base import is_admin, new_id, transition
from gureum.block_storage.models import Attachment, Volume
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

LIVE = ("reserved", "attaching", "attached", "detaching")


class Attachments(Actions):
    async def attachment_for(self, session: Any, context: RequestContext,
                             attachment_id: str) -> Attachment:
        stmt = select(Attachment).where(Attachment.id == attachment_id)
        if not is_admin(context):
            stmt = stmt.where(Attachment.project_id == (context.project_id or ""))
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.AttachmentNotFound(id=attachment_id)
        return row  # type: ignore[no-any-return]

    async def list_attachments(self, context: RequestContext, filters: dict[str, str],
                               ) -> list[Attachment]:
        stmt = select(Attachment).where(Attachment.attach_status != "detached")
        if not (is_admin(context) and filters.get("all_tenants")):
            stmt = stmt.where(Attachment.project_id == (context.project_id or ""))
        for name in ("volume_id", "instance_id"):
            if name in filters:
                column = Attachment.volume_id if name == "volume_id" else (
                    Attachment.instance_uuid)
                stmt = stmt.where(column == filters[name])
        if "status" in filters:
            stmt = stmt.where(Attachment.attach_status == filters["status"])
        async with self.db.session() as session:
            return list(await session.scalars(stmt.order_by(Attachment.created_at.desc(),
                                                            Attachment.id)))

    async def show_attachment(self, context: RequestContext, attachment_id: str,
                              ) -> Attachment:
        async with self.db.session() as session:
            return await self.attachment_for(session, context, attachment_id)

    async def create_attachment(self, context: RequestContext, volume_id: str,
                                instance_uuid: str | None, connector: dict[str, Any] | None,
                                mode: str) -> Attachment:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            if volume.readonly and mode == "rw" and connector is None:
                mode = "ro"
            expected = (("available", "in-use", "reserved", "attaching") if volume.multiattach
                        else ("available",))
            if not await transition(session, Volume, volume_id,
                                    {"status": "reserved", "previous_status": Volume.status,
                                     "updated_at": utcnow()},
                                    status=expected, multiattach=volume.multiattach):
                raise errors.InvalidVolume(reason=f"Volume {volume_id} status must be "
                                           f"{' or '.join(expected)} to reserve, but the "
                                           f"current status is {volume.status}.")
            if volume.multiattach and volume.status in ("in-use", "attaching"):
                # others are attached or attaching: it stays as it shows
                await transition(session, Volume, volume_id, {"status": volume.status},
                                 status="reserved")
            attachment = Attachment(id=new_id(), volume_id=volume_id,
                                    project_id=volume.project_id,
                                    instance_uuid=instance_uuid, attach_status="reserved",
                                    attach_mode=mode)
            session.add(attachment)
        if connector is not None:
            return await self.update_attachment(context, attachment.id, connector)
        return attachment

    async def update_attachment(self, context: RequestContext, attachment_id: str,
                                connector: dict[str, Any]) -> Attachment:
        async with self.db.session() as session:
            attachment = await self.attachment_for(session, context, attachment_id)
            volume = await session.get(Volume, attachment.volume_id)
        if attachment.attach_status not in ("reserved", "attaching", "attached"):
            raise errors.InvalidAttachment(reason=f"attachment status is "
                                           f"{attachment.attach_status}")
        assert volume is not None
        info = await self.initialize_connection(context, volume.id, connector)
        info["data"]["access_mode"] = attachment.attach_mode
        async with self.db.session() as session:
            row = await self.attachment_for(session, context, attachment_id)
            row.connector = connector
            row.connection_info = {**info, "attachment_id": attachment_id}
            row.attached_host = connector.get("host")
            row.mountpoint = connector.get("mountpoint")
            if row.attach_status == "reserved":
                row.attach_status = "attaching"
            await transition(session, Volume, volume.id,
                             {"status": "attaching", "updated_at": utcnow()},
                             status="reserved")
            return row

    async def complete_attachment(self, context: RequestContext, attachment_id: str) -> None:
        async with self.db.session(lock=f"volume:{attachment_id}") as session:
            attachment = await self.attachment_for(session, context, attachment_id)
            if attachment.attach_status not in ("attaching", "attached"):
                raise errors.InvalidAttachment(reason="attachment must be connected (updated "
                                               "with a connector) before it is complete")
            attachment.attach_status = "attached"
            attachment.attach_time = attachment.attach_time or utcnow()
            await transition(session, Volume, attachment.volume_id,
                             {"status": "in-use", "attach_status": "attached",
                              "updated_at": utcnow()},
                             status=("reserved", "attaching", "in-use"))

    async def delete_attachment(self, context: RequestContext, attachment_id: str) -> None:
        async with self.db.session() as session:
            attachment = await self.attachment_for(session, context, attachment_id)
            volume = await session.get(Volume, attachment.volume_id)
        assert volume is not None
        if attachment.connector and volume.host:
            await self._agent_call(volume, "terminate_connection",
                                   connector=attachment.connector)
        async with self.db.session(lock=f"volume:{volume.id}") as session:
            row = await session.get(Attachment, attachment_id)
            if row is None:
                return
            await session.delete(row)
            others = list(await session.scalars(select(Attachment.attach_status).where(
                Attachment.volume_id == volume.id, Attachment.id != attachment_id,
                Attachment.attach_status.in_(LIVE))))
            status = ("in-use" if "attached" in others else
                      "attaching" if "attaching" in others else
                      "reserved" if others else "available")
            await transition(session, Volume, volume.id,
                             {"status": status,
                              "attach_status": "attached" if "attached" in others
                              else "detached", "updated_at": utcnow()},
                             status=("reserved", "attaching", "in-use", "detaching",
                                     "error_attaching"))
