"""Backups (cinder-backup): full and incremental, of available volumes (in-use with
force), kept by a backup service's agent as chunked, checksummed objects; restored into
an existing available volume or a new one; volumes created from a backup. Every move is a
conditional update; the agents report the outcome here (see `extra_control_handlers`)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, select

from gureum.block_storage import errors
from gureum.block_storage.manager.base import (
    is_admin,
    new_id,
    quota_lock,
    record_message,
    transition,
)
from gureum.block_storage.manager.listing import ListQuery, boolean, paged
from gureum.block_storage.manager.volumes import Volumes
from gureum.block_storage.messages import BACKUP_BINARY, backup_topic
from gureum.block_storage.models import Backup, Service, Snapshot, Volume
from gureum.core.bus import Handler
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

BACKUP_COLUMNS = {
    "id": Backup.id, "name": Backup.name, "status": Backup.status, "size": Backup.size,
    "created_at": Backup.created_at, "updated_at": Backup.updated_at,
    "volume_id": Backup.volume_id, "project_id": Backup.project_id,
    "data_timestamp": Backup.data_timestamp,
}


class Backups(Volumes):
    # ------------------------------------------------------------ create
    async def create_backup(self, context: RequestContext, spec: dict[str, Any]) -> Backup:
        force = bool(spec.get("force"))
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, spec["volume_id"])
            snapshot = (await self.snapshot_for(session, context, spec["snapshot_id"])
                        if spec.get("snapshot_id") else None)
            zone = spec.get("availability_zone")  # 3.51: a backup service in another zone
            host = await self._backup_host(session, zone)
        if snapshot is not None:
            return await self._backup_snapshot(context, spec, volume, snapshot, host)
        if volume.status not in ("available", "in-use"):
            raise errors.InvalidVolume(reason=f"Volume to be backed up must be available or "
                                       f"in-use, but the current status is "
                                       f"\"{volume.status}\".")
        if volume.status == "in-use" and not force:
            raise errors.InvalidVolume(reason="Backing up an in-use volume must use the force "
                                       "flag.")
        backup = Backup(id=new_id(), project_id=volume.project_id,
                        user_id=context.user_id or "", volume_id=volume.id,
                        name=spec.get("name"), description=spec.get("description"),
                        status="creating", size=volume.size,
                        availability_zone=spec.get("availability_zone") or volume.availability_zone,
                        container=spec.get("container"), host=host,
                        metadata_=dict(spec.get("metadata") or {}),
                        created_at=utcnow(), data_timestamp=utcnow())
        async with self.db.session(lock=quota_lock(volume.project_id)) as session:
            if spec.get("incremental"):
                backup.parent_id = await self._latest_backup(session, volume.id)
            await self.check_quota(session, volume.project_id, backups=1,
                                   backup_gigabytes=volume.size)
            if not await transition(session, Volume, volume.id,
                                    {"status": "backing-up", "previous_status": Volume.status,
                                     "updated_at": utcnow()},
                                    status=("available", "in-use") if force
                                    else ("available",)):
                raise errors.InvalidVolume(reason=f"Volume {volume.id} status changed")
            session.add(backup)
        await self.bus.cast(backup_topic(host), "create_backup", backup_id=backup.id,
                            volume_id=volume.id, volume_host=volume.host,
                            size=volume.size, parent_id=backup.parent_id)
        return backup

    async def _backup_snapshot(self, context: RequestContext, spec: dict[str, Any],
                               volume: Volume, snapshot: Snapshot, host: str) -> Backup:
        """A backup of a snapshot's bytes: the snapshot is `backing-up` meanwhile, the
        volume (in use or not) is left alone; its data is as old as the snapshot."""
        if snapshot.volume_id != volume.id:
            raise errors.InvalidInput(reason=f"Snapshot {snapshot.id} does not belong to "
                                      f"volume {volume.id}.")
        if volume.status not in ("available", "in-use"):
            raise errors.InvalidVolume(reason=f"Volume to be backed up must be available or "
                                       f"in-use, but the current status is "
                                       f"\"{volume.status}\".")
        backup = Backup(id=new_id(), project_id=volume.project_id,
                        user_id=context.user_id or "", volume_id=volume.id,
                        snapshot_id=snapshot.id, name=spec.get("name"),
                        description=spec.get("description"), status="creating",
                        size=snapshot.size,
                        availability_zone=spec.get("availability_zone")
                        or volume.availability_zone,
                        container=spec.get("container"), host=host,
                        metadata_=dict(spec.get("metadata") or {}),
                        created_at=utcnow(), data_timestamp=snapshot.created_at)
        async with self.db.session(lock=quota_lock(volume.project_id)) as session:
            if spec.get("incremental"):
                backup.parent_id = await self._latest_backup(session, volume.id)
            await self.check_quota(session, volume.project_id, backups=1,
                                   backup_gigabytes=snapshot.size)
            if not await transition(session, Snapshot, snapshot.id,
                                    {"status": "backing-up"}, status="available"):
                raise errors.InvalidSnapshot(reason="Snapshot to be backed up must be "
                                             "available, but the current status is "
                                             f"\"{snapshot.status}\".")
            session.add(backup)
        await self.bus.cast(backup_topic(host), "create_backup", backup_id=backup.id,
                            volume_id=volume.id, volume_host=volume.host,
                            size=snapshot.size, parent_id=backup.parent_id,
                            snapshot_id=snapshot.id)
        return backup

    async def _backup_host(self, session: Any, zone: str | None = None) -> str:
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        stmt = select(Service.host).where(
            Service.binary == BACKUP_BINARY, Service.updated_at >= cutoff,
            Service.disabled.is_(False))
        if zone:
            stmt = stmt.where(Service.availability_zone == zone)
        hosts = list(await session.scalars(stmt))
        if not hosts:
            raise errors.BackupServiceUnavailable()
        return str(random.choice(hosts))

    @staticmethod
    async def _latest_backup(session: Any, volume_id: str) -> str:
        parent = (await session.scalars(select(Backup.id).where(
            Backup.volume_id == volume_id, Backup.status == "available").order_by(
            Backup.data_timestamp.desc(), Backup.created_at.desc()).limit(1))).first()
        if parent is None:
            raise errors.InvalidBackup(reason="No backups available to do an incremental "
                                       "backup.")
        return str(parent)

    # ------------------------------------------------------------ read, update
    async def list_backups(self, context: RequestContext, query: ListQuery) -> list[Backup]:
        stmt = select(Backup)
        filters = dict(query.filters)
        all_tenants = boolean(filters.pop("all_tenants", "0")) and is_admin(context)
        asked_project = filters.pop("project_id", None)
        if not all_tenants:
            stmt = stmt.where(Backup.project_id == (context.project_id or ""))
        elif asked_project:
            stmt = stmt.where(Backup.project_id == asked_project)
        for name in ("name", "status", "volume_id"):
            if name in filters:
                stmt = stmt.where(BACKUP_COLUMNS[name] == filters[name])
        async with self.db.session() as session:
            return await paged(session, stmt, Backup, BACKUP_COLUMNS, query)

    async def show_backup(self, context: RequestContext, backup_id: str) -> Backup:
        async with self.db.session() as session:
            return await self.backup_for(session, context, backup_id)

    async def dependent_backups(self, backup_ids: list[str]) -> set[str]:
        """Which of these backups have incremental backups on top of them."""
        async with self.db.session() as session:
            return set(await session.scalars(select(Backup.parent_id).where(
                Backup.parent_id.in_(backup_ids)).distinct()))

    async def update_backup(self, context: RequestContext, backup_id: str,
                            spec: dict[str, Any]) -> Backup:
        async with self.db.session() as session:
            backup = await self.backup_for(session, context, backup_id)
            for key in ("name", "description"):
                if key in spec:
                    setattr(backup, key, spec[key])
            if "metadata" in spec:
                backup.metadata_ = dict(spec["metadata"] or {})
            backup.updated_at = utcnow()
            return backup

    # ------------------------------------------------------------ delete
    async def delete_backup(self, context: RequestContext, backup_id: str) -> None:
        async with self.db.session() as session:
            backup = await self.backup_for(session, context, backup_id)
            if await session.scalar(select(exists().where(Backup.parent_id == backup_id))):
                raise errors.InvalidBackup(reason="Incremental backups exist for this "
                                           "backup.")
            if not await transition(session, Backup, backup_id,
                                    {"status": "deleting", "updated_at": utcnow()},
                                    status=("available", "error")):
                raise errors.InvalidBackup(reason="Backup status must be available or error")
        if backup.host is None:
            async with self.db.session() as session:
                await session.execute(delete(Backup).where(Backup.id == backup_id))
            return
        await self.bus.cast(backup_topic(backup.host), "delete_backup", backup_id=backup_id)

    # ------------------------------------------------------------ restore
    async def restore_backup(self, context: RequestContext, backup_id: str,
                             volume_id: str | None, name: str | None) -> tuple[Backup, Volume]:
        async with self.db.session() as session:
            backup = await self.backup_for(session, context, backup_id)
        if backup.status != "available":
            raise errors.InvalidBackup(reason="Backup status must be available")
        if volume_id is None:  # a new volume, restored into once it exists
            volume = await self._create_from_backup(context, backup, name)
            return backup, volume
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            if volume.size < backup.size:
                raise errors.InvalidVolume(reason=f"volume size {volume.size} is too small to "
                                           f"restore backup of size {backup.size}.")
            if not await transition(session, Volume, volume_id,
                                    {"status": "restoring-backup", "updated_at": utcnow()},
                                    status="available"):
                raise errors.InvalidVolume(reason="Volume to be restored to must be available")
            if not await transition(session, Backup, backup_id,
                                    {"status": "restoring", "restore_volume_id": volume_id,
                                     "updated_at": utcnow()}, status="available"):
                raise errors.InvalidBackup(reason="Backup status must be available")
        await self.bus.cast(backup_topic(backup.host or ""), "restore_backup",
                            backup_id=backup_id, volume_id=volume_id, volume_host=volume.host)
        return backup, volume

    async def _create_from_backup(self, context: RequestContext, backup: Backup,
                                  name: str | None) -> Volume:
        return await self.create_volume(context, {
            "backup_id": backup.id, "size": backup.size,
            "name": name or f"restore_backup_{backup.id}",
            "description": "auto-created_from_restore_from_backup",
            "availability_zone": backup.availability_zone})

    async def restore_into(self, volume_id: str, backup_id: str) -> None:
        """A volume made from a backup is on its backend: restore into it now."""
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            backup = await session.get(Backup, backup_id)
            moved = backup is not None and await transition(
                session, Backup, backup_id, {"status": "restoring",
                                             "restore_volume_id": volume_id,
                                             "updated_at": utcnow()}, status="available")
        if volume is None:
            return
        if not moved or backup is None:
            await self.rpc_backup_restored(backup_id, volume_id, ok=False,
                                           reason="the backup is not available")
            return
        await self.bus.cast(backup_topic(backup.host or ""), "restore_backup",
                            backup_id=backup_id, volume_id=volume_id, volume_host=volume.host)

    # ------------------------------------------------------------ the agents' reports
    def extra_control_handlers(self) -> dict[str, Handler]:
        return {"backup_created": self.rpc_backup_created,
                "backup_restored": self.rpc_backup_restored,
                "backup_deleted": self.rpc_backup_deleted}

    async def rpc_backup_created(self, backup_id: str, ok: bool, object_count: int = 0,
                                 reason: str = "") -> None:
        async with self.db.session() as session:
            backup = await session.get(Backup, backup_id)
            if backup is None:
                return
            values: dict[str, Any] = {"status": "available", "object_count": object_count,
                                      "updated_at": utcnow()}
            if not ok:
                values = {"status": "error", "fail_reason": reason[:255],
                          "updated_at": utcnow()}
            if await transition(session, Backup, backup_id, values, status="creating"):
                volume = await session.get(Volume, backup.volume_id)
                if backup.snapshot_id:
                    await transition(session, Snapshot, backup.snapshot_id,
                                     {"status": "available"}, status="backing-up")
                elif volume is not None:
                    await transition(session, Volume, volume.id,
                                     {"status": volume.previous_status or "available",
                                      "previous_status": None, "updated_at": utcnow()},
                                     status="backing-up")
                if not ok:
                    await record_message(session, backup.project_id, "VOLUME_BACKUP",
                                         backup_id, "BACKUP_BACKUP_001_001",
                                         "create backup:The backup service failed to back "
                                         "up the volume.")

    async def rpc_backup_restored(self, backup_id: str, volume_id: str, ok: bool,
                                  reason: str = "") -> None:
        async with self.db.session() as session:
            await transition(session, Backup, backup_id,
                             {"status": "available", "restore_volume_id": None,
                              "updated_at": utcnow()}, status="restoring")
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            status = "available" if ok else ("error" if volume.backup_id == backup_id
                                             else "error_restoring")
            if await transition(session, Volume, volume_id,
                                {"status": status, "updated_at": utcnow()},
                                status="restoring-backup") and not ok:
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_BACKUP_002_001", "restore backup:The backup "
                                     f"could not be restored: {reason}"[:255])

    async def rpc_backup_deleted(self, backup_id: str, ok: bool, reason: str = "") -> None:
        async with self.db.session() as session:
            if ok:
                await session.execute(delete(Backup).where(Backup.id == backup_id,
                                                           Backup.status == "deleting"))
            else:
                await transition(session, Backup, backup_id,
                                 {"status": "error_deleting", "fail_reason": reason[:255],
                                  "updated_at": utcnow()}, status="deleting")
