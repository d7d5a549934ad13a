"""The in-memory backend: volumes and snapshots are records with a size, capacity is
counted, nothing is stored. It says what it is (the agents report `driver: fake`) and
fails on request (`fail_next`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gureum.block_storage.drivers.base import Connection, PoolStats, SnapshotSpec, VolumeSpec
from gureum.core.drivers import DriverFault, FaultInjection


class FakeVolumeDriver(FaultInjection):
    name = "fake"

    def __init__(self, pools: dict[str, int]) -> None:
        super().__init__()
        self.pools = dict(pools)  # name → capacity GiB
        self.volumes: dict[str, VolumeSpec] = {}
        self.sizes: dict[str, int] = {}
        self.snapshots: dict[str, SnapshotSpec] = {}
        self.connections: dict[str, dict[str, Any]] = {}

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
        if spec.snapshot_id and spec.snapshot_id not in self.snapshots:
            raise DriverFault(f"snapshot {spec.snapshot_id} is not on this backend")
        if spec.source_volume_id and spec.source_volume_id not in self.volumes:
            raise DriverFault(f"volume {spec.source_volume_id} is not on this backend")
        self.volumes[spec.volume_id] = spec
        self.sizes[spec.volume_id] = spec.size

    async def delete_volume(self, volume_id: str) -> None:
        self._enter("delete_volume")
        self.volumes.pop(volume_id, None)
        self.sizes.pop(volume_id, None)

    async def extend_volume(self, volume_id: str, new_size: int) -> None:
        self._enter("extend_volume")
        if volume_id not in self.volumes:
            raise DriverFault(f"volume {volume_id} is not on this backend")
        self.sizes[volume_id] = max(self.sizes[volume_id], new_size)

    async def create_snapshot(self, spec: SnapshotSpec) -> None:
        self._enter("create_snapshot")
        if spec.volume_id not in self.volumes:
            raise DriverFault(f"volume {spec.volume_id} is not on this backend")
        self.snapshots.setdefault(spec.snapshot_id, spec)

    async def delete_snapshot(self, snapshot_id: str) -> None:
        self._enter("delete_snapshot")
        self.snapshots.pop(snapshot_id, None)

    async def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        self._enter("revert_to_snapshot")
        if volume_id not in self.volumes or snapshot_id not in self.snapshots:
            raise DriverFault(f"volume {volume_id} or snapshot {snapshot_id} is not here")

    async def initialize_connection(self, volume_id: str, connector: dict[str, Any],
                                    ) -> Connection:
        self._enter("initialize_connection")
        if volume_id not in self.volumes:
            raise DriverFault(f"volume {volume_id} is not on this backend")
        self.connections[volume_id] = connector
        return Connection("fake", {"volume_id": volume_id, "access_mode": "rw",
                                   "discard": False})

    async def terminate_connection(self, volume_id: str, connector: dict[str, Any]) -> None:
        self._enter("terminate_connection")
        self.connections.pop(volume_id, None)
