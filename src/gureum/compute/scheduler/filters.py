"""Host filters (nova's of the same names): each says whether a host can take the server.
One small class each; the scheduler runs them in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# extra specs with this scope are matched against the host's aggregates' metadata
AGGREGATE_SCOPE = "aggregate_instance_extra_specs:"
# the image properties ImagePropertiesFilter matches
IMAGE_KEYS = ("hypervisor_type", "architecture", "hw_architecture")


@dataclass(frozen=True)
class HostState:
    node_id: int
    host: str
    zone: str
    hypervisor_type: str
    arch: str
    free_vcpus: float
    free_ram_mb: float
    free_disk_gb: float
    aggregate_metadata: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestSpec:
    server_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    zone: str | None = None
    forced_host: str | None = None
    requested_host: str | None = None
    image_properties: dict[str, Any] = field(default_factory=dict)
    extra_specs: dict[str, str] = field(default_factory=dict)
    ignore_hosts: frozenset[str] = frozenset()
    same_host: frozenset[str] = frozenset()  # hosts of the servers it must share one with
    different_host: frozenset[str] = frozenset()
    group_policy: str | None = None
    group_hosts: tuple[str, ...] = ()  # the hosts of the group's other members
    max_server_per_host: int = 1


class Filter(Protocol):
    def applies(self, spec: RequestSpec) -> bool:
        """Whether the request asks anything of this filter (most ask nothing of most:
        with 1,000 hosts, skipping them is most of a decision's time)."""
        ...

    def passes(self, host: HostState, spec: RequestSpec) -> bool: ...


class RetryFilter:
    """Not a host the build already failed on."""

    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.ignore_hosts)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.ignore_hosts


class ForcedHostFilter:
    """An admin's `zone:host` decides alone."""

    def applies(self, spec: RequestSpec) -> bool:
        return spec.forced_host is not None

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.forced_host is None or host.host == spec.forced_host


class RequestedDestinationFilter:
    """2.74's host: the only candidate, which every other filter still checks."""

    def applies(self, spec: RequestSpec) -> bool:
        return spec.requested_host is not None

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.requested_host is None or host.host == spec.requested_host


class AvailabilityZoneFilter:
    def applies(self, spec: RequestSpec) -> bool:
        return spec.zone is not None

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return spec.zone is None or host.zone == spec.zone


class ComputeFilter:
    """Enough vCPU, RAM and disk left, after the allocation ratios."""

    def applies(self, spec: RequestSpec) -> bool:
        return True

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return (host.free_vcpus >= spec.vcpus and host.free_ram_mb >= spec.memory_mb
                and host.free_disk_gb >= spec.disk_gb)


class ImagePropertiesFilter:
    """The image's hypervisor_type and architecture, when it names them."""

    def applies(self, spec: RequestSpec) -> bool:
        return any(spec.image_properties.get(k) for k in IMAGE_KEYS)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        wanted_type = spec.image_properties.get("hypervisor_type")
        arch = spec.image_properties.get("architecture") or spec.image_properties.get(
            "hw_architecture")
        return ((not wanted_type or wanted_type == host.hypervisor_type)
                and (not arch or arch == host.arch))


class AggregateInstanceExtraSpecsFilter:
    """Flavor extra specs (scoped `aggregate_instance_extra_specs:`, or unscoped) must be
    in the metadata of one of the host's aggregates."""

    def applies(self, spec: RequestSpec) -> bool:
        return any(k.startswith(AGGREGATE_SCOPE) or ":" not in k for k in spec.extra_specs)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        for key, value in spec.extra_specs.items():
            if key.startswith(AGGREGATE_SCOPE):
                key = key.removeprefix(AGGREGATE_SCOPE)
            elif ":" in key:
                continue  # other scopes are other filters' (hw:, quota:, ...)
            if str(value) not in host.aggregate_metadata.get(key, set()):
                return False
        return True


class SameHostFilter:
    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.same_host)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return not spec.same_host or host.host in spec.same_host


class DifferentHostFilter:
    def applies(self, spec: RequestSpec) -> bool:
        return bool(spec.different_host)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.host not in spec.different_host


class ServerGroupAffinityFilter:
    def applies(self, spec: RequestSpec) -> bool:
        return spec.group_policy == "affinity" and bool(spec.group_hosts)

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return True
        return host.host in spec.group_hosts


class ServerGroupAntiAffinityFilter:
    def applies(self, spec: RequestSpec) -> bool:
        return spec.group_policy == "anti-affinity"

    def passes(self, host: HostState, spec: RequestSpec) -> bool:
        if spec.group_policy != "anti-affinity":
            return True
        return spec.group_hosts.count(host.host) < spec.max_server_per_host


DEFAULT_FILTERS: tuple[Filter, ...] = (
    RetryFilter(), ForcedHostFilter(), RequestedDestinationFilter(), AvailabilityZoneFilter(),
    ComputeFilter(), ImagePropertiesFilter(), AggregateInstanceExtraSpecsFilter(),
    SameHostFilter(),
    DifferentHostFilter(), ServerGroupAffinityFilter(), ServerGroupAntiAffinityFilter())
