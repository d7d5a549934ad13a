"""The control plane's side of the bus (CONTROL_TOPIC): services report their state and
pools, volume agents report the outcome of work. Every handler is a conditional update
keyed by the resource and the backend that did the work, so a repeated message changes
nothing, and every failure ends in an error status with a user message."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from gureum.block_storage.manager.base import ManagerBase, new_id, record_message, transition
from gureum.block_storage.messages import CONTROL_TOPIC, SCHEDULER_TOPIC, backend_of
from gureum.block_storage.models import Pool, Service, Snapshot, Volume
from gureum.core.batch import Batches
from gureum.core.bus import Bus, Handler
from gureum.core.db import utcnow

log = logging.getLogger(__name__)
WORKERS = 16  # report handlers mostly wait for their batch
TRANSITIONAL = ("creating", "deleting", "extending", "reverting", "uploading",
                "backing-up", "restoring-backup")


class Control(ManagerBase):
    _reaper: asyncio.Task[None] | None = None

    async def start_control(self) -> None:
        """Serve the agents' reports, and look for stuck volumes now and then."""
        await self.serve_control(self.bus)
        self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def stop_control(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
            self._reaper = None

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stuck_timeout / 4)
            try:
                await self.fail_stuck()
            except Exception as exc:
                log.warning("looking for stuck volumes failed: %s", exc)

    async def serve_control(self, bus: Bus) -> None:
        handlers: dict[str, Handler] = {
            "report_state": self.rpc_report_state,
            "volume_created": self.rpc_volume_created,
            "volume_create_failed": self.rpc_volume_create_failed,
            "volume_deleted": self.rpc_volume_deleted,
            "volume_delete_failed": self.rpc_volume_delete_failed,
            "volume_extended": self.rpc_volume_extended,
            "volume_extend_failed": self.rpc_volume_extend_failed,
            "volume_reverted": self.rpc_volume_reverted,
            "volume_uploaded": self.rpc_volume_uploaded,
            "snapshot_created": self.rpc_snapshot_created,
            "snapshot_deleted": self.rpc_snapshot_deleted,
            "snapshot_failed": self.rpc_snapshot_failed,
            "work_for_backend": self.rpc_work_for_backend,
            **self.extra_control_handlers(),
        }
        for _ in range(WORKERS):
            await bus.serve(CONTROL_TOPIC, handlers)

    # ------------------------------------------------------------ services
    async def rpc_report_state(self, binary: str, host: str, availability_zone: str,
                               pools: list[dict[str, Any]] | None = None,
                               ) -> dict[str, Any]:
        """Upsert the service's row and, for a volume backend, its pools (keeping the
        capacity the schedulers claimed)."""
        now = utcnow()
        async with self.db.session(lock=f"volume-service:{binary}:{host}") as session:
            row = (await session.scalars(select(Service).where(
                Service.binary == binary, Service.host == host))).first()
            status = "alive"
            if row is None:
                row = Service(id=new_id(), binary=binary, host=host, created_at=now)
                session.add(row)
                status = "new"
            row.availability_zone = availability_zone
            row.updated_at = now
            if pools is not None:
                await self._report_pools(session, host, availability_zone, pools, now)
        return {"status": status, "disabled": row.disabled}

    @staticmethod
    async def _report_pools(session: Any, backend: str, zone: str,
                            pools: list[dict[str, Any]], now: Any) -> None:
        names = [f"{backend}#{p['name']}" for p in pools]
        await session.execute(delete(Pool).where(Pool.backend == backend,
                                                 Pool.name.not_in(names)))
        for name, pool in zip(names, pools, strict=True):
            row = await session.get(Pool, name)
            if row is None:
                row = Pool(name=name, backend=backend, allocated_gb=0)
                session.add(row)
            row.availability_zone = zone
            row.total_capacity_gb = int(pool["total_capacity_gb"])
            row.free_capacity_gb = int(pool["free_capacity_gb"])
            row.capabilities = dict(pool.get("capabilities") or {})
            row.updated_at = now

    # ------------------------------------------------------------ volumes
    async def rpc_volume_created(self, volume_id: str, host: str) -> None:
        """creating → available. Reports from one backend that arrive together commit
        together (core/batch.py): one transaction moves them all, each by its own
        conditional update."""
        await self.created_reports.submit(host, volume_id)

    @functools.cached_property
    def created_reports(self) -> Batches[str, str, None]:
        return Batches(self._volumes_created)

    async def _volumes_created(self, host: str, volume_ids: list[str]) -> list[None | Exception]:
        outcomes: list[None | Exception] = [None] * len(volume_ids)
        try:
            restores = await self._mark_created(host, volume_ids)
        except Exception:
            if len(volume_ids) == 1:
                raise
            # The batch's transaction failed as a whole (a deadlock PostgreSQL broke with
            # another control process): each alone, so a report fails only for itself
            # (its agent's call fails; the agent's resync reports it again).
            restores = []
            for index, volume_id in enumerate(volume_ids):
                try:
                    restores += await self._mark_created(host, [volume_id])
                except Exception as exc:
                    outcomes[index] = exc
        for volume_id, backup_id in restores:
            try:
                await self.restore_into(volume_id, backup_id)
            except Exception as exc:
                outcomes[volume_ids.index(volume_id)] = exc
        return outcomes

    async def _mark_created(self, host: str, volume_ids: list[str]) -> list[tuple[str, str]]:
        """creating → available in one transaction: one conditional update for the plain
        volumes, one each for those made from an image (now bootable) or a backup (now
        restoring-backup: their (volume, backup) pairs are the answer). In id order: two
        control processes moving the same volumes lock them in the same order."""
        restores: list[tuple[str, str]] = []
        now = utcnow()
        created = {"status": "available", "launched_at": now, "updated_at": now}
        async with self.db.session() as session:
            rows = (await session.execute(
                select(Volume.id, Volume.image_id, Volume.backup_id)
                .where(Volume.id.in_(volume_ids)).order_by(Volume.id))).all()
            plain = [volume_id for volume_id, image_id, backup_id in rows
                     if not image_id and not backup_id]
            if plain:
                await session.execute(
                    update(Volume).where(Volume.id.in_(plain), Volume.status == "creating",
                                         Volume.host == host)
                    .values(**created).execution_options(synchronize_session=False))
            for volume_id, image_id, backup_id in rows:
                if volume_id in plain:
                    continue
                values: dict[str, Any] = dict(created)
                if image_id:  # an image's bytes are in it: cinder marks it bootable
                    values["bootable"] = True
                if backup_id:  # now the backup's bytes go in
                    values["status"] = "restoring-backup"
                if await transition(session, Volume, volume_id, values, status="creating",
                                    host=host) and backup_id:
                    restores.append((volume_id, backup_id))
        return restores

    async def rpc_volume_uploaded(self, volume_id: str, host: str, image_id: str, ok: bool,
                                  ) -> None:
        """uploading → what the volume was before (available or in-use)."""
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            if await transition(session, Volume, volume_id,
                                {"status": volume.previous_status or "available",
                                 "previous_status": None, "updated_at": utcnow()},
                                status="uploading", host=host) and not ok:
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_004_001", "copy volume to image:The "
                                     f"volume could not be uploaded to image {image_id}.")

    async def rpc_volume_create_failed(self, volume_id: str, host: str, reason: str) -> None:
        """Give the claim back and try another backend, until the attempts run out."""
        retry = False
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None or volume.status != "creating" or volume.host != host:
                return
            await _release(session, host, volume.size)
            tried = [*volume.tried_backends, backend_of(host)]
            retry = len(tried) < self.settings.scheduler_max_attempts
            values: dict[str, Any] = {"host": None, "tried_backends": tried,
                                      "updated_at": utcnow()}
            if not retry:
                values["status"] = "error"
            await transition(session, Volume, volume_id, values, status="creating",
                             host=host)
            if not retry:
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_001_003", "create volume:Could not "
                                     f"create the volume on any of {len(tried)} backends "
                                     "tried.")
        log.warning("volume %s failed on %s: %s", volume_id, host, reason)
        if retry:
            await self.bus.cast(SCHEDULER_TOPIC, "create_volume", volume_id=volume_id)

    async def rpc_volume_deleted(self, volume_id: str, host: str) -> None:
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None or volume.status != "deleting" or volume.host != host:
                return
            await session.execute(delete(Snapshot).where(Snapshot.volume_id == volume_id))
            await session.execute(delete(Volume).where(Volume.id == volume_id))
            await _release(session, host, volume.size)

    async def rpc_volume_delete_failed(self, volume_id: str, host: str, reason: str) -> None:
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            if await transition(session, Volume, volume_id,
                                {"status": "error_deleting", "updated_at": utcnow()},
                                status="deleting", host=host):
                await session.execute(update(Snapshot).where(
                    Snapshot.volume_id == volume_id, Snapshot.status == "deleting")
                    .values(status="error_deleting"))
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_003_002", "delete volume:The backend "
                                     "failed to delete the volume.")
        log.warning("volume %s could not be deleted on %s: %s", volume_id, host, reason)

    async def rpc_volume_extended(self, volume_id: str, host: str, new_size: int) -> None:
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            await transition(session, Volume, volume_id,
                             {"status": volume.previous_status or "available",
                              "size": new_size, "updated_at": utcnow()},
                             status="extending", host=host)

    async def rpc_volume_extend_failed(self, volume_id: str, host: str, new_size: int,
                                       reason: str) -> None:
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            if await transition(session, Volume, volume_id,
                                {"status": "error_extending", "updated_at": utcnow()},
                                status="extending", host=host):
                await _release(session, host, new_size - volume.size)
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_007_003", "extend volume:The backend "
                                     "failed to extend the volume.")

    async def rpc_volume_reverted(self, volume_id: str, host: str, snapshot_id: str,
                                  ok: bool) -> None:
        async with self.db.session() as session:
            volume = await session.get(Volume, volume_id)
            if volume is None:
                return
            await transition(session, Volume, volume_id,
                             {"status": "available" if ok else "error",
                              "updated_at": utcnow()}, status="reverting", host=host)
            await transition(session, Snapshot, snapshot_id,
                             {"status": "available"}, status="restoring")
            if not ok:
                await record_message(session, volume.project_id, "VOLUME", volume_id,
                                     "VOLUME_VOLUME_009_001", "revert to snapshot:The "
                                     "backend failed to revert the volume.")

    # ------------------------------------------------------------ snapshots
    async def rpc_snapshot_created(self, snapshot_id: str) -> None:
        async with self.db.session() as session:
            await transition(session, Snapshot, snapshot_id,
                             {"status": "available", "progress": "100%",
                              "updated_at": utcnow()}, status="creating")

    async def rpc_snapshot_deleted(self, snapshot_id: str) -> None:
        async with self.db.session() as session:
            await session.execute(delete(Snapshot).where(Snapshot.id == snapshot_id,
                                                         Snapshot.status == "deleting"))

    async def rpc_snapshot_failed(self, snapshot_id: str, action: str, reason: str) -> None:
        async with self.db.session() as session:
            snapshot = await session.get(Snapshot, snapshot_id)
            if snapshot is None:
                return
            expected = "creating" if action == "create" else "deleting"
            status = "error" if action == "create" else "error_deleting"
            if await transition(session, Snapshot, snapshot_id,
                                {"status": status, "updated_at": utcnow()},
                                status=expected):
                await record_message(session, snapshot.project_id, "SNAPSHOT", snapshot_id,
                                     "SNAPSHOT_SNAPSHOT_00" + ("1" if action == "create"
                                                               else "3"),
                                     f"{action} snapshot:The backend failed to {action} "
                                     "the snapshot.")
        log.warning("snapshot %s: %s failed: %s", snapshot_id, action, reason)

    # ------------------------------------------------------------ restarts
    async def rpc_work_for_backend(self, backend: str) -> dict[str, Any]:
        """What an agent that (re)starts must finish: volumes and snapshots of its backend
        left in a transitional state (their messages may be lost)."""
        async with self.db.session() as session:
            volumes = [{"volume_id": v.id, "status": v.status, "host": v.host,
                        "size": v.size, "snapshot_id": v.snapshot_id,
                        "source_volid": v.source_volid, "image_id": v.image_id,
                        "image_format": v.image_metadata.get("disk_format")}
                       for v in await session.scalars(select(Volume).where(
                           Volume.host.like(f"{backend}#%"),
                           Volume.status.in_(("creating", "deleting"))))]
            snapshots = [{"snapshot_id": s.id, "status": s.status, "volume_id": s.volume_id,
                          "size": s.size}
                         for s, in (await session.execute(
                             select(Snapshot).join(Volume, Volume.id == Snapshot.volume_id)
                             .where(Volume.host.like(f"{backend}#%"),
                                    Snapshot.status.in_(("creating", "deleting"))))).all()]
        return {"volumes": volumes, "snapshots": snapshots}

    async def fail_stuck(self) -> int:
        """Volumes transitional for longer than stuck_timeout on a backend whose service
        is down go to error, with a message: never stuck forever."""
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.stuck_timeout)
        down = now - timedelta(seconds=self.settings.service_down_time)
        failed = 0
        async with self.db.session() as session:
            alive = set(await session.scalars(select(Service.host).where(
                Service.updated_at >= down)))
            for volume in await session.scalars(select(Volume).where(
                    Volume.status.in_(TRANSITIONAL),
                    func.coalesce(Volume.updated_at, Volume.created_at) < stale)):
                if volume.host and backend_of(volume.host) in alive:
                    continue
                status = "error_deleting" if volume.status == "deleting" else "error"
                if await transition(session, Volume, volume.id,
                                    {"status": status, "updated_at": now},
                                    status=volume.status):
                    failed += 1
                    await record_message(session, volume.project_id, "VOLUME", volume.id,
                                         "VOLUME_VOLUME_001_001", f"{volume.status}:The "
                                         "volume's backend did not answer in time.")
        return failed


async def _release(session: Any, host: str, size: int) -> None:
    await session.execute(update(Pool).where(Pool.name == host).values(
        allocated_gb=Pool.allocated_gb - size))
