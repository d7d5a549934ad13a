"""The volume scheduler (cinder-scheduler): picks a pool for each new volume from the
pools the volume agents report, claims its capacity and the volume in one transaction
(so several schedulers never oversubscribe a pool nor place a volume twice), and hands
the volume to that backend's agent."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from gureum.block_storage.config import BlockStorageSettings
from gureum.block_storage.drivers.base import VolumeSpec, encode
from gureum.block_storage.manager.base import new_id, record_message, transition
from gureum.block_storage.messages import (
    SCHEDULER_BINARY,
    SCHEDULER_TOPIC,
    VOLUME_BINARY,
    backend_of,
    pool_of,
    volume_topic,
)
from gureum.block_storage.models import Pool, Service, Snapshot, Volume, VolumeType
from gureum.block_storage.scheduler.filters import DEFAULT_FILTERS, Filter, PoolState, Request
from gureum.block_storage.scheduler.weighers import ordered
from gureum.core.batch import Batches
from gureum.core.bus import Bus
from gureum.core.db import Database, utcnow

log = logging.getLogger(__name__)
WORKERS = 16  # handlers mostly wait for their batch (see create_volume)


# A volume to place: its id and the request that asked for it.
Placement = tuple[str, str | None]
# What claiming answers when another scheduler placed the volume first.
PLACED_ELSEWHERE = PoolState("", "", "", 0, 0)


class VolumeScheduler:
    def __init__(self, db: Database, bus: Bus, settings: BlockStorageSettings,
                 host: str | None = None,
                 filters: tuple[Filter, ...] = DEFAULT_FILTERS) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.host = host or settings.host or socket.gethostname()
        self.filters = filters
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for _ in range(WORKERS):
            await self.bus.serve(SCHEDULER_TOPIC, {"create_volume": self.create_volume})
        await self.report()
        self._task = asyncio.get_running_loop().create_task(self._heartbeat())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.report_interval)
            try:
                await self.report()
            except Exception as exc:
                log.warning("volume scheduler could not report: %s", exc)

    async def report(self) -> None:
        """Schedulers reach the database themselves: their row in os-services."""
        now = utcnow()
        async with self.db.session(lock=f"volume-service:{SCHEDULER_BINARY}:{self.host}",
                                   ) as session:
            row = (await session.scalars(select(Service).where(
                Service.binary == SCHEDULER_BINARY, Service.host == self.host))).first()
            if row is None:
                session.add(Service(id=new_id(), binary=SCHEDULER_BINARY, host=self.host,
                                    availability_zone=self.settings.default_availability_zone,
                                    created_at=now, updated_at=now))
            else:
                row.updated_at = now

    # ------------------------------------------------------------ placing
    async def create_volume(self, volume_id: str, request_id: str | None = None) -> None:
        """Place one volume. Volumes that arrive together are placed together
        (core/batch.py): one transaction reads the pools once and claims for all of them,
        each claim still a conditional update, so none oversubscribes a pool."""
        await self.placements.submit(None, (volume_id, request_id))

    @functools.cached_property
    def placements(self) -> Batches[None, Placement, None]:
        return Batches(self._place_batch)

    async def _place_batch(self, _: None, items: list[Placement]) -> list[None | Exception]:
        outcomes: list[None | Exception] = [None] * len(items)
        try:
            placed = await self._claim_batch(items)
        except Exception:
            if len(items) == 1:
                raise
            # The batch as a whole failed (PostgreSQL broke a deadlock between two
            # schedulers claiming the same pools in another order): each alone, so a
            # volume fails only for its own reasons.
            placed = []
            for index, item in enumerate(items):
                try:
                    placed += await self._claim_batch([item])
                except Exception as exc:
                    outcomes[index] = exc
        for volume, pool in placed:  # committed: now the agents may start
            spec = VolumeSpec(volume_id=volume.id, size=volume.size,
                              pool=pool_of(pool.name), snapshot_id=volume.snapshot_id,
                              source_volume_id=volume.source_volid, image_id=volume.image_id,
                              image_format=volume.image_metadata.get("disk_format"))
            await self.bus.cast(volume_topic(pool.backend), "create_volume",
                                spec=encode(spec), host=pool.name)
        return outcomes

    async def _claim_batch(self, items: list[Placement]) -> list[tuple[Volume, PoolState]]:
        """One transaction: the volumes and the pools read once; each volume weighed
        against the pools as the batch's earlier choices leave them; then per pool chosen
        one claim of its capacity for all its volumes (a conditional update: the pool
        has room for all of them, or none is claimed) and one conditional update of those
        volumes. The volumes placed, and where."""
        chosen: dict[str, list[tuple[Volume, str | None]]] = {}
        placed: list[tuple[Volume, PoolState]] = []
        async with self.db.session() as session:
            found = {v.id: v for v in await session.scalars(select(Volume).where(
                Volume.id.in_([volume_id for volume_id, _ in items])))}
            pools = {p.name: p for p in await self._pools(session)}
            for volume_id, request_id in items:
                volume = found.get(volume_id)
                if volume is None or volume.status != "creating" or volume.host is not None:
                    continue  # placed already (a repeated message), or gone
                pool = await self._choose(session, volume, pools)
                if pool is None:
                    await self._no_valid_backend(session, volume, request_id)
                else:
                    chosen.setdefault(pool.name, []).append((volume, request_id))
            for name, group in chosen.items():
                placed += await self._claim_group(session, pools[name], group)
        return placed

    async def _choose(self, session: Any, volume: Volume, pools: dict[str, PoolState],
                      ) -> PoolState | None:
        """The best pool for the volume, as `pools` says (which then counts it)."""
        request = await self._request(session, volume)
        for pool in ordered([p for p in pools.values()
                             if all(f.passes(p, request) for f in self.filters)]):
            pools[pool.name] = replace(pool, allocated_gb=pool.allocated_gb + volume.size)
            return pool
        return None

    async def _claim_group(self, session: Any, pool: PoolState,
                           group: list[tuple[Volume, str | None]],
                           ) -> list[tuple[Volume, PoolState]]:
        size = sum(volume.size for volume, _ in group)
        claimed = await session.execute(
            update(Pool).where(Pool.name == pool.name,
                               Pool.total_capacity_gb - Pool.allocated_gb >= size)
            .values(allocated_gb=Pool.allocated_gb + size))
        if not claimed.rowcount:
            # Another scheduler filled the pool meanwhile: each volume on its own, to
            # the best pool as the database has them now.
            fresh = {p.name: p for p in await self._pools(session)}
            placed: list[tuple[Volume, PoolState]] = []
            for volume, request_id in group:
                found = await self._claim_best(session, volume, fresh)
                if found is None:
                    await self._no_valid_backend(session, volume, request_id)
                elif found is not PLACED_ELSEWHERE:
                    placed.append((volume, found))
            return placed
        moved = set((await session.execute(
            update(Volume).where(Volume.id.in_([volume.id for volume, _ in group]),
                                 Volume.status == "creating", Volume.host.is_(None))
            .values(host=pool.name, updated_at=utcnow()).returning(Volume.id)
            .execution_options(synchronize_session=False))).scalars())
        elsewhere = sum(volume.size for volume, _ in group if volume.id not in moved)
        if elsewhere:  # another scheduler placed some first: their claims go back
            await session.execute(update(Pool).where(Pool.name == pool.name).values(
                allocated_gb=Pool.allocated_gb - elsewhere))
        return [(volume, pool) for volume, _ in group if volume.id in moved]

    async def _claim_best(self, session: Any, volume: Volume, pools: dict[str, PoolState],
                          ) -> PoolState | None:
        """Claim the best pool that still has room, and the volume with it, one volume
        at a time; `pools` keeps what was claimed, so the next volume weighs the pools
        as they are now. None when no pool fits, PLACED_ELSEWHERE when another scheduler
        placed the volume first."""
        request = await self._request(session, volume)
        candidates = ordered([p for p in pools.values()
                              if all(f.passes(p, request) for f in self.filters)])
        for pool in candidates:
            claimed = await session.execute(
                update(Pool).where(Pool.name == pool.name,
                                   Pool.total_capacity_gb - Pool.allocated_gb >= volume.size)
                .values(allocated_gb=Pool.allocated_gb + volume.size))
            if not claimed.rowcount:  # filled up meanwhile: the next
                continue
            if not await transition(session, Volume, volume.id,
                                    {"host": pool.name, "updated_at": utcnow()},
                                    status="creating", host=None):
                # Another scheduler placed it: give the claim back, in this transaction.
                await session.execute(update(Pool).where(Pool.name == pool.name).values(
                    allocated_gb=Pool.allocated_gb - volume.size))
                return PLACED_ELSEWHERE
            pools[pool.name] = replace(pool, allocated_gb=pool.allocated_gb + volume.size)
            return pool
        return None

    async def _request(self, session: Any, volume: Volume) -> Request:
        vtype = await session.get(VolumeType, volume.volume_type_id)
        source_host = None
        if volume.snapshot_id:
            snapshot = await session.get(Snapshot, volume.snapshot_id)
            source = await session.get(Volume, snapshot.volume_id) if snapshot else None
            source_host = source.host if source else None
        elif volume.source_volid:
            source = await session.get(Volume, volume.source_volid)
            source_host = source.host if source else None
        return Request(size=volume.size, availability_zone=volume.availability_zone,
                       extra_specs=dict(vtype.extra_specs if vtype else {}),
                       multiattach=volume.multiattach,
                       source_backend=backend_of(source_host) if source_host else None,
                       tried_backends=tuple(volume.tried_backends or ()))

    async def _pools(self, session: Any) -> list[PoolState]:
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        rows = await session.scalars(
            select(Pool).join(Service, (Service.host == Pool.backend)
                              & (Service.binary == VOLUME_BINARY))
            .where(Service.updated_at >= cutoff, Service.disabled.is_(False)))
        return [PoolState(p.name, p.backend, p.availability_zone, p.total_capacity_gb,
                          p.allocated_gb, dict(p.capabilities)) for p in rows]

    @staticmethod
    async def _no_valid_backend(session: Any, volume: Volume, request_id: str | None,
                                ) -> None:
        if await transition(session, Volume, volume.id,
                            {"status": "error", "updated_at": utcnow()},
                            status="creating", host=None):
            await record_message(session, volume.project_id, "VOLUME", volume.id,
                                 "VOLUME_VOLUME_001_002", "schedule allocate volume:"
                                 "Could not find any available weighted backend.",
                                 request_id)
