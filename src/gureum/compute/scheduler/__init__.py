"""The compute scheduler (nova-scheduler): picks a host for each new server from the
inventory and usage the hosts report, claims the host's resources and the server in one
transaction (so several schedulers never oversubscribe a host nor place a server twice),
and hands the server to that host's agent."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute.claims import claim
from gureum.compute.conductor import Reporting, fault, report_service
from gureum.compute.config import ComputeSettings
from gureum.compute.manager.base import record_event
from gureum.compute.messages import (
    COMPUTE_BINARY,
    HOSTS_CHANGED,
    SCHEDULER_BINARY,
    SCHEDULER_TOPIC,
    compute_topic,
)
from gureum.compute.models import (
    Aggregate,
    AggregateHost,
    Allocation,
    ComputeNode,
    ComputeService,
    Migration,
    Server,
    ServerGroup,
    ServerGroupMember,
)
from gureum.compute.scheduler.filters import (
    DEFAULT_FILTERS,
    Filter,
    HostState,
    RequestSpec,
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)
from gureum.compute.scheduler.weighers import ordered
from gureum.core.bus import Bus
from gureum.core.db import Database, transition, utcnow

log = logging.getLogger(__name__)
WORKERS = 4
EVENT = "conductor_schedule_and_build_instances"
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."
# How long a scheduler decides from the host states it read (and the claims it made
# since) before reading them again: other schedulers' claims and freed servers show up
# this late; a stale state costs at most a failed claim and another try. Changes to
# what is schedulable where (a disabled service, an aggregate) arrive as HOSTS_CHANGED.
HOST_STATES_TTL = 2.0
UNPLACED = ("pre-migrating", "queued", "accepted")  # a move's status until it has a host


# what a server waiting for a host waits in (task state → its vm state, and the agent's
# method once it has one): a new server, and a shelved server that had left its host
PLACING = {"scheduling": ("building", "build_server"),
           "unshelving": ("shelved_offloaded", "unshelve_server")}


def move_spec(spec: RequestSpec, server: Server, migration: Migration, host: str | None,
              same_host_resize: bool) -> RequestSpec:
    """What a moving server asks of its destination: its new flavor's sizes, not its
    source (unless a resize may stay), the named host if any."""
    flavor = server.new_flavor or server.flavor
    stays = migration.migration_type == "resize" and same_host_resize
    return replace(
        spec, vcpus=flavor["vcpus"], memory_mb=flavor["ram"],
        disk_gb=flavor["disk"] + int(flavor.get("ephemeral") or 0)
        + (int(flavor.get("swap") or 0) + 1023) // 1024,
        extra_specs=dict(flavor.get("extra_specs") or {}),
        ignore_hosts=frozenset() if stays else frozenset({migration.source_compute or ""}),
        forced_host=None, requested_host=host)


class HostTaken(Exception):
    """The host filled up, or a group member took it, since the host states were read."""


GROUP_FILTERS = (ServerGroupAffinityFilter(), ServerGroupAntiAffinityFilter())


class ComputeScheduler(Reporting):
    def __init__(self, db: Database, bus: Bus, settings: ComputeSettings,
                 host: str | None = None,
                 filters: tuple[Filter, ...] = DEFAULT_FILTERS) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.host = host or settings.host or socket.gethostname()
        self.filters = filters
        self._deciding = asyncio.Lock()
        self._states: list[HostState] | None = None
        self._states_read = 0.0

    async def start(self) -> None:
        await self.bus.subscribe(HOSTS_CHANGED, self._hosts_changed)
        for _ in range(WORKERS):
            await self.bus.serve(SCHEDULER_TOPIC, {"schedule_server": self.schedule_server,
                                                   "schedule_move": self.schedule_move})
        await report_service(self.db, SCHEDULER_BINARY, self.host, "internal")
        self.start_reporting(self.settings.report_interval, self._heartbeat,
                             "compute scheduler")

    async def _heartbeat(self) -> None:
        # Runs first one interval after start, so the hosts have reported after a restart
        # (a server is not sent to ERROR for want of hosts that are still starting).
        await report_service(self.db, SCHEDULER_BINARY, self.host, "internal")
        await self.resync(older_than=self.settings.report_interval)

    async def resync(self, older_than: float) -> None:
        """Place the servers still waiting for a host `older_than` seconds after they
        asked (their message was lost to a restart). Safe with several schedulers: a
        server is placed once, by a conditional update."""
        cutoff = utcnow() - timedelta(seconds=older_than)
        async with self.db.session() as session:
            waiting = list(await session.scalars(select(Server.id).where(
                Server.deleted.is_(False), Server.host.is_(None),
                Server.vm_state.in_([vm for vm, _ in PLACING.values()]),
                Server.task_state.in_(list(PLACING)),
                Server.updated_at <= cutoff).order_by(Server.created_at)))
        for server_id in waiting:
            await self.schedule_server(server_id)

    # ------------------------------------------------------------ placing
    async def schedule_server(self, server_id: str, request_id: str | None = None) -> None:
        # One decision at a time in this process, each seeing the claims before it (as
        # nova's scheduler consumes from its host states): servers asked for together
        # spread instead of all landing on the host that looked emptiest to each.
        async with self._deciding:
            placed = await self._place(server_id, request_id)
        if placed is not None:
            host, task_state = placed
            await self.bus.cast(compute_topic(host), PLACING[task_state][1],
                                server_id=server_id, request_id=request_id)

    async def schedule_move(self, migration_id: str, host: str | None = None,
                            force: bool = False, request_id: str | None = None) -> None:
        """A host for a server that moves (resize, cold or live migration): the source
        excluded (a resize may stay where it is when compute.allow_resize_to_same_host),
        `host` the only candidate when an admin names it (`force`: not even checked)."""
        async with self._deciding:
            placed = await self._place_move(migration_id, host, force, request_id)
        if placed is not None:
            source, method = placed
            await self.bus.cast(compute_topic(source), method, migration_id=migration_id,
                                request_id=request_id)

    async def _place_move(self, migration_id: str, host: str | None, force: bool,
                          request_id: str | None) -> tuple[str, str] | None:
        async with self.db.session() as session:
            migration = (await session.scalars(select(Migration).where(
                Migration.uuid == migration_id))).first()
            server = None if migration is None else await session.get(Server,
                                                                    migration.server_id)
            if (migration is None or server is None or server.deleted
                    or migration.status not in UNPLACED
                    or migration.dest_compute is not None):
                return None
            spec = move_spec(await self.request_spec(session, server), server, migration,
                             host, self.settings.allow_resize_to_same_host)
            hosts = await self._current_states(session)
        candidates = [h for h in hosts if h.host == host] if force and host \
            else self.select_hosts(hosts, spec)
        for candidate in candidates:
            if await self._claim_move(migration, server, spec, candidate):
                self._consumed(candidate, spec)
                if migration.migration_type == "evacuation":  # its source is down
                    return candidate.host, "evacuate_server"
                live = migration.migration_type == "live-migration"
                return str(migration.source_compute), "live_migrate" if live \
                    else "resize_server"
            self._states = None
        await self._move_nowhere(migration, request_id)
        return None

    async def _claim_move(self, migration: Migration, server: Server, spec: RequestSpec,
                          host: HostState) -> bool:
        """The destination claimed for the server; its source's claim held on under the
        migration (given back when the move is confirmed or completes)."""
        try:
            async with self.db.session() as session:
                await session.execute(update(Allocation).where(
                    Allocation.server_id == server.id).values(server_id=migration.uuid))
                if not await claim(session, host.node_id, server.id, spec.vcpus,
                                   spec.memory_mb, spec.disk_gb):
                    raise HostTaken
                moved = await session.execute(update(Migration).where(  # not aborted
                    Migration.id == migration.id, Migration.dest_compute.is_(None),
                    Migration.status.in_(UNPLACED)).values(
                    dest_compute=host.host, dest_node=host.host, dest_host=host.host,
                    updated_at=utcnow()))
                if not moved.rowcount:  # type: ignore[attr-defined]
                    raise HostTaken
        except HostTaken:
            return False
        return True

    async def _move_nowhere(self, migration: Migration, request_id: str | None) -> None:
        """No host: the server stays where it is, as it was; the migration in error
        (unless it was aborted meanwhile)."""
        async with self.db.session() as session:
            failed = await session.execute(update(Migration).where(
                Migration.id == migration.id, Migration.status.in_(UNPLACED)).values(
                status="error", updated_at=utcnow()))
            if not failed.rowcount:  # type: ignore[attr-defined]
                return
            server = await session.get(Server, migration.server_id)
            if server is None:
                return
            old = server.old_flavor or server.flavor
            server.vcpus, server.memory_mb, server.root_gb = (old["vcpus"], old["ram"],
                                                               old["disk"])
            server.task_state, server.old_flavor, server.new_flavor = None, None, None
            server.fault, server.updated_at = fault(NO_VALID_HOST), utcnow()
            await record_event(session, server.id, request_id, EVENT, None, "Error",
                               NO_VALID_HOST)

    async def _hosts_changed(self, message: dict[str, Any]) -> None:
        self._states = None

    async def _current_states(self, session: AsyncSession) -> list[HostState]:
        now = time.monotonic()
        if self._states is None or now - self._states_read > HOST_STATES_TTL:
            self._states, self._states_read = await self.host_states(session), now
        return self._states

    def _consumed(self, host: HostState, spec: RequestSpec) -> None:
        """What this scheduler just claimed, taken off the state it keeps."""
        if self._states is not None:
            self._states = [replace(h, free_vcpus=h.free_vcpus - spec.vcpus,
                                    free_ram_mb=h.free_ram_mb - spec.memory_mb,
                                    free_disk_gb=h.free_disk_gb - spec.disk_gb)
                            if h.node_id == host.node_id else h for h in self._states]

    async def _place(self, server_id: str, request_id: str | None,
                     ) -> tuple[str, str] | None:
        """The host claimed for the server and what it waited in, or None (placed
        already, gone, or no host)."""
        async with self.db.session() as session:
            server = await session.get(Server, server_id)
            if (server is None or server.deleted or server.host is not None
                    or server.task_state not in PLACING
                    or server.vm_state != PLACING[server.task_state][0]):
                return None  # placed already (a repeated message), or gone
            spec = await self.request_spec(session, server)
            hosts = await self._current_states(session)
            group_id = server.scheduler_hints.get("group")
        for host in self.select_hosts(hosts, spec):
            placed = await self._claim(server, spec, host, group_id, request_id)
            if placed is None:
                self._states = None  # it had filled up: read them all again next time
                continue
            if placed:
                self._consumed(host, spec)
            return (host.host, str(server.task_state)) if placed else None
        await self._no_valid_host(server, request_id)
        return None

    def select_hosts(self, hosts: list[HostState], spec: RequestSpec) -> list[HostState]:
        """The hosts that pass every filter, best first."""
        asked = [f for f in self.filters if f.applies(spec)]
        passed = [h for h in hosts if all(f.passes(h, spec) for f in asked)]
        return ordered(passed, spec, spread=self.settings.weigher == "spread")

    async def request_spec(self, session: AsyncSession, server: Server) -> RequestSpec:
        hints = server.scheduler_hints
        group_policy, per_host = None, 1
        group_hosts: tuple[str, ...] = ()
        if hints.get("group"):
            group = await session.get(ServerGroup, hints["group"])
            if group is not None:
                group_policy = group.policy
                per_host = int(group.rules.get("max_server_per_host", 1))
                group_hosts = await self._member_hosts(session, group.id, server.id)
        return RequestSpec(
            server_id=server.id, vcpus=server.vcpus, memory_mb=server.memory_mb,
            disk_gb=server.root_gb + int(server.flavor.get("ephemeral") or 0)
            + (int(server.flavor.get("swap") or 0) + 1023) // 1024,
            zone=server.requested_zone,
            forced_host=server.system_metadata.get("forced_host"),
            requested_host=server.system_metadata.get("requested_host"),
            image_properties=dict(server.image.get("properties") or {}),
            extra_specs=dict(server.flavor.get("extra_specs") or {}),
            ignore_hosts=frozenset(server.tried_hosts),
            same_host=await self._hosts_of(session, hints.get("same_host")),
            different_host=await self._hosts_of(session, hints.get("different_host")),
            group_policy=group_policy, group_hosts=group_hosts, max_server_per_host=per_host)

    @staticmethod
    async def _member_hosts(session: AsyncSession, group_id: str, server_id: str,
                            ) -> tuple[str, ...]:
        rows = await session.scalars(select(Server.host).where(
            Server.id.in_(select(ServerGroupMember.server_id).where(
                ServerGroupMember.group_id == group_id)),
            Server.id != server_id, Server.deleted.is_(False), Server.host.is_not(None)))
        return tuple(h for h in rows if h)

    @staticmethod
    async def _hosts_of(session: AsyncSession, ids: Any) -> frozenset[str]:
        if not ids:
            return frozenset()
        ids = [ids] if isinstance(ids, str) else list(ids)
        rows = await session.scalars(select(Server.host).where(Server.id.in_(ids)))
        return frozenset(h for h in rows if h)

    async def host_states(self, session: AsyncSession) -> list[HostState]:
        """The hosts up and enabled, with what is free on each. Columns, not ORM rows:
        with 1,000 hosts the objects alone took most of a decision."""
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        node = ComputeNode
        rows = await session.execute(
            select(node.id, node.host, ComputeService.availability_zone,
                   node.hypervisor_type, node.arch, node.vcpus, node.memory_mb, node.local_gb,
                   node.cpu_allocation_ratio, node.ram_allocation_ratio,
                   node.disk_allocation_ratio, node.vcpus_used, node.memory_mb_used,
                   node.local_gb_used)
            .join(ComputeService, (ComputeService.host == node.host)
                  & (ComputeService.binary == COMPUTE_BINARY))
            .where(ComputeService.updated_at >= cutoff, ComputeService.disabled.is_(False),
                   ComputeService.forced_down.is_(False)))
        metadata: dict[str, dict[str, set[str]]] = {}
        for host, meta in await session.execute(
                select(AggregateHost.host, Aggregate.metadata_).join(
                    Aggregate, Aggregate.id == AggregateHost.aggregate_id)):
            for key, value in meta.items():
                metadata.setdefault(host, {}).setdefault(key, set()).add(str(value))
        states = []
        for (node_id, host, zone, hv_type, arch, vcpus, ram, disk, cpu_ratio, ram_ratio,
             disk_ratio, vcpus_used, ram_used, disk_used) in rows:
            meta = metadata.get(host, {})
            zones = meta.get("availability_zone")
            states.append(HostState(
                node_id=node_id, host=host, zone=sorted(zones)[0] if zones else zone,
                hypervisor_type=hv_type, arch=arch,
                free_vcpus=vcpus * cpu_ratio - vcpus_used,
                free_ram_mb=ram * ram_ratio - ram_used,
                free_disk_gb=disk * disk_ratio - disk_used, aggregate_metadata=meta))
        return states

    async def _claim(self, server: Server, spec: RequestSpec, host: HostState,
                     group_id: str | None, request_id: str | None) -> bool | None:
        """Claim the host's resources and the server together: None when the host filled
        up meanwhile (or, under the group's lock, another member took it), False when
        another scheduler placed the server."""
        lock = f"compute-group:{group_id}" if group_id else None
        try:
            async with self.db.session(lock=lock) as session:
                if group_id and spec.group_policy in ("affinity", "anti-affinity"):
                    hosts = await self._member_hosts(session, group_id, server.id)
                    fresh = replace(spec, group_hosts=hosts)
                    if not all(f.passes(host, fresh) for f in GROUP_FILTERS):
                        raise HostTaken
                if not await transition(session, Server, server.id, {
                        "host": host.host, "node": host.host,
                        "availability_zone": host.zone, "updated_at": utcnow()},
                        host=None, vm_state=server.vm_state, task_state=server.task_state):
                    return False
                if not await claim(session, host.node_id, server.id, spec.vcpus,
                                   spec.memory_mb, spec.disk_gb):
                    raise HostTaken  # rolls the placement back
                await record_event(session, server.id, request_id, EVENT, None, "Success")
        except HostTaken:
            return None
        return True

    async def _no_valid_host(self, server: Server, request_id: str | None) -> None:
        """A build ends in ERROR; an unshelve leaves the server shelved, with the fault."""
        building = server.vm_state == "building"
        async with self.db.session() as session:
            values = {"vm_state": "error" if building else server.vm_state,
                      "task_state": None, "updated_at": utcnow(),
                      "fault": fault(NO_VALID_HOST)}
            if not building:  # an unshelve's host was for this try only
                values["system_metadata"] = {k: v for k, v in server.system_metadata.items()
                                             if k != "requested_host"}
            if await transition(session, Server, server.id, values,
                    host=None, vm_state=server.vm_state, task_state=server.task_state):
                await record_event(session, server.id, request_id,
                                   EVENT if building else "compute_unshelve_instance", None,
                                   "Error", NO_VALID_HOST)
