"""Snapshots: made by the agent of the volume's backend; a snapshot is never attached, a
volume made from it is. Quotas count them (and their gigabytes)."""

from __future__ import annotations

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
from gureum.block_storage.manager.listing import ListQuery, boolean, metadata_filter, paged
from gureum.block_storage.messages import backend_of, volume_topic
from gureum.block_storage.models import Snapshot, Volume
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

SNAPSHOT_COLUMNS = {
    "id": Snapshot.id, "name": Snapshot.name, "status": Snapshot.status,
    "size": Snapshot.size, "created_at": Snapshot.created_at,
    "updated_at": Snapshot.updated_at, "volume_id": Snapshot.volume_id,
    "project_id": Snapshot.project_id,
}


class Snapshots(ManagerBase):
    async def create_snapshot(self, context: RequestContext, spec: dict[str, Any],
                              ) -> Snapshot:
        force = bool(spec.get("force"))
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, spec["volume_id"])
        allowed = ("available", "in-use") if force else ("available",)
        if volume.status not in allowed or volume.host is None:
            raise errors.InvalidVolume(reason=f"Volume {volume.id} status must be available"
                                       f"{' or in-use' if force else ''}, but current "
                                       f"status is: {volume.status}.")
        snapshot = Snapshot(id=new_id(), project_id=volume.project_id,
                            user_id=context.user_id or "", volume_id=volume.id,
                            name=spec.get("name") or spec.get("display_name"),
                            description=spec.get("description") or
                            spec.get("display_description"),
                            size=volume.size, status="creating",
                            metadata_=dict(spec.get("metadata") or {}), created_at=utcnow())
        async with self.db.session(lock=quota_lock(volume.project_id)) as session:
            await self.check_quota(session, volume.project_id, snapshots=1,
                                   gigabytes=volume.size,
                                   volume_type_id=volume.volume_type_id)
            current = await session.get(Volume, volume.id)
            if current is None or current.status not in allowed:
                raise errors.InvalidVolume(reason=f"Volume {volume.id} status changed")
            session.add(snapshot)
        await self.bus.cast(volume_topic(backend_of(volume.host)), "create_snapshot",
                            snapshot_id=snapshot.id, volume_id=volume.id, host=volume.host,
                            size=volume.size)
        return snapshot

    async def list_snapshots(self, context: RequestContext, query: ListQuery,
                             ) -> list[Snapshot]:
        stmt = select(Snapshot)
        filters = dict(query.filters)
        all_tenants = boolean(filters.pop("all_tenants", "0")) and is_admin(context)
        asked_project = filters.pop("project_id", None)
        if not all_tenants:
            stmt = stmt.where(Snapshot.project_id == (context.project_id or ""))
        elif asked_project:
            stmt = stmt.where(Snapshot.project_id == asked_project)
        for name in ("name", "status", "volume_id"):
            if name in filters:
                stmt = stmt.where(SNAPSHOT_COLUMNS[name] == filters[name])
        if "metadata" in filters:
            stmt = stmt.where(*[Snapshot.metadata_[k].as_string() == v
                                for k, v in metadata_filter(filters["metadata"]).items()])
        async with self.db.session() as session:
            return await paged(session, stmt, Snapshot, SNAPSHOT_COLUMNS, query)

    async def show_snapshot(self, context: RequestContext, snapshot_id: str) -> Snapshot:
        async with self.db.session() as session:
            return await self.snapshot_for(session, context, snapshot_id)

    async def update_snapshot(self, context: RequestContext, snapshot_id: str,
                              spec: dict[str, Any]) -> Snapshot:
        async with self.db.session() as session:
            snapshot = await self.snapshot_for(session, context, snapshot_id)
            for key, column in (("name", "name"), ("display_name", "name"),
                                ("description", "description"),
                                ("display_description", "description")):
                if key in spec:
                    setattr(snapshot, column, spec[key])
            snapshot.updated_at = utcnow()
            return snapshot

    async def update_snapshot_metadata(self, context: RequestContext, snapshot_id: str,
                                       metadata: dict[str, str], replace: bool,
                                       ) -> dict[str, Any]:
        async with self.db.session(lock=f"snapshot:{snapshot_id}") as session:
            snapshot = await self.snapshot_for(session, context, snapshot_id)
            snapshot.metadata_ = (dict(metadata) if replace
                                  else {**snapshot.metadata_, **metadata})
            snapshot.updated_at = utcnow()
            return dict(snapshot.metadata_)

    async def delete_snapshot_metadata(self, context: RequestContext, snapshot_id: str,
                                       key: str) -> None:
        async with self.db.session(lock=f"snapshot:{snapshot_id}") as session:
            snapshot = await self.snapshot_for(session, context, snapshot_id)
            if key not in snapshot.metadata_:
                raise errors.SnapshotMetadataNotFound(snapshot_id=snapshot_id, key=key)
            snapshot.metadata_ = {k: v for k, v in snapshot.metadata_.items() if k != key}

    async def delete_snapshot(self, context: RequestContext, snapshot_id: str) -> None:
        async with self.db.session() as session:
            snapshot = await self.snapshot_for(session, context, snapshot_id)
            volume = await session.get(Volume, snapshot.volume_id)
            if not await transition(session, Snapshot, snapshot_id,
                                    {"status": "deleting", "updated_at": utcnow()},
                                    status=("available", "error")):
                raise errors.InvalidSnapshot(reason="Volume Snapshot status must be "
                                             "available or error")
            if volume is None or volume.host is None:
                await session.execute(delete(Snapshot).where(Snapshot.id == snapshot_id))
                return
        await self.bus.cast(volume_topic(backend_of(volume.host)), "delete_snapshot",
                            snapshot_id=snapshot_id, host=volume.host)
