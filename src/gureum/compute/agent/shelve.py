"""Shelving on the host: shelve (power off, the disk kept as an image), offload (the
server leaves: destroyed here, its ports unbound from this host but kept, its volumes
disconnected) and unshelve (powered on here, or, after an offload, spawned here from the
image it was shelved into, on its ports bound to this host, its volumes connected)."""

from __future__ import annotations

import contextlib
from typing import Any

from gureum.clients.network import NetworkError
from gureum.compute.agent.builds import instance_spec
from gureum.compute.agent.images import Images


class Shelving(Images):
    HANDLERS: tuple[str, ...] = ("shelve_server", "offload_server", "unshelve_server")

    async def shelve_server(self, server_id: str, image_id: str | None,
                            base_image_id: str, offload: bool,
                            request_id: str | None = None) -> None:
        event = "compute_shelve_instance"
        await self._event(server_id, event, request_id)
        try:
            await self.driver.power_off(server_id)
            if image_id:
                await self._upload_snapshot(server_id, image_id, base_image_id)
        except Exception as exc:
            if image_id and self.images is not None:
                with contextlib.suppress(Exception):
                    await self.images.delete_image(image_id)
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None}, expected={"task_state": "shelving"})
            await self._event(server_id, event, request_id, "Error",
                              str(exc) or type(exc).__name__)
            return
        shelved = await self._call("server_shelved", server_id=server_id, host=self.host,
                                   image_id=image_id, request_id=request_id)
        if shelved and offload:
            await self.offload_server(server_id, request_id)

    async def offload_server(self, server_id: str, request_id: str | None = None) -> None:
        request = await self._call("offload_request", server_id=server_id, host=self.host)
        if request is None:
            return
        event = "compute_shelve_offload_instance"
        await self._event(server_id, event, request_id)
        try:
            for volume in await self._attached(server_id):
                await self.driver.detach_volume(server_id, volume["device_name"])
            await self.driver.destroy(server_id)
            for port in request["ports"]:  # kept for the server, bound to no host
                with contextlib.suppress(NetworkError):
                    await self.network.update_port(port["id"], {"binding:host_id": ""})
        except Exception as exc:
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": "shelving_offloading"})
            await self._event(server_id, event, request_id, "Error",
                              str(exc) or type(exc).__name__)
            return
        await self._call("server_offloaded", server_id=server_id, host=self.host,
                         request_id=request_id)

    async def unshelve_server(self, server_id: str, request_id: str | None = None) -> None:
        request = await self._call("unshelve_request", server_id=server_id, host=self.host)
        if request is None:
            return
        await self._event(server_id, "compute_unshelve_instance", request_id)
        try:
            addresses = await self._bring_back(request)
        except Exception as exc:
            with contextlib.suppress(Exception):
                if request["offloaded"]:
                    await self.driver.destroy(server_id)
            await self._call("unshelve_failed", server_id=server_id, host=self.host,
                             reason=str(exc) or type(exc).__name__, request_id=request_id)
            return
        if await self._call("server_unshelved", server_id=server_id, host=self.host,
                            addresses=addresses, request_id=request_id):
            image_id = request["shelved_image_id"]
            if image_id and self.images is not None:  # its work is done
                with contextlib.suppress(Exception):
                    await self.images.delete_image(image_id)

    async def _bring_back(self, request: dict[str, Any]) -> dict[str, Any]:
        """The server running here again; its addresses when its ports moved here."""
        server_id = request["id"]
        if not request["offloaded"]:
            await self.driver.power_on(server_id)
            return {}
        binding = {"binding:host_id": self.host,
                   "device_owner": f"compute:{request['availability_zone'] or 'nova'}"}
        ports = [await self.network.update_port(p["id"], binding) for p in request["ports"]]
        image = dict(request["image"])
        if request["shelved_image_id"]:
            image["id"] = request["shelved_image_id"]
        await self.driver.spawn(instance_spec({**request, "image": image}, ports))
        for volume in await self._attached(server_id):
            assert self.volumes is not None
            attachment = await self.volumes.update_attachment(
                volume["attachment_id"], self.connector(volume["device_name"]))
            await self.driver.attach_volume(server_id, attachment["connection_info"],
                                            volume["device_name"])
        return await self._addresses(ports)

    async def resume_shelving(self, server_id: str, task_state: str) -> None:
        """After a restart: an offload or unshelve is done again; a shelve (its
        snapshot's upload died) is given up, the server as it was."""
        if task_state == "shelving_offloading":
            await self.offload_server(server_id)
        elif task_state == "unshelving":
            await self.unshelve_server(server_id)
        else:
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None}, expected={"task_state": "shelving"})

    async def _attached(self, server_id: str) -> list[dict[str, Any]]:
        found = await self._call("teardown_request", server_id=server_id)
        return [v for v in (found or {}).get("volumes", []) if v["status"] == "attached"]
