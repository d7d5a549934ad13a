"""Shelving (nova's shelve, shelveOffload, unshelve): a shelved server keeps its disk as
an image (`<name>-shelved`, none for a volume-backed one) and, after
`compute.shelved_offload_time`, leaves its host; unshelving brings it back, on the host
the scheduler picks when it had left (its ports, addresses and volumes kept)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.clients.image import ImageError
from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked, invalid_state
from gureum.compute.manager.base import record_action
from gureum.compute.manager.build_requests import BuildRequests
from gureum.compute.manager.hosts import Hosts
from gureum.compute.manager.snapshots import Snapshots, image_properties
from gureum.compute.messages import COMPUTE_BINARY, SCHEDULER_TOPIC, compute_topic
from gureum.compute.models import ComputeService, Server
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow

SHELVABLE = ("active", "stopped", "paused", "suspended")
UNCHANGED = "-"  # an unshelve that names no zone (None, from 2.91, unpins the server)
UNSHELVABLE = ("shelved", "shelved_offloaded")


class Shelving(Snapshots, BuildRequests):
    async def shelve_server(self, context: RequestContext, server_id: str) -> None:
        server = await self._shelving(context, server_id, "shelve", SHELVABLE)
        image_id = None
        if server.image_ref:  # a volume-backed server keeps its disk in its volume
            image_id = await self._shelved_image(context, server)
        async with self.db.session() as session:
            moved = await transition(session, Server, server_id, {
                "task_state": "shelving", "updated_at": utcnow()},
                vm_state=SHELVABLE, task_state=None, deleted=False)
            if moved:
                await record_action(session, server, "shelve", context)
        if not moved:
            if image_id is not None and self.images is not None:
                await self.images.delete_image(image_id, token=context.token)
            raise errors.InstanceInvalidState(action="shelve", server_id=server_id,
                                              attr="task_state", state="(changed)")
        await self.bus.cast(compute_topic(server.host or ""), "shelve_server",
                            server_id=server_id, image_id=image_id,
                            base_image_id=server.image_ref,
                            offload=self.settings.shelved_offload_time == 0,
                            request_id=context.request_id)

    async def _shelved_image(self, context: RequestContext, server: Server) -> str:
        assert self.images is not None
        record = {"name": f"{server.name}-shelved", "container_format": "bare",
                  "disk_format": server.image.get("disk_format") or "raw",
                  "visibility": "private", **image_properties(server, {})}
        try:
            image = await self.images.create_image(record, token=context.token)
        except ImageError as exc:
            raise errors.InvalidInput(reason=f"The image could not be created: {exc}") from exc
        return str(image["id"])

    async def shelve_offload_server(self, context: RequestContext, server_id: str) -> None:
        server = await self._shelving(context, server_id, "shelveOffload", ("shelved",))
        async with self.db.session() as session:
            if not await transition(session, Server, server_id, {
                    "task_state": "shelving_offloading", "updated_at": utcnow()},
                    vm_state="shelved", task_state=None, deleted=False):
                raise errors.InstanceInvalidState(action="shelveOffload", server_id=server_id,
                                                  attr="task_state", state="(changed)")
            await record_action(session, server, "shelveOffload", context)
        await self.bus.cast(compute_topic(server.host or ""), "offload_server",
                            server_id=server_id, request_id=context.request_id)

    async def unshelve_server(self, context: RequestContext, server_id: str,
                              zone: str | None = UNCHANGED, host: str | None = None) -> None:
        """Back on its host, or (offloaded) on one the scheduler picks: in `zone` if
        given (2.77; None unpins it, 2.91), on `host` if named (2.91)."""
        server = await self._shelving(context, server_id, "unshelve", UNSHELVABLE)
        offloaded = server.vm_state == "shelved_offloaded"
        if (zone != UNCHANGED or host is not None) and not offloaded:
            raise errors.InstanceInvalidState(action="unshelve", server_id=server_id,
                                              attr="vm_state", state=server.vm_state)
        values: dict[str, Any] = {"task_state": "unshelving", "updated_at": utcnow(),
                                  "fault": None, "tried_hosts": []}
        if zone != UNCHANGED:
            if zone is not None and zone not in await self.zones():
                raise errors.AvailabilityZoneNotFound()
            values["requested_zone"] = zone
        if host is not None:
            values["system_metadata"] = {**server.system_metadata, "requested_host":
                                         await self._unshelve_host(host, zone)}
        async with self.db.session() as session:
            if not await transition(session, Server, server_id, values,
                                    vm_state=server.vm_state, task_state=None,
                                    deleted=False):
                raise errors.InstanceInvalidState(action="unshelve", server_id=server_id,
                                                  attr="task_state", state="(changed)")
            await record_action(session, server, "unshelve", context)
        if offloaded:
            await self.bus.cast(SCHEDULER_TOPIC, "schedule_server", server_id=server_id,
                                request_id=context.request_id)
        else:
            await self.bus.cast(compute_topic(server.host or ""), "unshelve_server",
                                server_id=server_id, request_id=context.request_id)

    async def _unshelve_host(self, host: str, zone: str | None) -> str:
        async with self.db.session() as session:
            hosts = dict((await session.execute(select(
                ComputeService.host, ComputeService.availability_zone).where(
                ComputeService.binary == COMPUTE_BINARY))).tuples().all())
            hosts.update({h: z for h, z in (await Hosts.host_zones(session)).items()
                          if h in hosts})
        if host not in hosts:
            raise errors.InvalidInput(reason=f"Compute host {host} could not be found.")
        if zone not in (UNCHANGED, None, hosts[host]):
            raise errors.InvalidInput(reason=f"Host {host} is not in the availability "
                                      f"zone {zone}.")
        return host

    async def _shelving(self, context: RequestContext, server_id: str, action: str,
                        vm_states: tuple[str, ...]) -> Server:
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
        check_unlocked(context, server)
        if server.vm_state not in vm_states or server.task_state is not None:
            raise invalid_state(server, action, vm_states)
        return server
