"""Power actions (stop, start, reboot, pause, suspend and back) and the console log."""

from __future__ import annotations

from typing import Any

from gureum.compute.agent.base import AgentBase


class PowerActions(AgentBase):
    HANDLERS: tuple[str, ...] = ("server_action", "console_output", "console_endpoint")

    async def server_action(self, server_id: str, driver_call: str, task_state: str,
                            vm_state: str, power_state: int, event: str, hard: bool = False,
                            request_id: str | None = None) -> None:
        """A power action through the driver; the end state (or, on failure, the task
        state cleared and the event in error) through the conductor."""
        with self.working("action", server_id):  # a later one may take over (a hard reboot)
            await self._act(server_id, driver_call, task_state, vm_state, power_state,
                            event, hard, request_id)

    async def _act(self, server_id: str, driver_call: str, task_state: str, vm_state: str,
                   power_state: int, event: str, hard: bool, request_id: str | None,
                   ) -> None:
        await self._event(server_id, event, request_id)
        try:
            call = getattr(self.driver, driver_call)
            await (call(server_id, hard) if driver_call == "reboot" else call(server_id))
        except Exception as exc:
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": task_state})
            await self._event(server_id, event, request_id, "Error",
                              str(exc) or type(exc).__name__)
            return
        await self._call("instance_update", server_id=server_id,
                         values={"vm_state": vm_state, "power_state": power_state,
                                 "task_state": None},
                         expected={"task_state": task_state})
        await self._event(server_id, event, request_id, "Success")

    async def console_output(self, server_id: str) -> str:
        return await self.driver.console_output(server_id)

    async def console_endpoint(self, server_id: str, kind: str) -> dict[str, Any]:
        """Where this host serves the server's console of that kind."""
        return await self.driver.console_endpoint(server_id, kind)

