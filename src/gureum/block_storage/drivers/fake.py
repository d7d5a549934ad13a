"""The in-memory backend: volumes and snapshots are records with a size, capacity is
counted, and the bytes written into a volume (an image's) are kept, so copies, snapshots
and uploads carry them. It says what it is (the agents report `driver: fake`), converts
no image format (what it is given is what it gives back), and fails on request
(`fail_next`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from gureum.block_storage.drivers.base import Connection, PoolStats, SnapshotSpec, VolumeSpec
from gureum.core.drivers import DriverFault, FaultInjection

GiB = 1 << 30
CHUNK = 1 << 20


class FakeVolumeDriver(FaultInjection):
    name = "fake"
    thin_provisioning = False

    def __init__(self, pools: dict[str, int]) -> None:
        super().__init__()
        self.pools = dict(pools)  # name → capacity GiB
        self.volumes: dict[str, VolumeSpec] = {}
        self.sizes: dict[str, int] = {}
        self.data: dict[str, bytes] = {}  # what was written, from offset 0 (rest zeros)
        self.snapshots: dict[str, SnapshotSpec] = {}
        self.snapshot_data: dict[str, bytes] = {}
        self.connections: dict[str, dict[str, Any]] = {}

    def _volume(self, volume_id: str) -> VolumeSpec:
        if volume_id not in self.volumes:
            raise DriverFault(f"volume {volume_id} is not on this backend")
        return self.volumes[volume_id]

    async def pool_stats(self) -> list[PoolStats]:
        used: Counter[str] = Counter()
        for volume_id, spec in self.volumes.items():
            used[spec.pool] += self.sizes[volume_id]
        return [PoolStats(name, total, max(total - used[name], 0))
                for name, total in sorted(self.pools.items())]

    async def create_volume(self, spec: VolumeSpec) -> None:
        self._enter("create_volume")
        if spec.volume_id in self.volumes:
            return
        data = b""
        if spec.snapshot_id:
            if spec.snapshot_id not in self.snapshots:
                raise DriverFault(f"snapshot {spec.snapshot_id} is not on this backend")
            data = self.snapshot_data.get(spec.snapshot_id, b"")
        if spec.source_volume_id:
            self._volume(spec.source_volume_id)
            data = self.data.get(spec.source_volume_id, b"")
        self.volumes[spec.volume_id] = spec
        self.sizes[spec.volume_id] = spec.size
        if data:
            self.data[spec.volume_id] = data

    async def delete_volume(self, volume_id: str) -> None:
        self._enter("delete_volume")
        self.volumes.pop(volume_id, None)
        self.sizes.pop(volume_id, None)
        self.data.pop(volume_id, None)

    async def extend_volume(self, volume_id: str, new_size: int) -> None:
        self._enter("extend_volume")
        self._volume(volume_id)
        self.sizes[volume_id] = max(self.sizes[volume_id], new_size)

    async def create_snapshot(self, spec: SnapshotSpec) -> None:
        self._enter("create_snapshot")
        self._volume(spec.volume_id)
        if spec.snapshot_id not in self.snapshots:
            self.snapshots[spec.snapshot_id] = spec
            self.snapshot_data[spec.snapshot_id] = self.data.get(spec.volume_id, b"")

    async def delete_snapshot(self, snapshot_id: str) -> None:
        self._enter("delete_snapshot")
        self.snapshots.pop(snapshot_id, None)
        self.snapshot_data.pop(snapshot_id, None)

    async def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        self._enter("revert_to_snapshot")
        if volume_id not in self.volumes or snapshot_id not in self.snapshots:
            raise DriverFault(f"volume {volume_id} or snapshot {snapshot_id} is not here")
        self.data[volume_id] = self.snapshot_data.get(snapshot_id, b"")

    async def initialize_connection(self, volume_id: str, connector: dict[str, Any],
                                    ) -> Connection:
        self._enter("initialize_connection")
        self._volume(volume_id)
        self.connections[volume_id] = connector
        return Connection("fake", {"volume_id": volume_id, "access_mode": "rw",
                                   "discard": False})

    async def snapshot_connection(self, snapshot_id: str) -> Connection:
        self._enter("snapshot_connection")
        if snapshot_id not in self.snapshots:
            raise DriverFault(f"snapshot {snapshot_id} is not on this backend")
        return Connection("fake", {"snapshot_id": snapshot_id, "access_mode": "ro"})

    async def terminate_connection(self, volume_id: str, connector: dict[str, Any]) -> None:
        self._enter("terminate_connection")
        self.connections.pop(volume_id, None)

    async def copy_image_to_volume(self, volume_id: str, disk_format: str,
                                   chunks: AsyncIterator[bytes]) -> None:
        self._enter("copy_image_to_volume")
        limit = self.sizes.get(volume_id, 0) * GiB
        self._volume(volume_id)
        received = bytearray()
        zeros = 0  # trailing zeros not kept (the rest of a volume reads as zeros)
        async for chunk in chunks:
            if len(received) + zeros + len(chunk) > limit:
                raise DriverFault(f"the image does not fit in volume {volume_id}")
            if chunk.count(0) == len(chunk):
                zeros += len(chunk)
                continue
            received += bytes(zeros) + chunk
            zeros = 0
        self.data[volume_id] = bytes(received)

    async def copy_volume_to_image(self, volume_id: str, disk_format: str,
                                   ) -> AsyncIterator[bytes]:
        self._enter("copy_volume_to_image")
        self._volume(volume_id)
        data = self.data.get(volume_id, b"")
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]

    async def read_volume(self, volume_id: str, offset: int, length: int) -> bytes:
        self._enter("read_volume")
        self._volume(volume_id)
        return self.data.get(volume_id, b"")[offset:offset + length]  # the rest is zeros
