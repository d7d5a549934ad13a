"""Volumes: the Block Storage attachment connected with this host's connector, handed
to the driver and completed; and the other way on detach."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from gureum.clients.volume import VolumeError
from gureum.compute.agent.base import AgentBase

log = logging.getLogger(__name__)

VOLUME_TIMEOUT = 120.0  # seconds Block Storage may take to make a volume


class Volumes(AgentBase):
    HANDLERS: tuple[str, ...] = ("attach_volume", "detach_volume", "swap_volume")

    def connector(self, device: str) -> dict[str, Any]:
        """What this host tells Block Storage about itself (os-brick's connector)."""
        return {"host": self.host, "initiator": f"iqn.2026-11.org.gureum:{self.host}",
                "ip": "127.0.0.1", "platform": "x86_64", "os_type": "linux",
                "multipath": False, "mountpoint": device}

    async def attach_volume(self, server_id: str, volume_attachment_id: str,
                            request_id: str | None = None) -> None:
        """Connect the reserved volume (the attachment gets this host's connector and
        answers the connection info), hand it to the driver, complete the attachment
        (in-use); on failure the reservation goes and the volume is available again."""
        found = await self._call("volume_attachment",
                                 volume_attachment_id=volume_attachment_id)
        if found is None or found["status"] != "attaching":
            return
        assert self.volumes is not None
        try:
            attachment = await self.volumes.update_attachment(
                found["attachment_id"], self.connector(found["device_name"]))
            await self.driver.attach_volume(found["server_id"],
                                            attachment["connection_info"],
                                            found["device_name"])
            await self.volumes.complete_attachment(found["attachment_id"])
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.volumes.delete_attachment(found["attachment_id"])
            await self._call("volume_attached", volume_attachment_id=volume_attachment_id,
                             ok=False, reason=str(exc) or type(exc).__name__,
                             request_id=request_id)
            return
        await self._call("volume_attached", volume_attachment_id=volume_attachment_id,
                         ok=True, request_id=request_id)

    async def detach_volume(self, server_id: str, volume_attachment_id: str,
                            request_id: str | None = None) -> None:
        found = await self._call("volume_attachment",
                                 volume_attachment_id=volume_attachment_id)
        if found is None or found["status"] != "detaching":
            return
        await self._release_volumes([{**found, "delete_on_termination": False}])
        await self._call("volume_detached", volume_attachment_id=volume_attachment_id,
                         request_id=request_id)

    async def swap_volume(self, volume_attachment_id: str, new_volume_id: str,
                          new_attachment_id: str, request_id: str | None = None) -> None:
        """Another volume at the same device: the new one connected and completed, the
        old one disconnected and its attachment ended (available again)."""
        found = await self._call("volume_attachment",
                                 volume_attachment_id=volume_attachment_id)
        if found is None or found["status"] != "swapping":
            return
        assert self.volumes is not None
        server_id, device = found["server_id"], found["device_name"]
        try:
            connected = await self.volumes.update_attachment(new_attachment_id,
                                                             self.connector(device))
            await self.driver.detach_volume(server_id, device)
            await self.driver.attach_volume(server_id, connected["connection_info"], device)
            await self.volumes.complete_attachment(new_attachment_id)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.volumes.delete_attachment(new_attachment_id)
            await self._call("volume_swapped", volume_attachment_id=volume_attachment_id,
                             ok=False, reason=str(exc) or type(exc).__name__,
                             request_id=request_id)
            return
        await self.volumes.delete_attachment(found["attachment_id"])
        await self._call("volume_swapped", volume_attachment_id=volume_attachment_id,
                         ok=True, volume_id=new_volume_id, attachment_id=new_attachment_id,
                         request_id=request_id)

    async def resync_volumes(self, work: dict[str, Any]) -> None:
        """Attaches, detaches and swaps left half-done here, taken on again."""
        for volume_attachment_id in work["attach"]:
            await self.attach_volume("", volume_attachment_id)
        for volume_attachment_id in work["detach"]:
            await self.detach_volume("", volume_attachment_id)
        for swap in work["swap"]:
            await self.resume_swap(**swap)

    async def resume_swap(self, volume_attachment_id: str, server_id: str,
                          volume_id: str) -> None:
        """A swap whose message was lost: the new volume is the one Block Storage holds
        for the server that the server does not have; without one, the swap fails (the
        old volume stays)."""
        assert self.volumes is not None
        found = await self._call("teardown_request", server_id=server_id)
        known = {v["volume_id"] for v in (found or {}).get("volumes", [])} | {volume_id}
        new = [a for a in await self.volumes.server_attachments(server_id)
               if a["volume_id"] not in known]
        if len(new) == 1:
            await self.swap_volume(volume_attachment_id, new[0]["volume_id"], new[0]["id"])
            return
        await self._call("volume_swapped", volume_attachment_id=volume_attachment_id,
                         ok=False, reason="The swap was interrupted.")

    async def attach_block_devices(self, server_id: str, volumes: list[dict[str, Any]],
                                   made: dict[str, str]) -> None:
        """A build's volumes (boot from volume): each, once Block Storage has made it,
        reserved for the server, connected here, handed to the driver and completed.
        `made` gathers the attachments (by the server's record of each)."""
        assert self.volumes is not None
        for volume in volumes:
            await self._until_available(volume["volume_id"])
            attachment = await self.volumes.create_attachment(volume["volume_id"], server_id)
            made[volume["id"]] = attachment["id"]
            connected = await self.volumes.update_attachment(
                attachment["id"], self.connector(volume["device_name"]))
            await self.driver.attach_volume(server_id, connected["connection_info"],
                                            volume["device_name"])
            await self.volumes.complete_attachment(attachment["id"])

    async def block_devices_built(self, made: dict[str, str]) -> None:
        for volume_attachment_id, attachment_id in made.items():
            await self._call("block_device_attached", volume_attachment_id=volume_attachment_id,
                             attachment_id=attachment_id)

    async def block_devices_undone(self, made: dict[str, str]) -> None:
        """A failed build lets its volumes go (they are available for the next host)."""
        assert self.volumes is not None
        for attachment_id in made.values():
            with contextlib.suppress(Exception):
                await self.volumes.delete_attachment(attachment_id)

    async def _until_available(self, volume_id: str) -> None:
        assert self.volumes is not None
        deadline = asyncio.get_running_loop().time() + VOLUME_TIMEOUT
        while True:
            status = (await self.volumes.show_volume(volume_id))["status"]
            if status in ("available", "in-use"):  # in-use: a multiattach volume
                return
            if status == "error" or asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Volume {volume_id} did not finish being created "
                                   f"(status {status})")
            await asyncio.sleep(0.1)

    async def _release_volumes(self, volumes: list[dict[str, Any]]) -> None:
        """Disconnect each volume and end its attachment (the volume is available again,
        or deleted when it was to go with the server)."""
        for volume in volumes:
            assert self.volumes is not None
            await self.driver.detach_volume(volume["server_id"], volume["device_name"])
            if volume["attachment_id"]:  # a build's volume may never have been attached
                await self.volumes.delete_attachment(volume["attachment_id"])
            if not volume["delete_on_termination"]:
                continue
            try:  # as nova: a volume that cannot go (it has snapshots) stays, the server goes
                await self.volumes.delete_volume(volume["volume_id"])
            except VolumeError as exc:
                log.warning("volume %s of server %s was not deleted: %s", volume["volume_id"],
                            volume["server_id"], exc.message)

