"""The scheduler's filters, one small class each (cinder's AvailabilityZoneFilter,
CapacityFilter, CapabilitiesFilter, …): a pool passes or it does not."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PoolState:
    name: str  # host@backend#pool
    backend: str  # host@backend
    availability_zone: str
    total_capacity_gb: int
    allocated_gb: int
    capabilities: dict[str, Any] = field(default_factory=dict)

    @property
    def free_gb(self) -> int:
        return self.total_capacity_gb - self.allocated_gb


@dataclass(frozen=True)
class Request:
    """What is being placed."""

    size: int
    availability_zone: str
    extra_specs: dict[str, str] = field(default_factory=dict)
    multiattach: bool = False
    # a copy (from a snapshot or a volume) must land on its source's backend
    source_backend: str | None = None
    tried_backends: tuple[str, ...] = ()


class Filter(Protocol):
    def passes(self, pool: PoolState, request: Request) -> bool: ...


class AvailabilityZoneFilter:
    def passes(self, pool: PoolState, request: Request) -> bool:
        return pool.availability_zone == request.availability_zone


class CapacityFilter:
    def passes(self, pool: PoolState, request: Request) -> bool:
        return pool.free_gb >= request.size


class RetryFilter:
    """Backends a create already failed on are not tried again."""

    def passes(self, pool: PoolState, request: Request) -> bool:
        return pool.backend not in request.tried_backends


class SourceFilter:
    def passes(self, pool: PoolState, request: Request) -> bool:
        return request.source_backend is None or pool.backend == request.source_backend


class CapabilitiesFilter:
    """Each extra spec (unscoped or `capabilities:`) must match the pool's capability of
    that name, with cinder's operators: `<is> True`, `<in> x`, `<or> a <or> b`, `==`,
    `!=`, `>=`, `<=`, `s==`, or a plain string for equality."""

    def passes(self, pool: PoolState, request: Request) -> bool:
        for key, wanted in request.extra_specs.items():
            scope, _, name = key.partition(":")
            if name and scope != "capabilities":
                continue  # another component's spec (RESKEY:, hw:, …)
            capability = pool.capabilities.get(name or key)
            if capability is None:
                return False
            if not matches(capability, str(wanted)):
                return False
        return not request.multiattach or bool(pool.capabilities.get("multiattach"))


NUMERIC = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le}
STRING = {"s==": operator.eq, "s!=": operator.ne, "s>=": operator.ge, "s<=": operator.le,
          "s>": operator.gt, "s<": operator.lt}


def matches(capability: Any, wanted: str) -> bool:
    words = wanted.split()
    if not words:
        return str(capability) == wanted
    op, rest = words[0], " ".join(words[1:])
    if op == "<is>":
        return str(capability).lower() == rest.lower()
    if op == "<in>":
        return rest in str(capability)
    if op == "<or>":
        return str(capability) in [w for w in words if w != "<or>"]
    if op in NUMERIC:
        try:
            return bool(NUMERIC[op](float(capability), float(rest)))
        except (TypeError, ValueError):
            return False
    if op in STRING:
        return bool(STRING[op](str(capability), rest))
    return str(capability) == wanted


DEFAULT_FILTERS: tuple[Filter, ...] = (AvailabilityZoneFilter(), CapacityFilter(),
                                       CapabilitiesFilter(), RetryFilter(), SourceFilter())
