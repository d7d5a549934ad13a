"""The compute driver contract: a handful of idempotent methods keyed by server id,
taking frozen dataclasses (never rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from gureum.core.bus import from_wire, to_wire


@dataclass(frozen=True)
class Vif:
    port_id: str
    mac_address: str
    network_id: str
    fixed_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstanceSpec:
    """What a driver needs to run a server."""

    server_id: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    image_id: str = ""
    image_format: str = "raw"
    user_data: str | None = None
    key_data: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    vifs: tuple[Vif, ...] = ()


@dataclass(frozen=True)
class InstanceInfo:
    """What a driver observes of a server it runs."""

    server_id: str
    power_state: int


@dataclass(frozen=True)
class HostResources:
    vcpus: int
    memory_mb: int
    local_gb: int
    hypervisor_type: str
    hypervisor_version: int
    cpu_info: dict[str, Any] = field(default_factory=dict)


class ComputeDriver(Protocol):
    name: str

    async def host_resources(self) -> HostResources: ...

    async def spawn(self, spec: InstanceSpec) -> None: ...

    async def destroy(self, server_id: str) -> None: ...

    async def power_off(self, server_id: str) -> None: ...

    async def power_on(self, server_id: str) -> None: ...

    async def reboot(self, server_id: str, hard: bool) -> None: ...

    async def pause(self, server_id: str) -> None: ...

    async def unpause(self, server_id: str) -> None: ...

    async def suspend(self, server_id: str) -> None: ...

    async def resume(self, server_id: str) -> None: ...

    async def console_endpoint(self, server_id: str, kind: str) -> dict[str, Any]:
        """{"host", "port", "path"?} a console proxy connects to for the server's console
        of this kind (novnc, spice-html5, serial, ...)."""
        ...

    async def rescue(self, server_id: str) -> None:
        """Boot the server from a rescue image, its own disk attached."""
        ...

    async def unrescue(self, server_id: str) -> None: ...

    async def info(self, server_id: str) -> InstanceInfo | None: ...

    async def console_output(self, server_id: str) -> str: ...

    async def attach_volume(self, server_id: str, connection_info: dict[str, Any],
                            device: str) -> None: ...

    async def detach_volume(self, server_id: str, device: str) -> None: ...

    async def cache_image(self, image_id: str, data: AsyncIterator[bytes]) -> None:
        """Keep the image's bytes on this host ahead of the boots that need them."""
        ...

    def snapshot(self, server_id: str, base: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The server's disk as image bytes; `base` streams the image it booted from."""
        ...


def encode(spec: InstanceSpec) -> dict[str, Any]:
    return from_wire(to_wire(asdict(spec)))  # type: ignore[no-any-return]


def decode(data: dict[str, Any]) -> InstanceSpec:
    vifs = tuple(Vif(v["port_id"], v["mac_address"], v["network_id"],
                     tuple(v.get("fixed_ips") or ())) for v in data.get("vifs") or ())
    return InstanceSpec(**{**data, "vifs": vifs})
