"""The conductor (nova-conductor): the compute agents' only way to the database. Agents
call it over the bus to learn what to build or tear down and to report what happened;
it moves the server's state with conditional updates, records faults and action events,
and sends failed builds back to the scheduler for another host."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute.claims import release_claim
from gureum.compute.config import ComputeSettings
from gureum.compute.drivers.fake import BEHAVIOUR_KEY
from gureum.compute.manager.actions import BY_TASK_STATE, action_message
from gureum.compute.manager.base import new_id, record_event
from gureum.compute.manager.servers import mark_deleted
from gureum.compute.messages import (
    COMPUTE_BINARY,
    CONDUCTOR_BINARY,
    CONDUCTOR_TOPIC,
    HOSTS_CHANGED,
    PUBLISHER,
    SCHEDULER_TOPIC,
)
from gureum.compute.models import ComputeNode, ComputeService, Server, VolumeAttachment
from gureum.core.bus import Bus, Handler
from gureum.core.db import Database, transition, utcnow

log = logging.getLogger(__name__)
WORKERS = 8
BUILD_EVENT = "compute__do_build_and_run_instance"


def fault(message: str, code: int = 500, details: str = "") -> dict[str, Any]:
    return {"code": code, "message": message[:255], "details": details,
            "created": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}


async def report_service(db: Database, binary: str, host: str, zone: str) -> None:
    """A service's heartbeat: its row in os-services, made on first report."""
    async with db.session(lock=service_lock(binary, host)) as session:
        await heartbeat(session, binary, host, zone)


def service_lock(binary: str, host: str) -> str:
    return f"compute-service:{binary}:{host}"


async def heartbeat(session: AsyncSession, binary: str, host: str, zone: str) -> None:
    """The service's row says it reported now (made on its first report); the caller
    holds service_lock."""
    now = utcnow()
    done = await session.execute(update(ComputeService).where(
        ComputeService.binary == binary, ComputeService.host == host).values(updated_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        session.add(ComputeService(uuid=new_id(), binary=binary, host=host,
                                   availability_zone=zone, created_at=now, updated_at=now))


async def every(interval: float, step: Callable[[], Awaitable[None]], what: str) -> None:
    """A service's periodic task (its report, and what it checks then), for ever; a
    failure is logged and the next round tries again."""
    while True:
        await asyncio.sleep(interval)
        try:
            await step()
        except Exception as exc:
            log.warning("%s could not report: %s", what, exc)


class Reporting:
    """A service with a periodic task: started once it serves, cancelled on stop."""

    _task: asyncio.Task[None] | None = None

    def start_reporting(self, interval: float, step: Callable[[], Awaitable[None]],
                        what: str) -> None:
        self._task = asyncio.get_running_loop().create_task(every(interval, step, what))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


class Conductor(Reporting):
    def __init__(self, db: Database, bus: Bus, settings: ComputeSettings,
                 host: str | None = None) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.host = host or settings.host or socket.gethostname()

    async def start(self) -> None:
        handlers: dict[str, Handler] = {
            "report_host": self.report_host, "build_request": self.build_request,
            "ports_bound": self.ports_bound, "server_built": self.server_built,
            "build_failed": self.build_failed, "teardown_request": self.teardown_request,
            "server_deleted": self.server_deleted, "delete_failed": self.delete_failed,
            "instance_update": self.instance_update, "action_event": self.action_event,
            "work_for_host": self.work_for_host,
            "volume_attachment": self.volume_attachment,
            "volume_attached": self.volume_attached,
            "volume_detached": self.volume_detached,
        }
        for _ in range(WORKERS):
            await self.bus.serve(CONDUCTOR_TOPIC, handlers)
        await report_service(self.db, CONDUCTOR_BINARY, self.host, "internal")
        self.start_reporting(self.settings.report_interval, self._heartbeat, "conductor")

    async def _heartbeat(self) -> None:
        await report_service(self.db, CONDUCTOR_BINARY, self.host, "internal")
        await self.expire_stuck_builds()

    # ------------------------------------------------------------ hosts
    async def report_host(self, host: str, zone: str, resources: dict[str, Any]) -> None:
        """A compute agent's heartbeat: its service row and its hypervisor's inventory."""
        settings = self.settings
        # one transaction for the service's heartbeat and the node's inventory: a
        # hundred hosts reporting are a steady stream of writes
        async with self.db.session(lock=[service_lock(COMPUTE_BINARY, host),
                                         f"compute-node:{host}"]) as session:
            await heartbeat(session, COMPUTE_BINARY, host, zone)
            node = (await session.scalars(select(ComputeNode).where(
                ComputeNode.host == host))).first()
            new = node is None
            if node is None:
                node = ComputeNode(uuid=new_id(), host=host, hypervisor_hostname=host,
                                   vcpus=0, memory_mb=0, local_gb=0)
                session.add(node)
            node.vcpus, node.memory_mb = resources["vcpus"], resources["memory_mb"]
            node.local_gb = resources["local_gb"]
            node.hypervisor_type = resources["hypervisor_type"]
            node.hypervisor_version = resources["hypervisor_version"]
            node.cpu_info = resources.get("cpu_info") or {}
            node.arch = str(node.cpu_info.get("arch") or "x86_64")
            node.cpu_allocation_ratio = settings.cpu_allocation_ratio
            node.ram_allocation_ratio = settings.ram_allocation_ratio
            node.disk_allocation_ratio = settings.disk_allocation_ratio
            node.updated_at = utcnow()
        if new:
            await self.bus.notify(PUBLISHER, HOSTS_CHANGED, {"host": host})

    async def work_for_host(self, host: str, older_than: float = 0.0) -> dict[str, Any]:
        """What is under way on a host: the agent finishes it after a restart. Power
        actions count once they are older than `older_than` seconds (younger ones may
        still be on their way to the agent)."""
        cutoff = utcnow() - timedelta(seconds=older_than)
        async with self.db.session() as session:
            rows = list(await session.execute(select(
                Server.id, Server.vm_state, Server.task_state, Server.updated_at).where(
                Server.host == host, Server.deleted.is_(False))))
            volumes = list(await session.execute(select(
                VolumeAttachment.id, VolumeAttachment.status).join(
                Server, Server.id == VolumeAttachment.server_id).where(
                Server.host == host, VolumeAttachment.status != "attached")))
        return {"snapshots": [r.id for r in rows if r.task_state == "image_snapshot"
                              and r.updated_at <= cutoff],
                "attach": [v.id for v in volumes if v.status == "attaching"],
                "detach": [v.id for v in volumes if v.status == "detaching"],
                "build": [r.id for r in rows if r.vm_state == "building"
                          and r.task_state != "deleting"],
                "delete": [r.id for r in rows if r.task_state == "deleting"],
                "actions": [{"server_id": r.id, **action_message(BY_TASK_STATE[r.task_state])}
                            for r in rows if r.task_state in BY_TASK_STATE
                            and r.updated_at <= cutoff],
                "running": [r.id for r in rows if r.vm_state not in ("building", "error")
                            and r.task_state != "deleting"]}

    # ------------------------------------------------------------ building
    async def build_request(self, server_id: str, host: str,
                            request_id: str | None = None) -> dict[str, Any] | None:
        """What the agent needs to build the server, or None when it is not (or no
        longer) this host's to build."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if (row is None or row.deleted or row.host != host
                    or row.vm_state != "building" or row.task_state == "deleting"):
                return None
            row.task_state, row.updated_at = "spawning", utcnow()
            await record_event(session, server_id, request_id, BUILD_EVENT, host)
            metadata = dict(row.metadata_)
            for prefix, behaviour in self.settings.fake_behaviour.items():
                if row.name.startswith(prefix):
                    metadata.setdefault(BEHAVIOUR_KEY, behaviour)
            return {"id": row.id, "name": row.name, "hostname": row.hostname,
                    "project_id": row.project_id, "user_id": row.user_id,
                    "flavor": row.flavor, "image": row.image,
                    "networks": row.requested_networks,
                    "security_groups": row.security_groups, "user_data": row.user_data,
                    "key_data": row.key_data, "metadata": metadata,
                    "availability_zone": row.availability_zone, "ports": row.ports}

    async def ports_bound(self, server_id: str, ports: list[dict[str, Any]]) -> None:
        """The ports an agent made or bound for the server, so whoever tears it down
        (the agent, or the API when the host is gone) releases them."""
        async with self.db.session() as session:
            await session.execute(update(Server).where(Server.id == server_id).values(
                ports=ports))

    async def server_built(self, server_id: str, host: str, addresses: dict[str, Any],
                           power_state: int, request_id: str | None = None) -> bool:
        now = utcnow()
        async with self.db.session() as session:
            done = await transition(session, Server, server_id, {
                "vm_state": "active", "task_state": None, "power_state": power_state,
                "addresses": addresses, "launched_at": now, "updated_at": now},
                host=host, vm_state="building", task_state="spawning", deleted=False)
            if done:
                await record_event(session, server_id, request_id, BUILD_EVENT, host,
                                   "Success")
        return done

    async def build_failed(self, server_id: str, host: str, reason: str,
                           request_id: str | None = None) -> None:
        """Give the host's claim back; try another host while attempts remain, else
        ERROR with the reason as the fault."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted or row.host != host or row.vm_state != "building":
                return
            await release_claim(session, server_id)
            await record_event(session, server_id, request_id, BUILD_EVENT, host, "Error",
                               reason)
            tried = [*row.tried_hosts, host]
            retry = (len(tried) < self.settings.scheduler_max_attempts
                     and row.task_state != "deleting"
                     and not row.system_metadata.get("forced_host"))
            now = utcnow()
            if retry:
                row.host, row.node, row.tried_hosts = None, None, tried
                row.task_state, row.ports, row.updated_at = "scheduling", [], now
            else:
                row.vm_state, row.task_state, row.tried_hosts = "error", None, tried
                row.fault, row.updated_at = fault(
                    f"Build of instance {server_id} aborted: {reason}"), now
        if retry:
            await self.bus.cast(SCHEDULER_TOPIC, "schedule_server", server_id=server_id,
                                request_id=request_id)

    async def expire_stuck_builds(self) -> None:
        """Servers building on a host that went down and stayed down: ERROR."""
        cutoff = utcnow() - timedelta(seconds=self.settings.build_timeout)
        down = utcnow() - timedelta(seconds=self.settings.service_down_time)
        async with self.db.session() as session:
            dead_hosts = select(ComputeService.host).where(
                ComputeService.binary == COMPUTE_BINARY, ComputeService.updated_at < down)
            rows = list(await session.scalars(select(Server).where(
                Server.vm_state == "building", Server.deleted.is_(False),
                Server.updated_at < cutoff, Server.host.in_(dead_hosts))))
            for row in rows:
                await release_claim(session, row.id)
                row.vm_state, row.task_state, row.updated_at = "error", None, utcnow()
                row.fault = fault(f"Build of instance {row.id} aborted: its host "
                                  f"{row.host} stopped reporting.")

    # ------------------------------------------------------------ deleting, updates
    async def teardown_request(self, server_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted:
                return None
            volumes = list(await session.scalars(select(VolumeAttachment).where(
                VolumeAttachment.server_id == server_id)))
            return {"id": row.id, "ports": row.ports, "host": row.host,
                    "volumes": [attachment_view(v) for v in volumes]}

    # ------------------------------------------------------------ volumes
    async def volume_attachment(self, volume_attachment_id: str) -> dict[str, Any] | None:
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            return None if row is None else attachment_view(row)

    async def volume_attached(self, volume_attachment_id: str, ok: bool,
                              reason: str | None = None,
                              request_id: str | None = None) -> None:
        """The agent connected the volume (attached), or could not (the record goes)."""
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is None:
                return
            if ok:
                row.status = "attached"
            else:
                await session.delete(row)
            await record_event(session, row.server_id, request_id,
                               "compute_attach_volume", None,
                               "Success" if ok else "Error", reason)

    async def volume_detached(self, volume_attachment_id: str,
                              request_id: str | None = None) -> None:
        async with self.db.session() as session:
            row = await session.get(VolumeAttachment, volume_attachment_id)
            if row is None:
                return
            await session.delete(row)
            await record_event(session, row.server_id, request_id,
                               "compute_detach_volume", None, "Success")

    async def server_deleted(self, server_id: str, request_id: str | None = None) -> None:
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is not None:
                await record_event(session, server_id, request_id,
                                   "compute_terminate_instance", row.host, "Success")
            await mark_deleted(session, server_id)

    async def delete_failed(self, server_id: str, reason: str,
                            request_id: str | None = None) -> None:
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted:
                return
            await record_event(session, server_id, request_id,
                               "compute_terminate_instance", row.host, "Error", reason)
            row.vm_state, row.task_state, row.updated_at = "error", None, utcnow()
            row.fault = fault(reason)

    async def instance_update(self, server_id: str, values: dict[str, Any],
                              expected: dict[str, Any] | None = None) -> bool:
        """A conditional update of a server's state (only these columns)."""
        allowed = {"vm_state", "task_state", "power_state", "addresses", "fault",
                   "launched_at"}
        values = {k: v for k, v in values.items() if k in allowed}
        values["updated_at"] = utcnow()
        async with self.db.session() as session:
            return await transition(session, Server, server_id, values,
                                    **(expected or {}), deleted=False)

    async def action_event(self, server_id: str, event: str, host: str | None,
                           request_id: str | None = None, result: str | None = None,
                           traceback: str | None = None) -> None:
        async with self.db.session() as session:
            await record_event(session, server_id, request_id, event, host, result,
                               traceback)


def attachment_view(row: VolumeAttachment) -> dict[str, Any]:
    """A volume attachment as the agent needs it."""
    return {"id": row.id, "server_id": row.server_id, "volume_id": row.volume_id,
            "attachment_id": row.attachment_id, "device_name": row.device_name,
            "delete_on_termination": row.delete_on_termination, "status": row.status}
