"""What every part of the block storage control plane shares: the database, the bus, the
settings, who sees what, conditional state transitions, user messages and quotas."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.block_storage import errors
from gureum.block_storage.config import BlockStorageSettings
from gureum.block_storage.models import (
    Backup,
    Message,
    Quota,
    Snapshot,
    Volume,
    VolumeType,
    VolumeTypeAccess,
)
from gureum.clients.image import ImageClient
from gureum.core.bus import Bus, Handler
from gureum.core.context import RequestContext
from gureum.core.db import Database, utcnow
from gureum.core.db import transition as transition  # the block storage modules take it from here

MESSAGE_TTL = timedelta(days=30)  # cinder's message_ttl
# The resources quotas count, as cinder names them.
QUOTA_RESOURCES = ("volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes",
                   "groups", "per_volume_gigabytes")


def new_id() -> str:
    return str(uuid.uuid4())


def is_admin(context: RequestContext) -> bool:
    return context.is_admin or "admin" in context.roles


def quota_lock(project_id: str) -> str:
    return f"volume-quota:{project_id}"


async def record_message(session: AsyncSession, project_id: str, resource_type: str,
                         resource_uuid: str | None, event_id: str, text: str,
                         request_id: str | None = None) -> None:
    """A user message (GET /messages): why something the user asked for failed."""
    now = utcnow()
    session.add(Message(id=new_id(), project_id=project_id, request_id=request_id,
                        resource_type=resource_type, resource_uuid=resource_uuid,
                        event_id=event_id, message_level="ERROR", user_message=text,
                        created_at=now, expires_at=now + MESSAGE_TTL))


class ManagerBase:
    def __init__(self, db: Database, bus: Bus, settings: BlockStorageSettings,
                 images: ImageClient | None = None) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.images = images  # the Image service, for imageRef and uploads to images

    # ------------------------------------------------------------ reading
    @staticmethod
    def owned(context: RequestContext, model: Any) -> ColumnElement[bool] | None:
        if is_admin(context):
            return None
        return model.project_id == (context.project_id or "")  # type: ignore[no-any-return]

    async def volume_for(self, session: AsyncSession, context: RequestContext,
                         volume_id: str) -> Volume:
        stmt = select(Volume).where(Volume.id == volume_id)
        visible = self.owned(context, Volume)
        if visible is not None:
            stmt = stmt.where(visible)
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.VolumeNotFound(volume_id=volume_id)
        return row

    async def backup_for(self, session: AsyncSession, context: RequestContext,
                         backup_id: str) -> Backup:
        stmt = select(Backup).where(Backup.id == backup_id)
        visible = self.owned(context, Backup)
        if visible is not None:
            stmt = stmt.where(visible)
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.BackupNotFound(backup_id=backup_id)
        return row

    async def restore_into(self, volume_id: str, backup_id: str) -> None:
        """Restore a backup into a volume just made for it (see manager.backups)."""
        raise NotImplementedError

    async def front_end_qos(self, volume_type_id: str) -> dict[str, str] | None:
        raise NotImplementedError  # manager.qos

    def extra_control_handlers(self) -> dict[str, Handler]:
        """Handlers other parts of the control plane serve on CONTROL_TOPIC."""
        return {}

    async def snapshot_for(self, session: AsyncSession, context: RequestContext,
                           snapshot_id: str) -> Snapshot:
        stmt = select(Snapshot).where(Snapshot.id == snapshot_id)
        visible = self.owned(context, Snapshot)
        if visible is not None:
            stmt = stmt.where(visible)
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.SnapshotNotFound(snapshot_id=snapshot_id)
        return row

    @staticmethod
    def visible_types(context: RequestContext) -> ColumnElement[bool] | None:
        if is_admin(context):
            return None
        granted = select(VolumeTypeAccess.volume_type_id).where(
            VolumeTypeAccess.project_id == (context.project_id or ""))
        return or_(VolumeType.is_public, VolumeType.id.in_(granted))

    async def type_for(self, session: AsyncSession, context: RequestContext, ref: str,
                       by_name: bool = False) -> VolumeType:
        """A type the caller may use, by id (or, with by_name, by id or name)."""
        stmt = select(VolumeType).where(
            or_(VolumeType.id == ref, VolumeType.name == ref) if by_name
            else VolumeType.id == ref)
        visible = self.visible_types(context)
        if visible is not None:
            stmt = stmt.where(visible)
        row = (await session.scalars(stmt)).first()
        if row is None:
            if by_name:
                raise errors.VolumeTypeNotFoundByName(volume_type_name=ref)
            raise errors.VolumeTypeNotFound(volume_type_id=ref)
        return row

    async def default_type(self, session: AsyncSession) -> VolumeType:
        row = (await session.scalars(select(VolumeType).where(
            VolumeType.name == self.settings.default_volume_type))).first()
        if row is None:
            raise errors.VolumeTypeNotFoundByName(
                volume_type_name=self.settings.default_volume_type)
        return row

    # ------------------------------------------------------------ quotas
    async def quota_limits(self, session: AsyncSession, project_id: str,
                           type_names: Iterable[str] = ()) -> dict[str, int]:
        """The project's limits: the totals, and the per-type ones (`volumes_<type>`,
        `gigabytes_<type>`, `snapshots_<type>`) of the types named."""
        limits = {name: self.settings.quotas.get(name, -1)
                  for name in (*QUOTA_RESOURCES, *per_type_resources(type_names))}
        for row in await session.scalars(select(Quota).where(Quota.project_id == project_id)):
            if row.resource in limits:
                limits[row.resource] = row.limit
        return limits

    @staticmethod
    async def quota_usage(session: AsyncSession, project_id: str) -> dict[str, int]:
        volumes, volume_gb = (await session.execute(
            select(func.count(), func.coalesce(func.sum(Volume.size), 0))
            .where(Volume.project_id == project_id))).one()
        snapshots, snapshot_gb = (await session.execute(
            select(func.count(), func.coalesce(func.sum(Snapshot.size), 0))
            .where(Snapshot.project_id == project_id))).one()
        backups, backup_gb = (await session.execute(
            select(func.count(), func.coalesce(func.sum(Backup.size), 0))
            .where(Backup.project_id == project_id))).one()
        return {"volumes": int(volumes), "snapshots": int(snapshots),
                "gigabytes": int(volume_gb) + int(snapshot_gb), "backups": int(backups),
                "backup_gigabytes": int(backup_gb), "groups": 0, "per_volume_gigabytes": 0}

    @staticmethod
    async def quota_usage_by_type(session: AsyncSession, project_id: str,
                                  ) -> dict[str, int]:
        """Per-type usage, by type name (a snapshot counts under its volume's type, and
        its gigabytes with the type's, as cinder counts them)."""
        used: dict[str, int] = {}
        for name, count, size in (await session.execute(
                select(VolumeType.name, func.count(), func.coalesce(func.sum(Volume.size), 0))
                .join(Volume, Volume.volume_type_id == VolumeType.id)
                .where(Volume.project_id == project_id).group_by(VolumeType.name))).all():
            used[f"volumes_{name}"] = int(count)
            used[f"gigabytes_{name}"] = int(size)
        for name, count, size in (await session.execute(
                select(VolumeType.name, func.count(),
                       func.coalesce(func.sum(Snapshot.size), 0))
                .join(Volume, Volume.volume_type_id == VolumeType.id)
                .join(Snapshot, Snapshot.volume_id == Volume.id)
                .where(Snapshot.project_id == project_id).group_by(VolumeType.name))).all():
            used[f"snapshots_{name}"] = int(count)
            used[f"gigabytes_{name}"] = used.get(f"gigabytes_{name}", 0) + int(size)
        return used

    async def check_quota(self, session: AsyncSession, project_id: str, *, volumes: int = 0,
                          snapshots: int = 0, gigabytes: int = 0,
                          volume_size: int | None = None, backups: int = 0,
                          backup_gigabytes: int = 0, volume_type_id: str | None = None,
                          ) -> None:
        """Raise the 413 cinder answers when the project would pass a limit (the totals,
        and with `volume_type_id` that type's). Call inside
        `db.session(lock=quota_lock(project_id))`, in the transaction that then writes
        the row, so racing creates count one another."""
        vtype = await session.get(VolumeType, volume_type_id) if volume_type_id else None
        limits = await self.quota_limits(session, project_id,
                                         [vtype.name] if vtype else [])
        per_volume = limits["per_volume_gigabytes"]
        if volume_size is not None and 0 <= per_volume < volume_size:
            raise errors.VolumeSizeExceedsLimit(size=volume_size, limit=per_volume)
        if vtype is not None:
            await self._check_type_quota(session, project_id, vtype.name, limits, volumes,
                                         snapshots, gigabytes)
        asked = {"volumes": volumes, "snapshots": snapshots, "gigabytes": gigabytes,
                 "backups": backups, "backup_gigabytes": backup_gigabytes}
        if all(limits[name] < 0 for name, amount in asked.items() if amount):
            return  # nothing limited: nothing to count (three sums over the project)
        used = await self.quota_usage(session, project_id)
        if volumes and 0 <= limits["volumes"] < used["volumes"] + volumes:
            raise errors.VolumeLimitExceeded(allowed=limits["volumes"], name="volumes")
        if snapshots and 0 <= limits["snapshots"] < used["snapshots"] + snapshots:
            raise errors.SnapshotLimitExceeded(allowed=limits["snapshots"])
        if gigabytes and 0 <= limits["gigabytes"] < used["gigabytes"] + gigabytes:
            raise errors.SizeExceedsAvailableQuota(
                name="gigabytes", requested=gigabytes, quota=limits["gigabytes"],
                consumed=used["gigabytes"])
        if backups and 0 <= limits["backups"] < used["backups"] + backups:
            raise errors.BackupLimitExceeded(allowed=limits["backups"])
        if backup_gigabytes and 0 <= limits["backup_gigabytes"] < (
                used["backup_gigabytes"] + backup_gigabytes):
            raise errors.BackupSizeExceedsAvailableQuota(
                requested=backup_gigabytes, quota=limits["backup_gigabytes"],
                consumed=used["backup_gigabytes"])

    async def _check_type_quota(self, session: AsyncSession, project_id: str, name: str,
                                limits: dict[str, int], volumes: int, snapshots: int,
                                gigabytes: int) -> None:
        asked = {f"volumes_{name}": volumes, f"snapshots_{name}": snapshots,
                 f"gigabytes_{name}": gigabytes}
        if all(limits[key] < 0 for key, amount in asked.items() if amount):
            return
        used = await self.quota_usage_by_type(session, project_id)
        key = f"volumes_{name}"
        if volumes and 0 <= limits[key] < used.get(key, 0) + volumes:
            raise errors.VolumeLimitExceeded(allowed=limits[key], name=key)
        key = f"snapshots_{name}"
        if snapshots and 0 <= limits[key] < used.get(key, 0) + snapshots:
            raise errors.SnapshotLimitExceeded(allowed=limits[key])
        key = f"gigabytes_{name}"
        if gigabytes and 0 <= limits[key] < used.get(key, 0) + gigabytes:
            raise errors.SizeExceedsAvailableQuota(name=key, requested=gigabytes,
                                                   quota=limits[key],
                                                   consumed=used.get(key, 0))


def per_type_resources(type_names: Iterable[str]) -> list[str]:
    """cinder's per-volume-type quota resources."""
    return [f"{kind}_{name}" for name in type_names
            for kind in ("volumes", "gigabytes", "snapshots")]
