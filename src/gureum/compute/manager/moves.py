"""Moving servers: resize (to another flavor) and cold migration (same flavor, admins)
end in VERIFY_RESIZE until confirmed or reverted; live migration (admins) moves a running
server. Each is a migration record (os-migrations) that the scheduler gives a
destination and the agents on both ends carry out; quotas count the new flavor from the
request on (given back on a revert)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked, invalid_state
from gureum.compute.manager.base import new_id, quota_lock, record_action
from gureum.compute.manager.servers import Servers, flavor_view
from gureum.compute.messages import SCHEDULER_TOPIC, compute_topic
from gureum.compute.models import ComputeNode, Migration, Server
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow
from gureum.core.errors import Conflict

RESIZABLE = ("active", "stopped")
LIVE_MIGRATABLE = ("active", "paused")
EVACUABLE = ("active", "stopped", "error")


class Moves(Servers):
    async def resize_server(self, context: RequestContext, server_id: str,
                            flavor_ref: str) -> None:
        await self._cold_move(context, server_id, "resize", flavor_ref=flavor_ref)

    async def migrate_server(self, context: RequestContext, server_id: str,
                             host: str | None = None) -> None:
        await self._cold_move(context, server_id, "migration", host=host)

    async def _cold_move(self, context: RequestContext, server_id: str, kind: str,
                         flavor_ref: str | None = None, host: str | None = None) -> None:
        action = "resize" if kind == "resize" else "migrate"
        server = await self._movable(context, server_id, action, RESIZABLE)
        if host is not None:
            await self._check_destination(server, host)
        async with self.db.session(lock=quota_lock(server.project_id)) as session:
            flavor = await self._flavor_ref(session, context, flavor_ref) if flavor_ref \
                else None
            new = flavor_view(flavor) if flavor is not None else dict(server.flavor)
            if flavor is not None:
                await self._check_resize(session, server, new)
            migration = self._migration(server, kind, "pre-migrating", new["id"])
            if not await transition(session, Server, server_id, {
                    "task_state": "resize_prep", "old_flavor": dict(server.flavor),
                    "new_flavor": new, "vcpus": new["vcpus"], "memory_mb": new["ram"],
                    "root_gb": new["disk"], "fault": None, "updated_at": utcnow()},
                    vm_state=RESIZABLE, task_state=None, deleted=False):
                raise invalid_state(server, action, RESIZABLE)
            session.add(migration)
            await record_action(session, server, action, context)
        await self.bus.cast(SCHEDULER_TOPIC, "schedule_move", migration_id=migration.uuid,
                            host=host, request_id=context.request_id)

    async def _check_resize(self, session: Any, server: Server, new: dict[str, Any]) -> None:
        """nova's refusals of a flavor, and the quota for what it adds."""
        if new["id"] == server.flavor_id:
            raise errors.InvalidInput(reason="When resizing, instances must change flavor!")
        if server.image_ref and new["disk"] < server.root_gb:
            raise errors.InvalidInput(reason="Server disk was unable to be resized because: "
                                      "Resize to smaller disk flavor is not allowed.")
        limits = await self.quota_limits(session, server.project_id)
        used = await self.quota_usage(session, server.project_id)
        grows = {"cores": new["vcpus"] - server.vcpus, "ram": new["ram"] - server.memory_mb}
        over = [r for r, more in grows.items()
                if more > 0 and 0 <= limits.get(r, -1) < used[r] + more]
        if over:
            raise errors.QuotaExceeded(
                resources=", ".join(over),
                requested=", ".join(str(grows[r]) for r in over),
                used=", ".join(str(used[r]) for r in over),
                allowed=", ".join(str(limits[r]) for r in over))

    async def live_migrate_server(self, context: RequestContext, server_id: str,
                                  host: str | None, force: bool = False) -> None:
        server = await self._movable(context, server_id, "os-migrateLive", LIVE_MIGRATABLE)
        if host is not None:
            await self._check_destination(server, host)
        migration = self._migration(server, "live-migration", "queued", server.flavor_id)
        async with self.db.session() as session:
            if not await transition(session, Server, server_id, {
                    "task_state": "migrating", "fault": None, "updated_at": utcnow()},
                    vm_state=LIVE_MIGRATABLE, task_state=None, deleted=False):
                raise invalid_state(server, "os-migrateLive", LIVE_MIGRATABLE)
            session.add(migration)
            await record_action(session, server, "live-migration", context)
        await self.bus.cast(SCHEDULER_TOPIC, "schedule_move", migration_id=migration.uuid,
                            host=host, force=force and host is not None,
                            request_id=context.request_id)

    async def evacuate_server(self, context: RequestContext, server_id: str,
                              host: str | None, stopped: bool) -> None:
        """Rebuilt on another host (named, or the scheduler's) when its own is down; it
        ends as it was (an errored one active), or stopped (2.95)."""
        server = await self._movable(context, server_id, "evacuate", EVACUABLE)
        if await self._host_up(server.host or ""):
            raise Conflict(f"Compute service of {server.host} is still in use.")
        if host is not None:
            await self._check_destination(server, host)
        end = "stopped" if stopped or server.vm_state == "stopped" else "active"
        migration = self._migration(server, "evacuation", "accepted", server.flavor_id)
        async with self.db.session() as session:
            if not await transition(session, Server, server_id, {
                    "task_state": "rebuilding", "fault": None, "updated_at": utcnow(),
                    "system_metadata": {**server.system_metadata, "evacuated_to": end}},
                    vm_state=EVACUABLE, task_state=None, deleted=False):
                raise invalid_state(server, "evacuate", EVACUABLE)
            session.add(migration)
            await record_action(session, server, "evacuate", context)
        await self.bus.cast(SCHEDULER_TOPIC, "schedule_move", migration_id=migration.uuid,
                            host=host, request_id=context.request_id)

    async def confirm_resize(self, context: RequestContext, server_id: str) -> None:
        migration = await self._finished(context, server_id, "confirmResize", "confirming",
                                         None)
        await self.bus.cast(compute_topic(migration.source_compute or ""), "confirm_resize",
                            migration_id=migration.uuid, request_id=context.request_id)

    async def revert_resize(self, context: RequestContext, server_id: str) -> None:
        migration = await self._finished(context, server_id, "revertResize", "reverting",
                                         "resize_reverting")
        await self.bus.cast(compute_topic(migration.dest_compute or ""), "revert_resize",
                            migration_id=migration.uuid, request_id=context.request_id)

    async def _finished(self, context: RequestContext, server_id: str, action: str,
                        status: str, task_state: str | None) -> Migration:
        """The server's finished resize or cold migration, moved on to `status`."""
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            check_unlocked(context, server)
            if server.vm_state != "resized" or server.task_state is not None:
                raise invalid_state(server, action, ("resized",))
            migration = (await session.scalars(select(Migration).where(
                Migration.server_id == server_id, Migration.status == "finished"))).first()
            if migration is None:
                raise errors.InvalidInput(reason="Instance has not been resized.")
            migration.status, migration.updated_at = status, utcnow()
            server.task_state, server.updated_at = task_state, utcnow()
            await record_action(session, server, action, context)
        return migration

    async def _movable(self, context: RequestContext, server_id: str, action: str,
                       vm_states: tuple[str, ...]) -> Server:
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
        check_unlocked(context, server)
        if not server.host or server.vm_state not in vm_states \
                or server.task_state is not None:
            raise invalid_state(server, action, vm_states)
        return server

    async def _check_destination(self, server: Server, host: str) -> None:
        async with self.db.session() as session:
            found = (await session.scalars(select(ComputeNode.host).where(
                ComputeNode.host == host))).first()
        if found is None:
            raise errors.InvalidInput(reason=f"Compute host {host} could not be found.")
        if host == server.host:
            raise errors.InvalidInput(reason="The target host can't be the same one.")

    @staticmethod
    def _migration(server: Server, kind: str, status: str, new_flavor_id: str) -> Migration:
        return Migration(uuid=new_id(), server_id=server.id, project_id=server.project_id,
                         user_id=server.user_id, migration_type=kind, status=status,
                         source_compute=server.host, source_node=server.node,
                         old_flavor_id=server.flavor_id, new_flavor_id=new_flavor_id)

    # ------------------------------------------------------------ the records
    async def list_migrations(self, context: RequestContext, filters: dict[str, Any],
                              ) -> list[Migration]:
        """os-migrations (admins): newest first, filtered as nova filters them."""
        stmt = select(Migration)
        for key, column in (("status", Migration.status),
                            ("migration_type", Migration.migration_type),
                            ("instance_uuid", Migration.server_id),
                            ("source_compute", Migration.source_compute),
                            ("user_id", Migration.user_id),
                            ("project_id", Migration.project_id)):
            if filters.get(key):
                stmt = stmt.where(column == filters[key])
        if filters.get("host"):
            stmt = stmt.where((Migration.source_compute == filters["host"])
                              | (Migration.dest_compute == filters["host"]))
        if filters.get("changes-since") is not None:
            stmt = stmt.where(Migration.updated_at >= filters["changes-since"])
        if filters.get("changes-before") is not None:
            stmt = stmt.where(Migration.updated_at <= filters["changes-before"])
        async with self.db.session() as session:
            return list(await session.scalars(stmt.order_by(Migration.created_at.desc(),
                                                            Migration.id.desc())))

    async def server_migrations(self, context: RequestContext, server_id: str,
                                ) -> list[Migration]:
        """A server's live migrations under way (/servers/{id}/migrations)."""
        async with self.db.session() as session:
            await self.server_for(session, context, server_id)
            return list(await session.scalars(select(Migration).where(
                Migration.server_id == server_id,
                Migration.migration_type == "live-migration",
                Migration.status.in_(("queued", "preparing", "running"))).order_by(
                Migration.id)))

    # ------------------------------------------------------------ live migrations under way
    async def force_complete_migration(self, context: RequestContext, server_id: str,
                                       migration_id: str) -> None:
        """2.22: a running live migration hurried to its end by its source's driver."""
        migration, server = await self._live_migration(
            context, server_id, migration_id, ("running",), "force_complete")
        async with self.db.session() as session:
            await record_action(session, server, "live_migration_force_complete", context)
        await self.bus.cast(compute_topic(migration.source_compute or ""),
                            "force_complete_live_migration", migration_id=migration.uuid,
                            request_id=context.request_id)

    async def abort_migration(self, context: RequestContext, server_id: str,
                              migration_id: str, waiting_too: bool) -> None:
        """2.24: a running live migration stopped, the server left on its source (2.65:
        one still queued or preparing too). One the scheduler has not placed yet is
        cancelled here; the others by the source's agent."""
        migration, server = await self._live_migration(
            context, server_id, migration_id,
            ("queued", "preparing", "running") if waiting_too else ("running",),
            "abort live migration")
        async with self.db.session() as session:
            await record_action(session, server, "live_migration_abort", context)
            unplaced = await session.execute(update(Migration).where(
                Migration.id == migration.id, Migration.status == "queued",
                Migration.dest_compute.is_(None)).values(status="cancelled",
                                                         updated_at=utcnow()))
            if unplaced.rowcount:  # type: ignore[attr-defined]
                await transition(session, Server, server.id, {"task_state": None},
                                 task_state="migrating")
                return
        await self.bus.cast(compute_topic(migration.source_compute or ""),
                            "abort_live_migration", migration_id=migration.uuid,
                            request_id=context.request_id)

    async def _live_migration(self, context: RequestContext, server_id: str,
                              migration_id: str, states: tuple[str, ...], method: str,
                              ) -> tuple[Migration, Server]:
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            check_unlocked(context, server)
            migration = (await session.scalars(select(Migration).where(
                Migration.server_id == server_id,
                Migration.id == (int(migration_id) if migration_id.isdigit() else -1)))
            ).first()
        if migration is None:
            raise errors.MigrationNotFoundForInstance(migration_id=migration_id,
                                                      instance_id=server_id)
        if migration.migration_type != "live-migration" or migration.status not in states:
            raise errors.InvalidMigrationState(
                migration_id=migration_id, instance_uuid=server_id, state=migration.status,
                method=method)
        return migration, server
