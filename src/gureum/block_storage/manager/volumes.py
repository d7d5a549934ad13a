"""Volumes: create (empty, from a snapshot, a clone), list, show, update, delete,
metadata. A create is written under the project's quota lock, then handed to the
schedulers over the bus; the answer is 202 with the volume `creating`."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import delete, select

from gureum.block_storage import errors
from gureum.block_storage.manager.base import (
    ManagerBase,
    is_admin,
    new_id,
    quota_lock,
    transition,
)
from gureum.block_storage.manager.images import image_for_volume
from gureum.block_storage.manager.listing import ListQuery, boolean, metadata_filter, paged
from gureum.block_storage.messages import SCHEDULER_TOPIC, backend_of, volume_topic
from gureum.block_storage.models import Backup, Service, Snapshot, Volume, VolumeType
from gureum.core.batch import Batches
from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import GureumError

VOLUME_COLUMNS = {
    "id": Volume.id, "name": Volume.name, "status": Volume.status, "size": Volume.size,
    "created_at": Volume.created_at, "updated_at": Volume.updated_at,
    "availability_zone": Volume.availability_zone, "project_id": Volume.project_id,
    "bootable": Volume.bootable, "description": Volume.description,
    "volume_type_id": Volume.volume_type_id, "host": Volume.host,
}
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
NOT_DELETABLE = ("Volume status must be available or error or error_restoring or "
                 "error_extending or error_managing and must not be migrating, attached, "
                 "belong to a group, have snapshots, awaiting a transfer, or be "
                 "disassociated from snapshots after volume transfer.")
TYPE_MULTIATTACH = "<is> True"


class Volumes(ManagerBase):
    # ------------------------------------------------------------ create
    async def create_volume(self, context: RequestContext, spec: dict[str, Any]) -> Volume:
        project_id = context.project_id or ""
        backup = await self._backup_source(context, spec.get("backup_id"), spec.get("size"))
        if backup is not None and not spec.get("volume_type"):
            spec = {**spec, "volume_type": await self._type_of_volume(backup.volume_id)}
        async with self.db.session() as session:
            source = await self._source(session, context, spec)
            vtype = await self._volume_type(session, context, spec, source)
            zone = await self._zone(session, spec, source)
        size = None if spec.get("size") is None else int(spec["size"])
        if backup is not None and size is None:
            size = backup.size
        image_metadata: dict[str, str] = {}
        if spec.get("imageRef") and source is None:
            size, image_metadata = await image_for_volume(self.images, context,
                                                          str(spec["imageRef"]), size)
        elif source is not None:
            image_metadata = await self._source_image_metadata(source)
        if size is None:
            if source is None:
                raise errors.InvalidInput(reason="Volume size must be specified")
            size = source.size
        if source is not None and size < source.size:
            kind = "snapshot" if isinstance(source, Snapshot) else "source volume"
            raise errors.InvalidInput(
                reason=f"Volume size '{size}'GB cannot be smaller than the {kind} size "
                f"{source.size}GB. They must be >= original {kind} size.")
        multiattach = bool(spec.get("multiattach")) or (
            vtype.extra_specs.get("multiattach") == TYPE_MULTIATTACH)
        volume = Volume(
            id=new_id(), project_id=project_id, user_id=context.user_id or "",
            name=spec.get("name"), description=spec.get("description"), size=size,
            status="creating", availability_zone=zone, volume_type_id=vtype.id,
            multiattach=multiattach, metadata_=dict(spec.get("metadata") or {}),
            snapshot_id=source.id if isinstance(source, Snapshot) else None,
            source_volid=source.id if isinstance(source, Volume) else None,
            bootable=bool(isinstance(source, Volume) and source.bootable),
            image_id=image_metadata.get("image_id") if source is None else None,
            backup_id=backup.id if backup is not None else None,
            image_metadata=image_metadata, created_at=utcnow())
        await self.volume_inserts.submit(project_id, (volume, context.request_id))
        return volume

    @functools.cached_property
    def volume_inserts(self) -> Batches[str, tuple[Volume, str | None], None]:
        """Creates in one project take its quota lock, so they commit together
        (core/batch.py): one transaction, one lock, one read of the limits serve all the
        creates that arrived while the previous batch ran. The batch, not the caller,
        hands the volumes to the schedulers: a client that hangs up after the commit
        does not leave its volume unscheduled."""
        return Batches(self._insert_volumes)

    async def _insert_volumes(self, project_id: str,
                              items: list[tuple[Volume, str | None]],
                              ) -> list[None | Exception]:
        outcomes = await self._insert_batch(project_id, [volume for volume, _ in items])
        for (volume, request_id), outcome in zip(items, outcomes, strict=True):
            if outcome is None:
                await self.bus.cast(SCHEDULER_TOPIC, "create_volume", volume_id=volume.id,
                                    request_id=request_id)
        return outcomes

    async def _insert_batch(self, project_id: str, volumes: list[Volume],
                            ) -> list[None | Exception]:
        """One quota check for the whole batch when all of it fits (the usual case);
        else each volume is counted with the ones before it (flushed, so the usage the
        check sums includes them): exact, and a volume over quota fails alone while the
        rest of the batch goes in."""
        outcomes: list[None | Exception] = []
        async with self.db.session(lock=quota_lock(project_id)) as session:
            if len(volumes) > 1:
                try:
                    await self.check_quota(session, project_id, volumes=len(volumes),
                                           gigabytes=sum(v.size for v in volumes),
                                           volume_size=max(v.size for v in volumes))
                except GureumError:
                    pass  # not all of it: one by one, below
                else:
                    session.add_all(volumes)
                    return [None] * len(volumes)
            for volume in volumes:
                try:
                    await self.check_quota(session, project_id, volumes=1,
                                           gigabytes=volume.size, volume_size=volume.size)
                except GureumError as exc:
                    outcomes.append(exc)
                    continue
                session.add(volume)
                outcomes.append(None)
                if len(volumes) > 1:
                    await session.flush()
        return outcomes

    async def _source(self, session: Any, context: RequestContext, spec: dict[str, Any],
                      ) -> Volume | Snapshot | None:
        if spec.get("snapshot_id"):
            snapshot = await self.snapshot_for(session, context, spec["snapshot_id"])
            if snapshot.status != "available":
                raise errors.InvalidSnapshot(
                    reason="Originating snapshot status must be one of 'available' "
                    "values")
            return snapshot
        if spec.get("source_volid"):
            volume = await self.volume_for(session, context, spec["source_volid"])
            if volume.status not in ("available", "in-use"):
                raise errors.InvalidVolume(reason=f"Volume {volume.id} status must be "
                                           f"available or in-use, but current status is: "
                                           f"{volume.status}.")
            return volume
        return None

    async def _type_of_volume(self, volume_id: str) -> str | None:
        """The type of the volume a backup was made of (a volume restored from it lands
        where its kind of volume goes), if that volume is still here."""
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            return volume.volume_type_id if volume is not None else None

    async def _backup_source(self, context: RequestContext, backup_id: str | None,
                             size: Any) -> Backup | None:
        if not backup_id:
            return None
        size = None if size is None else int(size)
        async with self.db.session() as session:
            backup = await self.backup_for(session, context, backup_id)
        if backup.status != "available":
            raise errors.InvalidBackup(reason="Backup status must be available")
        if size is not None and size < backup.size:
            raise errors.InvalidInput(reason=f"Volume size '{size}'GB cannot be smaller than "
                                      f"the backup size {backup.size}GB. It must be >= "
                                      "backup size.")
        return backup

    async def _source_image_metadata(self, source: Volume | Snapshot) -> dict[str, str]:
        """A copy keeps what its origin was made from (cinder copies glance metadata)."""
        if isinstance(source, Volume):
            return dict(source.image_metadata)
        async with self.db.session() as session:
            origin = await session.get(Volume, source.volume_id)
        return dict(origin.image_metadata) if origin is not None else {}

    async def _volume_type(self, session: Any, context: RequestContext,
                           spec: dict[str, Any], source: Volume | Snapshot | None,
                           ) -> VolumeType:
        if spec.get("volume_type"):
            return await self.type_for(session, context, str(spec["volume_type"]),
                                       by_name=True)
        origin = source
        if isinstance(source, Snapshot):
            origin = await session.get(Volume, source.volume_id)
        if isinstance(origin, Volume):
            found = await session.get(VolumeType, origin.volume_type_id)
            if found is not None:
                return found  # type: ignore[no-any-return]
        return await self.default_type(session)

    async def _zone(self, session: Any, spec: dict[str, Any],
                    source: Volume | Snapshot | None) -> str:
        origin = source
        if isinstance(source, Snapshot):
            origin = await session.get(Volume, source.volume_id)
        zone = spec.get("availability_zone") or (
            origin.availability_zone if isinstance(origin, Volume) else
            self.settings.default_availability_zone)
        known = {b.availability_zone for b in self.settings.backends.values()}
        if zone not in known:  # a zone only agents of their own serve (scaled out)
            known.update(await session.scalars(select(Service.availability_zone).distinct()))
        if zone not in known:
            raise errors.InvalidInput(reason=f"Availability zone '{zone}' is invalid.")
        if isinstance(origin, Volume) and zone != origin.availability_zone:
            raise errors.InvalidInput(reason="Volume must be in the same availability zone "
                                      "as the source volume or snapshot")
        return str(zone)

    # ------------------------------------------------------------ read
    async def list_volumes(self, context: RequestContext, query: ListQuery,
                           ) -> list[Volume]:
        stmt = select(Volume)
        filters = dict(query.filters)
        all_tenants = boolean(filters.pop("all_tenants", "0")) and is_admin(context)
        asked_project = filters.pop("project_id", None)
        if not all_tenants:
            stmt = stmt.where(Volume.project_id == (context.project_id or ""))
        elif asked_project:
            stmt = stmt.where(Volume.project_id == asked_project)
        stmt = self._filtered(stmt, filters, context)
        async with self.db.session() as session:
            return await paged(session, stmt, Volume, VOLUME_COLUMNS, query)

    @staticmethod
    def _filtered(stmt: Any, filters: dict[str, str], context: RequestContext) -> Any:
        metadata = metadata_filter(filters.pop("metadata")) if "metadata" in filters else {}
        for name, value in filters.items():
            if name == "bootable":
                stmt = stmt.where(Volume.bootable == boolean(value))
            elif name == "volume_type":
                stmt = stmt.where(Volume.volume_type_id.in_(select(VolumeType.id).where(
                    (VolumeType.id == value) | (VolumeType.name == value))))
            elif name in ("name", "status", "availability_zone", "size", "description"):
                stmt = stmt.where(VOLUME_COLUMNS[name] == (int(value) if name == "size"
                                                           else value))
            elif name == "host" and is_admin(context):
                stmt = stmt.where(Volume.host.like(f"{value}%"))
            # other filters are ignored, as cinder ignores filters it does not allow
        rows = stmt
        if metadata:
            rows = rows.where(*[Volume.metadata_[k].as_string() == v
                                for k, v in metadata.items()])
        return rows

    async def show_volume(self, context: RequestContext, volume_id: str) -> Volume:
        async with self.db.session() as session:
            return await self.volume_for(session, context, volume_id)

    # ------------------------------------------------------------ update
    async def update_volume(self, context: RequestContext, volume_id: str,
                            spec: dict[str, Any]) -> Volume:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            for key in ("name", "description"):
                if key in spec:
                    setattr(volume, key, spec[key])
            if "display_name" in spec:
                volume.name = spec["display_name"]
            if "display_description" in spec:
                volume.description = spec["display_description"]
            if "metadata" in spec:
                volume.metadata_ = dict(spec["metadata"] or {})
            volume.updated_at = utcnow()
        return volume

    async def update_volume_metadata(self, context: RequestContext, volume_id: str,
                                     metadata: dict[str, str], replace: bool,
                                     ) -> dict[str, Any]:
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            if volume.status == "maintenance":
                raise errors.InvalidVolume(reason="Volume is in maintenance")
            volume.metadata_ = dict(metadata) if replace else {**volume.metadata_, **metadata}
            volume.updated_at = utcnow()
            return dict(volume.metadata_)

    async def delete_volume_metadata(self, context: RequestContext, volume_id: str,
                                     key: str) -> None:
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            if key not in volume.metadata_:
                raise errors.VolumeMetadataNotFound(volume_id=volume_id, key=key)
            volume.metadata_ = {k: v for k, v in volume.metadata_.items() if k != key}
            volume.updated_at = utcnow()

    # ------------------------------------------------------------ delete
    async def delete_volume(self, context: RequestContext, volume_id: str,
                            cascade: bool = False) -> None:
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            snapshots = list(await session.scalars(select(Snapshot).where(
                Snapshot.volume_id == volume_id)))
            if snapshots and not cascade:
                raise errors.InvalidVolume(reason=NOT_DELETABLE)
            if any(s.status not in ("available", "error") for s in snapshots):
                raise errors.InvalidVolume(reason="Snapshot of volume not in a deletable "
                                           "state.")
            moved = await transition(session, Volume, volume_id,
                                     {"status": "deleting", "previous_status": volume.status,
                                      "updated_at": utcnow()},
                                     status=DELETABLE, attach_status="detached")
            if not moved:
                raise errors.InvalidVolume(reason=NOT_DELETABLE)
            for snapshot in snapshots:
                snapshot.status = "deleting"
            host = volume.host
            if host is None:  # never placed: nothing on any backend to remove
                await session.execute(delete(Volume).where(Volume.id == volume_id))
                return
        await self.bus.cast(volume_topic(backend_of(host)), "delete_volume",
                            volume_id=volume_id, host=host,
                            snapshot_ids=[s.id for s in snapshots])
