"""The fake hypervisor: servers are records in memory, every operation instant (or as slow
as the behaviour asked for), failures on request. It says what it is: hypervisor type
`fake`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from gureum.compute.config import HostSettings
from gureum.compute.drivers.base import HostResources, InstanceInfo, InstanceSpec
from gureum.compute.messages import PAUSED, RUNNING, SHUTDOWN, SUSPENDED
from gureum.core.drivers import DriverFault, FaultInjection

# The server metadata key an admin sets to choose a fake server's behaviour, and its values.
BEHAVIOUR_KEY = "gureum:fake_behaviour"
BEHAVIOURS = ("build_stuck", "spawn_fail", "delete_fail", "delay=SECONDS")


class FakeComputeDriver(FaultInjection):
    name = "fake"

    def __init__(self, host: HostSettings) -> None:
        super().__init__()
        self.capacity = host
        self.servers: dict[str, InstanceInfo] = {}
        self.consoles: dict[str, list[str]] = {}
        self.behaviours: dict[str, str] = {}
        self.volumes: dict[str, dict[str, dict[str, Any]]] = {}  # server → device → info
        self.cached_images: dict[str, int] = {}  # image → bytes fetched ahead of boots

    async def host_resources(self) -> HostResources:
        return HostResources(self.capacity.vcpus, self.capacity.memory_mb,
                             self.capacity.local_gb, "fake", 1000,
                             {"arch": "x86_64", "model": "fake", "vendor": "Gureum",
                              "topology": {"cores": self.capacity.vcpus, "threads": 1,
                                           "sockets": 1}})

    async def spawn(self, spec: InstanceSpec) -> None:
        self._enter("spawn")
        behaviour = str(spec.metadata.get(BEHAVIOUR_KEY, ""))
        self.behaviours[spec.server_id] = behaviour
        if behaviour.startswith("delay="):
            await asyncio.sleep(float(behaviour.removeprefix("delay=")))
        if behaviour == "spawn_fail":
            raise DriverFault("injected failure of spawn (fake behaviour spawn_fail)")
        if behaviour == "build_stuck":
            await asyncio.Event().wait()  # never finishes, as a hung hypervisor
        self.servers[spec.server_id] = InstanceInfo(spec.server_id, RUNNING)
        self._log(spec.server_id, f"Booting {spec.name} ({spec.vcpus} vCPU, "
                  f"{spec.memory_mb} MB) from image {spec.image_id or 'volume'}")
        for vif in spec.vifs:
            addresses = ", ".join(vif.fixed_ips) or "no address"
            self._log(spec.server_id, f"eth: {vif.mac_address} on {vif.network_id}: {addresses}")
        self._log(spec.server_id, f"{spec.name} login:")

    async def destroy(self, server_id: str) -> None:
        self._enter("destroy")
        if self.behaviours.get(server_id) == "delete_fail":
            raise DriverFault("injected failure of destroy (fake behaviour delete_fail)")
        self.behaviours.pop(server_id, None)
        self.servers.pop(server_id, None)
        self.consoles.pop(server_id, None)

    def _set(self, server_id: str, method: str, state: int, line: str) -> None:
        self._enter(method)
        # A server this process has not seen ran before a restart: the fake hypervisor,
        # which keeps nothing on disk, takes it as it is.
        self.servers[server_id] = InstanceInfo(server_id, state)
        self._log(server_id, line)

    async def power_off(self, server_id: str) -> None:
        self._set(server_id, "power_off", SHUTDOWN, "Powering off.")

    async def power_on(self, server_id: str) -> None:
        self._set(server_id, "power_on", RUNNING, "Powering on.")

    async def reboot(self, server_id: str, hard: bool) -> None:
        self._set(server_id, "reboot", RUNNING, "Hard reset." if hard else "Rebooting.")

    async def pause(self, server_id: str) -> None:
        self._set(server_id, "pause", PAUSED, "Paused.")

    async def unpause(self, server_id: str) -> None:
        self._set(server_id, "unpause", RUNNING, "Unpaused.")

    async def suspend(self, server_id: str) -> None:
        self._set(server_id, "suspend", SUSPENDED, "Suspended to disk.")

    async def resume(self, server_id: str) -> None:
        self._set(server_id, "resume", RUNNING, "Resumed.")

    async def attach_volume(self, server_id: str, connection_info: dict[str, Any],
                            device: str) -> None:
        self._enter("attach_volume")
        self.volumes.setdefault(server_id, {})[device] = connection_info
        self._log(server_id, f"Attached {connection_info.get('driver_volume_type', 'a')} "
                  f"volume at {device}")

    async def detach_volume(self, server_id: str, device: str) -> None:
        self._enter("detach_volume")
        self.volumes.get(server_id, {}).pop(device, None)
        self._log(server_id, f"Detached the volume at {device}")

    async def snapshot(self, server_id: str, base: AsyncIterator[bytes],
                       ) -> AsyncIterator[bytes]:
        """A fake disk never changes: it is the image it booted from."""
        self._enter("snapshot")
        self._log(server_id, "Snapshot of the disk taken.")
        async for chunk in base:
            yield chunk

    async def console_endpoint(self, server_id: str, kind: str) -> dict[str, Any]:
        """A port per server as a hypervisor would give (the fake serves nothing on it)."""
        self._enter("console_endpoint")
        if server_id not in self.servers:
            raise DriverFault(f"no server {server_id} on this host")
        port = 5900 + int(server_id.replace("-", "")[:4], 16) % 1000
        return {"host": "127.0.0.1", "port": port + (1000 if kind == "serial" else 0)}

    async def rescue(self, server_id: str) -> None:
        self._set(server_id, "rescue", RUNNING, "Booting the rescue image.")

    async def unrescue(self, server_id: str) -> None:
        self._set(server_id, "unrescue", RUNNING, "Booting from the server's own disk.")

    async def cache_image(self, image_id: str, data: AsyncIterator[bytes]) -> None:
        self._enter("cache_image")
        self.cached_images[image_id] = sum([len(chunk) async for chunk in data])

    async def info(self, server_id: str) -> InstanceInfo | None:
        return self.servers.get(server_id)

    async def console_output(self, server_id: str) -> str:
        # the last line is the login prompt, with no newline after it (as on a serial log)
        return "\n".join(self.consoles.get(server_id, []))

    def _log(self, server_id: str, line: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        self.consoles.setdefault(server_id, []).append(f"[{stamp}] {line}")
