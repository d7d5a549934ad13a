"""Moves (resize, cold and live migration): what the agents on the source and the
destination need and report as a server moves, each step a conditional update of the
server and its migration record; claims follow the server (the source's is held under
the migration's uuid until the move is confirmed or reverted). Resizes left unconfirmed
longer than `compute.resize_confirm_window` are confirmed. After a restart an agent is
told which steps wait on it (it takes them on again) and which it was in the middle of
(they fail: the server back on its source as it was)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute.claims import release_claim
from gureum.compute.conductor.base import ConductorBase
from gureum.compute.conductor.builds import Builds
from gureum.compute.manager.base import fault, record_event
from gureum.compute.messages import RUNNING, SHUTDOWN, compute_topic
from gureum.compute.models import Allocation, Migration, Server
from gureum.core.db import utcnow

# a move's status → the end whose agent takes the next step on, and that step
WAITING = {"pre-migrating": ("source", "resize_server"),
           "post-migrating": ("dest", "finish_resize"),
           "confirming": ("source", "confirm_resize"),
           "reverting": ("dest", "revert_resize"),
           "queued": ("source", "live_migrate"),
           "accepted": ("dest", "evacuate_server")}
# a move's status while its source's agent is in the middle of a step → that step's event
MIDWAY = {"migrating": "compute_resize_instance", "preparing": "compute_live_migration",
          "running": "compute_live_migration"}


def moves_waiting(rows: list[Migration], host: str) -> list[dict[str, Any]]:
    """The moves whose next step (or the step under way) is this host's: waiting ones
    to take on, midway ones (`event`) to fail. Moves still waiting for the scheduler
    (no destination yet) are not the agents'."""
    found = []
    for row in rows:
        if row.dest_compute is None:
            continue
        if row.status in WAITING:
            end, step = WAITING[row.status]
            if (row.source_compute if end == "source" else row.dest_compute) == host:
                found.append({"migration_id": row.uuid, "step": step})
        elif row.status in MIDWAY and row.source_compute == host:
            found.append({"migration_id": row.uuid, "event": MIDWAY[row.status]})
    return found


class Moves(Builds, ConductorBase):
    HANDLERS: tuple[str, ...] = ("move_request", "move_step", "resize_finished",
                                 "resize_confirmed", "resize_reverted", "live_migrated",
                                 "evacuated", "move_failed")
    PERIODIC: tuple[str, ...] = ("confirm_resizes",)

    async def move_request(self, migration_id: str) -> dict[str, Any] | None:
        """The server's build view (with the flavor it moves to and the one it had) and
        its migration, for the agents on both ends."""
        async with self.db.session() as session:
            migration = await self._migration(session, migration_id)
            row = None if migration is None else await session.get(Server, migration.server_id)
            if migration is None or row is None or row.deleted:
                return None
            view = self._build_view(row)
            view["flavor"] = row.new_flavor or row.flavor
            return {**view, "old_flavor": row.old_flavor or row.flavor,
                    "vm_state": row.vm_state, "task_state": row.task_state,
                    "power_state": row.power_state,
                    "evacuated_to": row.system_metadata.get("evacuated_to"),
                    "migration": migration_view(migration)}

    async def moves_for_host(self, host: str, cutoff: Any) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Migration).where(
                or_(Migration.source_compute == host, Migration.dest_compute == host),
                Migration.status.in_([*WAITING, *MIDWAY]), Migration.updated_at <= cutoff)))
        return moves_waiting(rows, host)

    async def move_step(self, migration_id: str, status: str, task_state: str | None,
                        expected_status: str) -> bool:
        """The migration's next status (and the server's task state), only from the
        one expected."""
        async with self.db.session() as session:
            migration = await self._migration(session, migration_id)
            if migration is None or migration.status != expected_status:
                return False
            migration.status, migration.updated_at = status, utcnow()
            if task_state is not None:
                await session.execute(update(Server).where(
                    Server.id == migration.server_id).values(task_state=task_state,
                                                             updated_at=utcnow()))
            return True

    async def resize_finished(self, migration_id: str, power_state: int,
                              request_id: str | None = None) -> None:
        """Running on the destination with its new flavor: VERIFY_RESIZE."""
        async with self.db.session() as session:
            migration = await self._migration(session, migration_id)
            if migration is None:
                return
            row = await session.get(Server, migration.server_id)
            if row is None or row.deleted:
                return
            flavor = row.new_flavor or row.flavor
            row.host, row.node = migration.dest_compute, migration.dest_node
            row.flavor, row.flavor_id = flavor, flavor["id"]
            row.vm_state, row.task_state, row.power_state = "resized", None, power_state
            row.updated_at = migration.updated_at = utcnow()
            migration.status = "finished"
            await record_event(session, row.id, request_id, "compute_finish_resize",
                               migration.dest_compute, "Success")

    async def resize_confirmed(self, migration_id: str,
                               request_id: str | None = None) -> None:
        """The source's copy is gone: its claim is given back."""
        async with self.db.session() as session:
            ended = await self._ended(session, migration_id, "confirming", "confirmed")
            if ended is None:
                return
            migration, row = ended
            if row is not None:
                row.vm_state = "stopped" if row.power_state == SHUTDOWN else "active"
                row.task_state, row.old_flavor, row.new_flavor = None, None, None
                row.updated_at = utcnow()
                await record_event(session, row.id, request_id, "compute_confirm_resize",
                                   migration.source_compute, "Success")

    async def resize_reverted(self, migration_id: str, power_state: int,
                              request_id: str | None = None) -> None:
        """Back on the source with its old flavor: the destination's claim is given back
        and the source's is the server's again."""
        async with self.db.session() as session:
            migration = await self._migration(session, migration_id)
            if migration is None or migration.status != "reverting":
                return
            row = await session.get(Server, migration.server_id)
            if row is None:
                return
            await release_claim(session, row.id)
            await session.execute(update(Allocation).where(
                Allocation.server_id == migration.uuid).values(server_id=row.id))
            old = row.old_flavor or row.flavor
            row.host, row.node = migration.source_compute, migration.source_node
            row.flavor, row.flavor_id = old, old["id"]
            row.vcpus, row.memory_mb, row.root_gb = old["vcpus"], old["ram"], old["disk"]
            row.vm_state = "stopped" if power_state == SHUTDOWN else "active"
            row.task_state, row.power_state = None, power_state
            row.old_flavor = row.new_flavor = None
            row.updated_at = migration.updated_at = utcnow()
            migration.status = "reverted"
            await record_event(session, row.id, request_id, "compute_finish_revert_resize",
                               migration.source_compute, "Success")

    async def live_migrated(self, migration_id: str, request_id: str | None = None) -> None:
        """Running on the destination: the source's claim is given back."""
        async with self.db.session() as session:
            ended = await self._ended(session, migration_id, "running", "completed")
            if ended is None:
                return
            migration, row = ended
            if row is not None:
                row.host, row.node = migration.dest_compute, migration.dest_node
                row.task_state, row.power_state, row.updated_at = None, RUNNING, utcnow()
                await record_event(session, row.id, request_id, "compute_live_migration",
                                   migration.source_compute, "Success")

    async def evacuated(self, migration_id: str, request_id: str | None = None) -> None:
        """Rebuilt on the destination: its down host's claim is given back."""
        async with self.db.session() as session:
            ended = await self._ended(session, migration_id, "accepted", "done")
            if ended is None:
                return
            migration, row = ended
            if row is None:
                return
            meta = dict(row.system_metadata)
            end = meta.pop("evacuated_to", "active")
            row.host, row.node, row.system_metadata = (migration.dest_compute,
                                                       migration.dest_node, meta)
            row.vm_state, row.task_state = end, None
            row.power_state, row.updated_at = SHUTDOWN if end == "stopped" else RUNNING, \
                utcnow()
            await record_event(session, row.id, request_id, "compute_rebuild_instance",
                               migration.dest_compute, "Success")

    async def _ended(self, session: AsyncSession, migration_id: str, expected: str,
                     final: str) -> tuple[Migration, Server | None] | None:
        """A move that ends well: from `expected` to `final`, the claim held for its
        source given back; its server (None if gone). None if it was not `expected`."""
        migration = await self._migration(session, migration_id)
        if migration is None or migration.status != expected:
            return None
        await release_claim(session, migration.uuid)
        migration.status, migration.updated_at = final, utcnow()
        return migration, await session.get(Server, migration.server_id)

    async def move_failed(self, migration_id: str, reason: str, event: str,
                          request_id: str | None = None, cancelled: bool = False) -> None:
        """The move stops where it was: the destination's claim given back, the server
        on its source as it was, the migration in error, the reason its fault (or,
        `cancelled` by an abort, the migration cancelled and no fault)."""
        async with self.db.session() as session:
            migration = await self._migration(session, migration_id)
            if migration is None or migration.status in ("error", "confirmed", "reverted",
                                                         "completed", "cancelled", "done"):
                return
            row = await session.get(Server, migration.server_id)
            migration.status = "cancelled" if cancelled else "error"
            migration.updated_at = utcnow()
            if row is None:
                return
            if await session.get(Allocation, migration.uuid) is not None:
                await release_claim(session, row.id)
                await session.execute(update(Allocation).where(
                    Allocation.server_id == migration.uuid).values(server_id=row.id))
            old = row.old_flavor or row.flavor
            row.host, row.node, row.flavor, row.flavor_id = (
                migration.source_compute, migration.source_node, old, old["id"])
            row.vcpus, row.memory_mb, row.root_gb = old["vcpus"], old["ram"], old["disk"]
            row.task_state, row.old_flavor, row.new_flavor = None, None, None
            row.updated_at = utcnow()
            if cancelled:
                await record_event(session, row.id, request_id, event, None, "Success")
                return
            row.fault = fault(reason)
            await record_event(session, row.id, request_id, event, None, "Error", reason)

    async def confirm_resizes(self) -> None:
        """Resizes and cold migrations left unconfirmed past the window are confirmed."""
        window = self.settings.resize_confirm_window
        if window <= 0:
            return
        cutoff = utcnow() - timedelta(seconds=window)
        async with self.db.session() as session:
            waiting = list(await session.scalars(select(Migration).where(
                Migration.status == "finished", Migration.updated_at <= cutoff,
                Migration.migration_type.in_(("resize", "migration")))))
            for migration in waiting:
                migration.status, migration.updated_at = "confirming", utcnow()
                await session.execute(update(Server).where(
                    Server.id == migration.server_id).values(task_state=None))
        for migration in waiting:
            await self.bus.cast(compute_topic(migration.source_compute or ""),
                                "confirm_resize", migration_id=migration.uuid)

    @staticmethod
    async def _migration(session: Any, migration_id: str) -> Migration | None:
        found: Migration | None = (await session.scalars(select(Migration).where(
            Migration.uuid == migration_id))).first()
        return found


def migration_view(row: Migration) -> dict[str, Any]:
    return {"uuid": row.uuid, "type": row.migration_type, "status": row.status,
            "source_compute": row.source_compute, "dest_compute": row.dest_compute,
            "server_id": row.server_id}
