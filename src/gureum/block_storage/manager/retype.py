"""os-retype: a volume changes type. When the pool it is on satisfies the new type's
extra specs the change is a row update; otherwise, with `migration_policy=on-demand`, the
scheduler picks a pool for the new type and the volume's bytes move there, agent to agent
(status `retyping` meanwhile, back to what it was after). Quota usage is counted from the
volumes' rows, so it moves with the type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from gureum.block_storage import errors
from gureum.block_storage.manager.base import ManagerBase, quota_lock, record_message, transition
from gureum.block_storage.messages import SCHEDULER_TOPIC, backend_of, volume_topic
from gureum.block_storage.models import Pool, Snapshot, Volume, VolumeType
from gureum.block_storage.scheduler.filters import CapabilitiesFilter, PoolState, Request
from gureum.core.bus import Handler
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

NO_BACKEND = "VOLUME_VOLUME_001_002"


class Retype(ManagerBase):
    async def retype_volume(self, context: RequestContext, volume_id: str, new_type: str,
                            policy: str) -> None:
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
        async with self.db.session(lock=quota_lock(volume.project_id)) as session:
            volume = await self.volume_for(session, context, volume_id)
            vtype = await self.type_for(session, context, new_type, by_name=True)
            if vtype.id == volume.volume_type_id:
                raise errors.InvalidInput(reason=f"New volume_type same as original: "
                                          f"{new_type}.")
            if volume.status not in ("available", "in-use"):
                raise errors.InvalidVolume(reason=f"Volume status must be available or "
                                           f"in-use, but current status is: "
                                           f"{volume.status}.")
            await self._check_type_quota(session, volume.project_id, vtype.name,
                                         await self.quota_limits(session, volume.project_id,
                                                                 [vtype.name]),
                                         1, 0, volume.size)
            if await self._satisfies(session, volume, vtype):
                await self._retype_in_place(session, volume, vtype)
                return
            if policy != "on-demand":
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     NO_BACKEND, "retype volume:Retype requires migration "
                                     "but is not allowed.", context.request_id)
                return
            await self._check_movable(session, volume)
            if not await transition(session, Volume, volume_id,
                                    {"status": "retyping", "previous_status": Volume.status,
                                     "updated_at": utcnow()}, status=volume.status):
                raise errors.InvalidVolume(reason="Volume status changed while retyping")
        await self.bus.cast(SCHEDULER_TOPIC, "migrate_volume", volume_id=volume_id,
                            new_type_id=vtype.id, request_id=context.request_id)

    async def _satisfies(self, session: Any, volume: Volume, vtype: VolumeType) -> bool:
        pool = await session.get(Pool, volume.host) if volume.host else None
        if pool is None:
            return not volume.host  # never placed: nothing to move
        state = PoolState(pool.name, pool.backend, pool.availability_zone,
                          pool.total_capacity_gb, pool.allocated_gb, dict(pool.capabilities))
        request = Request(size=volume.size, availability_zone=volume.availability_zone,
                          extra_specs=dict(vtype.extra_specs), multiattach=volume.multiattach)
        return CapabilitiesFilter().passes(state, request)

    @staticmethod
    async def _retype_in_place(session: Any, volume: Volume, vtype: VolumeType) -> None:
        if not await transition(session, Volume, volume.id,
                                {"volume_type_id": vtype.id, "updated_at": utcnow()},
                                status=volume.status):
            raise errors.InvalidVolume(reason="Volume status changed while retyping")

    @staticmethod
    async def _check_movable(session: Any, volume: Volume) -> None:
        """What cinder refuses before a migration: attached volumes (moving them needs the
        server's hypervisor to swap the disk) and volumes with snapshots."""
        if volume.status == "in-use":
            raise errors.InvalidVolume(reason="Retype of an in-use volume needs a "
                                       "migration; detach the volume first.")
        snapshots = await session.scalar(select(func.count()).select_from(Snapshot).where(
            Snapshot.volume_id == volume.id))
        if snapshots:
            raise errors.InvalidVolume(reason="Volume must not have snapshots.")

    # ------------------------------------------------------------ agents' reports
    def extra_control_handlers(self) -> dict[str, Handler]:
        return {**super().extra_control_handlers(),
                "volume_migrated": self.rpc_volume_migrated,
                "volume_migration_failed": self.rpc_volume_migration_failed}

    async def rpc_volume_migrated(self, volume_id: str, host: str, old_host: str,
                                  new_type_id: str) -> None:
        """The copy on `host` is whole: the volume is there now and of the new type; the
        old pool's capacity is released and the old copy goes."""
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            moved = await transition(
                session, Volume, volume_id,
                {"status": volume.previous_status or "available", "host": host,
                 "volume_type_id": new_type_id, "updated_at": utcnow()},
                status="retyping", host=old_host)
            if moved:
                await session.execute(update(Pool).where(Pool.name == old_host).values(
                    allocated_gb=Pool.allocated_gb - volume.size))
        if moved:
            await self.bus.cast(volume_topic(backend_of(old_host)), "forget_volume",
                                volume_id=volume_id)

    async def rpc_volume_migration_failed(self, volume_id: str, host: str | None,
                                          reason: str) -> None:
        """No pool for the new type, or the copy failed: the volume stays where and what
        it was; the claim on `host` (if any) is released; a message says why."""
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            if not await transition(session, Volume, volume_id,
                                    {"status": volume.previous_status or "available",
                                     "updated_at": utcnow()}, status="retyping"):
                return
            if host:
                await session.execute(update(Pool).where(Pool.name == host).values(
                    allocated_gb=Pool.allocated_gb - volume.size))
            await record_message(session, volume.project_id, "VOLUME", volume_id,
                                 NO_BACKEND, f"retype volume:{reason}")
