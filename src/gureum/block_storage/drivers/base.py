"""The storage backend as a volume agent sees it: a `VolumeDriver` and the frozen
dataclasses it is told. Every method is idempotent and keyed by a resource id: creating a
volume that exists, or deleting one that is gone, changes nothing and succeeds.

The control plane builds these values (never ORM rows); they cross the bus as JSON
(`encode`/`decode`) and the agent hands them to its driver."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class VolumeSpec:
    """A volume to make: empty, or a copy of a snapshot or of another volume (which
    live on the same backend: the scheduler sends copies there)."""

    volume_id: str
    size: int  # GiB
    pool: str
    snapshot_id: str | None = None
    source_volume_id: str | None = None
    image_id: str | None = None  # then its bytes are copied in (by the agent, see below)
    image_format: str | None = None  # the image's disk_format


@dataclass(frozen=True)
class SnapshotSpec:
    snapshot_id: str
    volume_id: str
    size: int


@dataclass(frozen=True)
class PoolStats:
    name: str
    total_capacity_gb: int
    free_capacity_gb: int


@dataclass(frozen=True)
class Connection:
    """What a host needs to reach a volume (cinder's connection_info)."""

    driver_volume_type: str
    data: dict[str, Any]


class VolumeDriver(Protocol):
    name: str
    thin_provisioning: bool  # volumes take only what is written (sparse)

    async def pool_stats(self) -> list[PoolStats]: ...

    async def create_volume(self, spec: VolumeSpec) -> None: ...

    async def delete_volume(self, volume_id: str) -> None: ...

    async def extend_volume(self, volume_id: str, new_size: int) -> None: ...

    async def create_snapshot(self, spec: SnapshotSpec) -> None: ...

    async def delete_snapshot(self, snapshot_id: str) -> None: ...

    async def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None: ...

    async def initialize_connection(self, volume_id: str, connector: dict[str, Any],
                                    ) -> Connection: ...

    async def terminate_connection(self, volume_id: str, connector: dict[str, Any]) -> None: ...

    async def snapshot_connection(self, snapshot_id: str) -> Connection:
        """How the backup service reads a snapshot's bytes (read-only)."""

    async def copy_image_to_volume(self, volume_id: str, disk_format: str,
                                   chunks: AsyncIterator[bytes]) -> None:
        """Write an image (glance's `disk_format`, streamed) into the volume, as raw."""

    def copy_volume_to_image(self, volume_id: str, disk_format: str) -> AsyncIterator[bytes]:
        """The volume's bytes in `disk_format`, streamed (close it to stop early)."""

    async def read_volume(self, volume_id: str, offset: int, length: int) -> bytes:
        """Up to `length` raw bytes from `offset`; fewer at the end of what the volume
        holds, none past it (a migration copies the volume with these reads)."""


def encode(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


def decode(kind: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in data.items() if k in names})
