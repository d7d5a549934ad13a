"""The conductor (nova-conductor): the compute agents' only way to the database. Agents
call it over the bus to learn what to build or tear down and to report what happened;
it moves the server's state with conditional updates, records faults and action events,
and sends failed builds back to the scheduler for another host. Each part is a module
of its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from gureum.compute.conductor.base import (
    ConductorBase,
    Reporting,
    heartbeat,
    report_service,
    service_lock,
)
from gureum.compute.conductor.builds import BUILD_EVENT, Builds
from gureum.compute.conductor.hosts import HostReports
from gureum.compute.conductor.moves import Moves
from gureum.compute.conductor.shelve import Shelving
from gureum.compute.conductor.volumes import Volumes, attachment_view
from gureum.compute.manager.actions import BY_TASK_STATE, action_message
from gureum.compute.manager.base import fault
from gureum.compute.models import Server, VolumeAttachment
from gureum.core.db import utcnow

__all__ = ["BUILD_EVENT", "Conductor", "ConductorBase", "Reporting", "attachment_view",
           "fault", "heartbeat", "report_service", "service_lock"]


class Conductor(Moves, Shelving, Builds, Volumes, HostReports):
    HANDLERS: tuple[str, ...] = ("work_for_host",)

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
                VolumeAttachment.id, VolumeAttachment.status, VolumeAttachment.server_id,
                VolumeAttachment.volume_id).join(
                Server, Server.id == VolumeAttachment.server_id).where(
                Server.host == host, VolumeAttachment.status != "attached")))
        return {"snapshots": [r.id for r in rows if r.task_state == "image_snapshot"
                              and r.updated_at <= cutoff],
                "shelving": [{"server_id": r.id, "task_state": r.task_state} for r in rows
                             if r.task_state in ("shelving", "shelving_offloading",
                                                 "unshelving") and r.updated_at <= cutoff],
                "attach": [v.id for v in volumes if v.status == "attaching"],
                "detach": [v.id for v in volumes if v.status == "detaching"],
                "swap": [{"volume_attachment_id": v.id, "server_id": v.server_id,
                          "volume_id": v.volume_id} for v in volumes if v.status == "swapping"],
                "moves": await self.moves_for_host(host, cutoff),
                "build": [r.id for r in rows if r.vm_state == "building"
                          and r.task_state != "deleting"],
                "delete": [r.id for r in rows if r.task_state == "deleting"],
                "actions": [{"server_id": r.id, **action_message(BY_TASK_STATE[r.task_state])}
                            for r in rows if r.task_state in BY_TASK_STATE
                            and r.updated_at <= cutoff],
                "running": [r.id for r in rows if r.vm_state not in ("building", "error")
                            and r.task_state != "deleting"]}

