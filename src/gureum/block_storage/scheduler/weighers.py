"""The scheduler's weighers: the more free capacity, the better (cinder's
CapacityWeigher); ties go to the pool name, so choices are reproducible."""

from __future__ import annotations

from gureum.block_storage.scheduler.filters import PoolState


class CapacityWeigher:
    def weigh(self, pool: PoolState) -> float:
        return float(pool.free_gb)


def ordered(pools: list[PoolState], weigher: CapacityWeigher | None = None,
            ) -> list[PoolState]:
    chosen = weigher or CapacityWeigher()
    return sorted(pools, key=lambda p: (-chosen.weigh(p), p.name))
