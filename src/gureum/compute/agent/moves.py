"""Moves between hosts, each host doing its half: a resize or cold migration powers the
server off on its source (its copy kept there until the move is confirmed), then the
destination spawns it with its new flavor on its ports (bound to the destination) and
volumes (connected there): VERIFY_RESIZE. Confirming destroys the source's copy;
reverting destroys the destination's and starts the source's again. A live migration has
the destination take the running server before the source lets it go."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from gureum.compute.agent.builds import Builds, instance_spec
from gureum.compute.messages import RUNNING, SHUTDOWN, compute_topic
from gureum.core.bus import Handler

RPC_TIMEOUT = 60.0


STEPS = ("resize_server", "finish_resize", "confirm_resize", "revert_resize",
         "finish_revert_resize", "live_migrate", "receive_live_migration", "evacuate_server")
ABORT_EVENT = "compute_live_migration_abort"


class Moves(Builds):
    HANDLERS: tuple[str, ...] = (*STEPS, "abort_live_migration",
                                 "force_complete_live_migration")

    def handlers(self) -> dict[str, Handler]:
        found = super().handlers()
        for step in STEPS:
            found[step] = functools.partial(self.step_once, step)
        return found

    async def step_once(self, step: str, migration_id: str, **kwargs: Any) -> None:
        """A move's step, not begun again while it is under way here (a resync finding
        it slow, a message delivered twice)."""
        await self.once(step, migration_id,
                        lambda: getattr(self, step)(migration_id, **kwargs))

    async def resume_move(self, migration_id: str, step: str | None = None,
                          event: str | None = None) -> None:
        """After a restart (or a lost message): the step a move waits on taken on
        again; one this host was in the middle of, unless it still is, fails (the
        server back on its source as it was, the reason its fault)."""
        if step is not None:
            await self.step_once(step, migration_id)
        elif not any(self.under_way(step, migration_id) for step in STEPS):
            await self._call("move_failed", migration_id=migration_id, event=event,
                             reason=f"The move was interrupted on {self.host}.")

    async def _move(self, migration_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._call("move_request",
                                                        migration_id=migration_id)
        return found

    async def _failed(self, request: dict[str, Any], exc: Exception, event: str,
                      request_id: str | None) -> None:
        await self._call("move_failed", migration_id=request["migration"]["uuid"],
                         reason=str(exc) or type(exc).__name__, event=event,
                         request_id=request_id)

    # ------------------------------------------------------------ resize, cold migrate
    async def resize_server(self, migration_id: str, request_id: str | None = None) -> None:
        """On the source: the server off (its disk stays here until confirmed)."""
        request = await self._move(migration_id)
        if request is None or not await self._call(
                "move_step", migration_id=migration_id, status="migrating",
                task_state="resize_migrating", expected_status="pre-migrating"):
            return
        server_id, event = request["id"], "compute_resize_instance"
        await self._event(server_id, event, request_id)
        try:
            await self.driver.power_off(server_id)
            await self._disconnect(server_id)
        except Exception as exc:
            await self._failed(request, exc, event, request_id)
            return
        await self._call("move_step", migration_id=migration_id, status="post-migrating",
                         task_state="resize_migrated", expected_status="migrating")
        await self._event(server_id, event, request_id, "Success")
        await self.bus.cast(compute_topic(request["migration"]["dest_compute"]),
                            "finish_resize", migration_id=migration_id,
                            request_id=request_id)

    async def finish_resize(self, migration_id: str, request_id: str | None = None) -> None:
        """On the destination: the server spawned with its new flavor."""
        request = await self._move(migration_id)
        if request is None or request["migration"]["status"] != "post-migrating":
            return
        await self._event(request["id"], "compute_finish_resize", request_id)
        stopped = request["vm_state"] == "stopped"
        try:
            await self._take(request, stopped)
        except Exception as exc:
            await self._failed(request, exc, "compute_finish_resize", request_id)
            return
        await self._call("resize_finished", migration_id=migration_id,
                         power_state=SHUTDOWN if stopped else RUNNING, request_id=request_id)

    async def confirm_resize(self, migration_id: str, request_id: str | None = None) -> None:
        """On the source: its copy is no longer needed."""
        request = await self._move(migration_id)
        if request is None or request["migration"]["status"] != "confirming":
            return
        migration = request["migration"]
        if migration["dest_compute"] != self.host:
            await self.driver.destroy(request["id"])
        await self._call("resize_confirmed", migration_id=migration_id,
                         request_id=request_id)

    async def revert_resize(self, migration_id: str, request_id: str | None = None) -> None:
        """On the destination: its copy goes; the source takes the server back."""
        request = await self._move(migration_id)
        if request is None or request["migration"]["status"] != "reverting":
            return
        migration = request["migration"]
        if migration["source_compute"] != self.host:
            with contextlib.suppress(Exception):
                await self._disconnect(request["id"])
            await self.driver.destroy(request["id"])
        await self.bus.cast(compute_topic(migration["source_compute"]),
                            "finish_revert_resize", migration_id=migration_id,
                            request_id=request_id)

    async def finish_revert_resize(self, migration_id: str,
                                   request_id: str | None = None) -> None:
        """On the source: the server back with its old flavor, as it was."""
        request = await self._move(migration_id)
        if request is None or request["migration"]["status"] != "reverting":
            return
        stopped = request["power_state"] == SHUTDOWN
        try:
            await self._take({**request, "flavor": request["old_flavor"]}, stopped)
        except Exception as exc:
            await self._failed(request, exc, "compute_finish_revert_resize", request_id)
            return
        await self._call("resize_reverted", migration_id=migration_id,
                         power_state=SHUTDOWN if stopped else RUNNING, request_id=request_id)

    # ------------------------------------------------------------ live migration
    async def live_migrate(self, migration_id: str, request_id: str | None = None) -> None:
        """On the source: the destination takes the running server, then this host lets
        its copy go."""
        request = await self._move(migration_id)
        if request is None:
            return
        for status, expected in (("preparing", "queued"), ("running", "preparing")):
            if not await self._call("move_step", migration_id=migration_id, status=status,
                                    task_state=None, expected_status=expected):
                return
            if migration_id in self._aborting:  # before the destination takes it
                self._aborting.discard(migration_id)
                await self._call("move_failed", migration_id=migration_id, reason="aborted",
                                 event=ABORT_EVENT, request_id=request_id, cancelled=True)
                return
        server_id, event = request["id"], "compute_live_migration"
        await self._event(server_id, event, request_id)
        destination = request["migration"]["dest_compute"]
        try:
            await self.bus.call(compute_topic(destination), "receive_live_migration",
                                timeout=RPC_TIMEOUT, migration_id=migration_id)
        except Exception as exc:
            await self._failed(request, exc, event, request_id)
            return
        if destination != self.host:
            await self.driver.destroy(server_id)
        await self._call("live_migrated", migration_id=migration_id, request_id=request_id)

    async def abort_live_migration(self, migration_id: str,
                                   request_id: str | None = None) -> None:
        """On the source: the live migration stopped before the destination takes the
        server (at once if it is not under way here), the server left here."""
        if self.under_way("live_migrate", migration_id):
            self._aborting.add(migration_id)
            return
        await self._call("move_failed", migration_id=migration_id, reason="aborted",
                         event=ABORT_EVENT, request_id=request_id, cancelled=True)

    async def force_complete_live_migration(self, migration_id: str,
                                            request_id: str | None = None) -> None:
        """On the source: nothing to hurry (the drivers' live migrations have no
        pre-copy phase that a pause would cut short); the action's event recorded."""
        request = await self._move(migration_id)
        if request is not None:
            event = "compute_live_migration_force_complete"
            await self._event(request["id"], event, request_id)
            await self._event(request["id"], event, request_id, "Success")

    async def receive_live_migration(self, migration_id: str) -> None:
        """On the destination: the server running here, on its ports and volumes."""
        request = await self._move(migration_id)
        if request is None:
            raise RuntimeError(f"migration {migration_id} is gone")
        await self._take(request, stopped=False)

    # ------------------------------------------------------------ evacuation
    async def evacuate_server(self, migration_id: str, request_id: str | None = None,
                              ) -> None:
        """On the destination: the server rebuilt here, its own host being down."""
        request = await self._move(migration_id)
        if request is None or request["migration"]["status"] != "accepted":
            return
        event = "compute_rebuild_instance"
        await self._event(request["id"], event, request_id)
        try:
            await self._take(request, stopped=request["evacuated_to"] == "stopped")
        except Exception as exc:
            await self._failed(request, exc, event, request_id)
            return
        await self._call("evacuated", migration_id=migration_id, request_id=request_id)

    # ------------------------------------------------------------ this host takes it
    async def _take(self, request: dict[str, Any], stopped: bool) -> None:
        """The server spawned here (with request's flavor), its ports bound to this host
        and its volumes connected here; off again when it was stopped."""
        server_id = request["id"]
        binding = {"binding:host_id": self.host}
        ports = [await self.network.update_port(p["id"], binding) for p in request["ports"]]
        await self.driver.spawn(instance_spec(request, ports))
        if stopped:
            await self.driver.power_off(server_id)
        found = await self._call("teardown_request", server_id=server_id)
        for volume in (found or {}).get("volumes", []):
            if volume["status"] != "attached":
                continue
            assert self.volumes is not None
            attachment = await self.volumes.update_attachment(
                volume["attachment_id"], self.connector(volume["device_name"]))
            await self.driver.attach_volume(server_id, attachment["connection_info"],
                                            volume["device_name"])

    async def _disconnect(self, server_id: str) -> None:
        found = await self._call("teardown_request", server_id=server_id)
        for volume in (found or {}).get("volumes", []):
            if volume["status"] == "attached":
                await self.driver.detach_volume(server_id, volume["device_name"])
