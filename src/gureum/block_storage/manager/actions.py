"""Volume actions (POST /volumes/{id}/action): extend, bootable and read-only flags,
reset-status, revert, and the legacy attach negotiation (reserve → initialize_connection
→ attach … begin_detaching → terminate_connection → detach). Each move is a conditional
update, so two racing reserves of one volume cannot both win."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from gureum.block_storage import errors
from gureum.block_storage.manager.base import (
    ManagerBase,
    new_id,
    quota_lock,
    record_message,
    transition,
)
from gureum.block_storage.messages import backend_of, volume_topic
from gureum.block_storage.models import Attachment, Pool, Snapshot, Volume
from gureum.core.bus import RemoteError
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

RPC_TIMEOUT = 30.0


class Actions(ManagerBase):
    # ------------------------------------------------------------ extend
    async def extend_volume(self, context: RequestContext, volume_id: str, new_size: int,
                            attached_allowed: bool) -> None:
        allowed = ("available", "in-use") if attached_allowed else ("available",)
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
        if volume.status not in allowed:
            raise errors.InvalidVolume(reason=f"Volume status must be "
                                       f"{' or '.join(allowed)} to extend, but current "
                                       f"status is: {volume.status}.")
        if new_size <= volume.size:
            raise errors.InvalidInput(reason=f"New size for extend must be greater than "
                                      f"current size. (current: {volume.size}, extended: "
                                      f"{new_size}).")
        delta = new_size - volume.size
        async with self.db.session(lock=quota_lock(volume.project_id)) as session:
            await self.check_quota(session, volume.project_id, gigabytes=delta,
                                   volume_size=new_size,
                                   volume_type_id=volume.volume_type_id)
            moved = await transition(
                session, Volume, volume_id, {"status": "extending",
                                             "previous_status": Volume.status,
                                             "updated_at": utcnow()},
                status=allowed, size=volume.size)
            if not moved:
                raise errors.InvalidVolume(reason="Volume status changed while extending")
            claimed = await session.execute(
                update(Pool).where(Pool.name == volume.host,
                                   Pool.total_capacity_gb - Pool.allocated_gb >= delta)
                .values(allocated_gb=Pool.allocated_gb + delta))
            if not claimed.rowcount:  # type: ignore[attr-defined]
                # as cinder's scheduler: the volume stays as it was, a message says why
                await transition(session, Volume, volume_id,
                                 {"status": volume.status}, status="extending")
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_007_004", "extend volume:Insufficient "
                                     "free space available to extend volume.",
                                     context.request_id)
                return
        await self.bus.cast(volume_topic(backend_of(volume.host or "")), "extend_volume",
                            volume_id=volume_id, host=volume.host, new_size=new_size)

    # ------------------------------------------------------------ flags
    async def set_bootable(self, context: RequestContext, volume_id: str,
                           bootable: bool) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            volume.bootable = bootable
            volume.updated_at = utcnow()

    async def update_readonly_flag(self, context: RequestContext, volume_id: str,
                                   readonly: bool) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            if volume.status not in ("available", "in-use"):
                raise errors.InvalidVolume(reason=f"Volume status must be available or "
                                           f"in-use to update readonly flag, but current "
                                           f"status is: {volume.status}.")
            volume.readonly = readonly
            volume.updated_at = utcnow()

    async def reset_status(self, context: RequestContext, volume_id: str,
                           spec: dict[str, Any]) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            if "status" in spec:
                volume.status = spec["status"]
            if "attach_status" in spec:
                volume.attach_status = spec["attach_status"]
                if spec["attach_status"] == "detached":
                    await session.execute(
                        update(Attachment).where(Attachment.volume_id == volume_id)
                        .values(attach_status="detached", detach_time=utcnow()))
            volume.updated_at = utcnow()

    async def revert_to_snapshot(self, context: RequestContext, volume_id: str,
                                 snapshot_id: str) -> None:
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            snapshot = await self.snapshot_for(session, context, snapshot_id)
            if snapshot.volume_id != volume_id:
                raise errors.InvalidInput(reason="Snapshot does not belong to the volume")
            latest = (await session.scalars(select(Snapshot.id).where(
                Snapshot.volume_id == volume_id).order_by(
                Snapshot.created_at.desc(), Snapshot.id.desc()).limit(1))).first()
            if latest != snapshot_id:
                raise errors.InvalidSnapshot(reason="Cannot revert volume to snapshot: it "
                                             "is not the latest snapshot of the volume.")
            if snapshot.size != volume.size:
                raise errors.InvalidVolume(reason="Volume size and snapshot size do not "
                                           "match, the volume was extended.")
            if not await transition(session, Volume, volume_id,
                                    {"status": "reverting", "updated_at": utcnow()},
                                    status="available"):
                raise errors.InvalidVolume(reason=f"Volume status must be available to "
                                           f"revert, but current status is: "
                                           f"{volume.status}.")
            if not await transition(session, Snapshot, snapshot_id,
                                    {"status": "restoring"}, status="available"):
                raise errors.InvalidSnapshot(reason="Snapshot status must be available")
        await self.bus.cast(volume_topic(backend_of(volume.host or "")), "revert_volume",
                            volume_id=volume_id, host=volume.host, snapshot_id=snapshot_id)

    # ------------------------------------------------------------ legacy attach
    async def reserve_volume(self, context: RequestContext, volume_id: str) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            # a multiattach volume takes reservations side by side (one already attaching
            # does not refuse the next); any other exactly one
            expected = (("available", "in-use", "attaching") if volume.multiattach
                        else ("available",))
            if not await transition(session, Volume, volume_id,
                                    {"status": "attaching", "previous_status": Volume.status,
                                     "updated_at": utcnow()},
                                    status=expected, multiattach=volume.multiattach):
                current = await session.scalar(select(Volume.status).where(
                    Volume.id == volume_id))
                raise errors.InvalidVolume(reason=f"Volume status must be "
                                           f"{' or '.join(expected)} to reserve, but the "
                                           f"status is {current}.")

    async def unreserve_volume(self, context: RequestContext, volume_id: str) -> None:
        async with self.db.session() as session:
            await self.volume_for(session, context, volume_id)
            attached = await self._attached_count(session, volume_id)
            await transition(session, Volume, volume_id,
                             {"status": "in-use" if attached else "available",
                              "updated_at": utcnow()}, status="attaching")

    async def initialize_connection(self, context: RequestContext, volume_id: str,
                                    connector: dict[str, Any]) -> dict[str, Any]:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
        if not volume.host:
            raise errors.InvalidVolume(reason="Volume has no host: it was never created "
                                       "on a backend.")
        info: dict[str, Any] = await self._agent_call(volume, "initialize_connection",
                                                      connector=connector)
        info["data"]["access_mode"] = "ro" if volume.readonly else "rw"
        # the hypervisor applies its type's front-end QoS (cinder puts None otherwise)
        info["data"]["qos_specs"] = await self.front_end_qos(volume.volume_type_id)
        return info

    async def terminate_connection(self, context: RequestContext, volume_id: str,
                                   connector: dict[str, Any]) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
        if volume.host:
            await self._agent_call(volume, "terminate_connection", connector=connector)

    async def _agent_call(self, volume: Volume, method: str, **kwargs: Any) -> Any:
        try:
            return await self.bus.call(volume_topic(backend_of(volume.host or "")), method,
                                       timeout=RPC_TIMEOUT, volume_id=volume.id, **kwargs)
        except (RemoteError, TimeoutError, Exception) as exc:
            raise errors.VolumeBackendAPIException(
                data=f"Unable to {method.replace('_', ' ')} for volume {volume.id}: "
                f"{exc}") from exc

    async def attach_volume(self, context: RequestContext, volume_id: str,
                            spec: dict[str, Any]) -> None:
        mode = spec.get("mode", "rw")
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            if volume.readonly and mode != "ro":
                raise errors.InvalidVolumeAttachMode(mode=mode, volume_id=volume_id)
            expected = ("attaching", "in-use") if volume.multiattach else ("attaching",)
            if not await transition(session, Volume, volume_id,
                                    {"status": "in-use", "attach_status": "attached",
                                     "updated_at": utcnow()}, status=expected):
                raise errors.InvalidVolume(reason=f"Volume status must be attaching to "
                                           f"attach, but current status is: "
                                           f"{volume.status}.")
            session.add(Attachment(
                id=new_id(), volume_id=volume_id, project_id=volume.project_id,
                instance_uuid=spec.get("instance_uuid"), attached_host=spec.get("host_name"),
                mountpoint=spec.get("mountpoint"), attach_status="attached",
                attach_mode=mode, attach_time=utcnow()))

    async def begin_detaching(self, context: RequestContext, volume_id: str) -> None:
        async with self.db.session() as session:
            await self.volume_for(session, context, volume_id)
            if not await transition(session, Volume, volume_id,
                                    {"status": "detaching", "previous_status": "in-use",
                                     "updated_at": utcnow()},
                                    status="in-use", attach_status="attached"):
                raise errors.InvalidVolume(reason="Unable to detach volume. Volume status "
                                           "must be 'in-use' and attach_status must be "
                                           "'attached' to detach.")

    async def roll_detaching(self, context: RequestContext, volume_id: str) -> None:
        async with self.db.session() as session:
            await self.volume_for(session, context, volume_id)
            await transition(session, Volume, volume_id,
                             {"status": "in-use", "updated_at": utcnow()}, status="detaching")

    async def detach_volume(self, context: RequestContext, volume_id: str,
                            attachment_id: str | None) -> None:
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            attachments = list(await session.scalars(select(Attachment).where(
                Attachment.volume_id == volume_id, Attachment.attach_status == "attached")))
            if attachment_id is None and len(attachments) > 1:
                raise errors.InvalidVolume(reason="Detach volume failed: more than one "
                                           "attachment, but no attachment_id provided.")
            chosen = [a for a in attachments if attachment_id in (None, a.id)]
            if not chosen:
                if attachment_id is not None:
                    raise errors.AttachmentNotFound(id=attachment_id)
                raise errors.InvalidVolume(reason="Volume is not attached")
            await session.delete(chosen[0])
            remaining = len(attachments) - 1
            if not await transition(
                    session, Volume, volume_id,
                    {"status": "in-use" if remaining else "available",
                     "attach_status": "attached" if remaining else "detached",
                     "updated_at": utcnow()},
                    status=("detaching", "in-use")):
                raise errors.InvalidVolume(reason=f"Volume status must be detaching or "
                                           f"in-use to detach, but current status is: "
                                           f"{volume.status}.")

    @staticmethod
    async def _attached_count(session: Any, volume_id: str) -> int:
        return int(await session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.volume_id == volume_id,
            Attachment.attach_status == "attached")) or 0)
