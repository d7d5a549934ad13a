"""Interfaces: a port more or less on a running server."""

from __future__ import annotations

from typing import Any

from gureum.compute.agent.builds import Builds, port_record


class Interfaces(Builds):
    HANDLERS: tuple[str, ...] = ("attach_interface", "detach_interface")

    async def attach_interface(self, server_id: str, wanted: dict[str, Any],
                               request_id: str | None = None) -> dict[str, Any]:
        """One more port for the server (made, or the user's bound); the server's ports
        and addresses recorded. Answers the port."""
        request = await self._call("teardown_request", server_id=server_id)
        if request is None:
            raise RuntimeError(f"server {server_id} is gone")
        server = await self._call("rebuild_request", server_id=server_id, host=self.host,
                                  any_task=True)
        [port] = await self._bind_ports({**server, "networks": [wanted]})
        ports = [*request["ports"], port_record(port)]
        await self._interfaces_changed(server_id, ports)
        return {k: v for k, v in port.items() if k not in ("created", "tag")}

    async def detach_interface(self, server_id: str, port_id: str,
                               request_id: str | None = None) -> None:
        request = await self._call("teardown_request", server_id=server_id)
        if request is None:
            return
        gone = [p for p in request["ports"] if p["id"] == port_id]
        await self._release_ports(gone)
        ports = [p for p in request["ports"] if p["id"] != port_id]
        await self._interfaces_changed(server_id, ports)

    async def _interfaces_changed(self, server_id: str, ports: list[dict[str, Any]],
                                  ) -> None:
        details = await self.network.list_ports(device_id=server_id)
        await self._call("ports_bound", server_id=server_id, ports=ports)
        await self._call("instance_update", server_id=server_id,
                         values={"addresses": await self._addresses(details)})

