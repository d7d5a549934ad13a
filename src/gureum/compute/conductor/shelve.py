"""Shelving: what the agents report as a server is shelved (its disk kept as an image),
offloaded (it leaves its host: claim given back, host cleared, ports unbound) and
unshelved (on the host the scheduler chose); and the periodic offload of servers shelved
longer than `compute.shelved_offload_time`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from gureum.compute.claims import release_claim
from gureum.compute.conductor.base import ConductorBase
from gureum.compute.conductor.builds import Builds
from gureum.compute.manager.base import fault, record_event
from gureum.compute.messages import NOSTATE, RUNNING, SHUTDOWN, compute_topic
from gureum.compute.models import Server
from gureum.core.db import transition, utcnow

SHELVED_KEYS = ("shelved_at", "shelved_image_id", "shelved_host", "requested_host")


class Shelving(Builds, ConductorBase):
    HANDLERS: tuple[str, ...] = ("server_shelved", "offload_request", "server_offloaded",
                                 "unshelve_request", "server_unshelved", "unshelve_failed")
    PERIODIC: tuple[str, ...] = ("offload_shelved",)

    async def server_shelved(self, server_id: str, host: str, image_id: str | None,
                             request_id: str | None = None) -> bool:
        """The disk is kept (in the image, for an image-backed server): SHELVED."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted or row.task_state != "shelving":
                return False
            now = utcnow()
            row.system_metadata = {**row.system_metadata, "shelved_at": now.isoformat(),
                                   "shelved_image_id": image_id, "shelved_host": host}
            row.vm_state, row.task_state, row.power_state = "shelved", None, SHUTDOWN
            row.updated_at = now
            await record_event(session, server_id, request_id, "compute_shelve_instance",
                               host, "Success")
            return True

    async def offload_request(self, server_id: str, host: str) -> dict[str, Any] | None:
        """The server, moved to shelving_offloading (from shelved, or already there), or
        None when it is not this host's shelved server."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if (row is None or row.deleted or row.host != host
                    or row.vm_state != "shelved"
                    or row.task_state not in (None, "shelving_offloading")):
                return None
            row.task_state, row.updated_at = "shelving_offloading", utcnow()
            return self._build_view(row)

    async def server_offloaded(self, server_id: str, host: str,
                               request_id: str | None = None) -> None:
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted or row.host != host:
                return
            await release_claim(session, server_id)
            row.host, row.node, row.vm_state, row.task_state = None, None, \
                "shelved_offloaded", None
            row.power_state, row.updated_at = NOSTATE, utcnow()
            await record_event(session, server_id, request_id,
                               "compute_shelve_offload_instance", host, "Success")

    async def unshelve_request(self, server_id: str, host: str) -> dict[str, Any] | None:
        """What the agent needs to bring the server back on this host: its build view,
        the image it was shelved into, and whether it had left its host."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if (row is None or row.deleted or row.host != host
                    or row.task_state != "unshelving"):
                return None
            return {**self._build_view(row), "offloaded": row.vm_state == "shelved_offloaded",
                    "shelved_image_id": row.system_metadata.get("shelved_image_id")}

    async def server_unshelved(self, server_id: str, host: str, addresses: dict[str, Any],
                               request_id: str | None = None) -> bool:
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted or row.host != host \
                    or row.task_state != "unshelving":
                return False
            row.system_metadata = {k: v for k, v in row.system_metadata.items()
                                   if k not in SHELVED_KEYS}
            row.vm_state, row.task_state, row.power_state = "active", None, RUNNING
            row.addresses, row.updated_at = addresses or row.addresses, utcnow()
            await record_event(session, server_id, request_id, "compute_unshelve_instance",
                               host, "Success")
            return True

    async def unshelve_failed(self, server_id: str, host: str, reason: str,
                              request_id: str | None = None) -> None:
        """Back where it was (an offloaded server gives its new claim back), with the
        reason as its fault."""
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            if row is None or row.deleted or row.task_state != "unshelving":
                return
            if row.vm_state == "shelved_offloaded":
                await release_claim(session, server_id)
                row.host = row.node = None
            row.system_metadata = {k: v for k, v in row.system_metadata.items()
                                   if k != "requested_host"}
            row.task_state, row.updated_at = None, utcnow()
            row.fault = fault(f"Unshelve of instance {server_id} failed: {reason}")
            await record_event(session, server_id, request_id, "compute_unshelve_instance",
                               host, "Error", reason)

    async def offload_shelved(self) -> None:
        """Servers shelved longer than compute.shelved_offload_time leave their host."""
        wait = self.settings.shelved_offload_time
        if wait <= 0:
            return
        cutoff = utcnow() - timedelta(seconds=wait)
        async with self.db.session() as session:
            rows = list(await session.execute(select(
                Server.id, Server.host, Server.system_metadata).where(
                Server.vm_state == "shelved", Server.task_state.is_(None),
                Server.deleted.is_(False), Server.host.is_not(None))))
        for server_id, host, meta in rows:
            shelved_at = meta.get("shelved_at")
            if shelved_at and datetime.fromisoformat(shelved_at) <= cutoff:
                async with self.db.session() as session:
                    moved = await transition(session, Server, server_id, {
                        "task_state": "shelving_offloading", "updated_at": utcnow()},
                        vm_state="shelved", task_state=None, deleted=False)
                if moved:
                    await self.bus.cast(compute_topic(host), "offload_server",
                                        server_id=server_id)
