"""Interfaces (os-interface): a server's ports as nova lists them; attaching one (a new
port on a network, or a port the user has, checked as a create checks its networks) and
detaching it go through the host's agent, which has the Network service make, bind,
unbind or delete the port and records the server's ports and addresses. (The fake
driver has no NICs to plug; a real driver will be told.)"""

from __future__ import annotations

from typing import Any

from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked
from gureum.compute.manager.base import record_action
from gureum.compute.manager.build_requests import BuildRequests
from gureum.compute.messages import compute_topic
from gureum.compute.models import Server
from gureum.core.bus import RemoteError
from gureum.core.context import RequestContext
from gureum.core.errors import NotFound

# nova's states for attaching and detaching interfaces
PLUGGABLE = ("active", "paused", "stopped")


class Interfaces(BuildRequests):
    async def list_interfaces(self, context: RequestContext, server_id: str,
                              ) -> list[dict[str, Any]]:
        assert self.network is not None
        server = await self.show_server(context, server_id)
        tags = {p["id"]: p.get("tag") for p in server.ports}  # what the user tagged them
        return [{**port, "tag": tags.get(port["id"])}
                for port in await self.network.list_ports(device_id=server_id)]

    async def show_interface(self, context: RequestContext, server_id: str, port_id: str,
                             ) -> dict[str, Any]:
        for port in await self.list_interfaces(context, server_id):
            if port["id"] == port_id:
                return port
        raise NotFound(f"Port {port_id} is not attached")

    async def attach_interface(self, context: RequestContext, server_id: str,
                               spec: dict[str, Any]) -> dict[str, Any]:
        server = await self._pluggable(context, server_id, "attach_interface")
        wanted = await self._network_request(context, {
            "uuid": spec.get("net_id"), "port": spec.get("port_id"),
            "fixed_ip": (spec.get("fixed_ips") or [{}])[0].get("ip_address")})
        if spec.get("tag"):  # 2.49
            wanted = {**wanted, "tag": spec["tag"]}
        async with self.db.session() as session:
            await record_action(session, server, "attach_interface", context)
        try:
            port: dict[str, Any] = await self.bus.call(
                compute_topic(server.host or ""), "attach_interface", timeout=60.0,
                server_id=server_id, wanted=wanted, request_id=context.request_id)
        except RemoteError as exc:
            raise errors.InterfaceAttachFailed(server_id=server_id,
                                               reason=exc.message) from exc
        return {**port, "tag": spec.get("tag")}

    async def detach_interface(self, context: RequestContext, server_id: str,
                               port_id: str) -> None:
        server = await self._pluggable(context, server_id, "detach_interface")
        if port_id not in {p["id"] for p in server.ports}:
            raise NotFound(f"Port {port_id} is not attached")
        async with self.db.session() as session:
            await record_action(session, server, "detach_interface", context)
        await self.bus.call(compute_topic(server.host or ""), "detach_interface",
                            timeout=60.0, server_id=server_id, port_id=port_id,
                            request_id=context.request_id)

    async def _pluggable(self, context: RequestContext, server_id: str, action: str,
                         ) -> Server:
        server = await self.show_server(context, server_id)
        check_unlocked(context, server)
        if server.vm_state not in PLUGGABLE or server.task_state is not None \
                or not server.host:
            raise errors.InstanceInvalidState(
                action=action, server_id=server_id,
                attr="task_state" if server.task_state else "vm_state",
                state=server.task_state or server.vm_state)
        return server
