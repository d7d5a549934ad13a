"""Builds and deletes: what the agent needs to build, rebuild or tear down a server, and
the outcomes it reports; failed builds go back to the scheduler for another host."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from gureum.compute.claims import release_claim
from gureum.compute.conductor.base import ConductorBase
from gureum.compute.conductor.volumes import attachment_view
from gureum.compute.drivers.fake import BEHAVIOUR_KEY
from gureum.compute.manager.base import fault, record_event
from gureum.compute.manager.servers import mark_deleted
from gureum.compute.messages import COMPUTE_BINARY, SCHEDULER_TOPIC
from gureum.compute.models import ComputeService, Server, VolumeAttachment
from gureum.core.db import transition, utcnow

BUILD_EVENT = "compute__do_build_and_run_instance"


class Builds(ConductorBase):
    HANDLERS: tuple[str, ...] = ("build_request", "rebuild_request", "ports_bound", "server_built",
                "build_failed", "teardown_request", "server_deleted", "delete_failed")
    PERIODIC: tuple[str, ...] = ("expire_stuck_builds",)

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
            volumes = await session.scalars(select(VolumeAttachment).where(
                VolumeAttachment.server_id == server_id,
                VolumeAttachment.status == "building").order_by(VolumeAttachment.device_name))
            return {**self._build_view(row), "block_devices": row.block_device_mapping,
                    "volumes": [attachment_view(v) for v in volumes]}

    async def rebuild_request(self, server_id: str, host: str, any_task: bool = False,
                              ) -> dict[str, Any] | None:
        """What the agent needs to rebuild the server on its new image (or, with
        any_task, to give it another port), or None."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if (row is None or row.deleted or row.host != host
                    or (row.task_state != "rebuilding" and not any_task)):
                return None
            return self._build_view(row)

    def _build_view(self, row: Server) -> dict[str, Any]:
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
                     and not row.system_metadata.get("forced_host")
                     and not row.system_metadata.get("requested_host"))
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

