"""Host weighers: the hosts that passed, best first."""

from __future__ import annotations

from gureum.compute.scheduler.filters import HostState, RequestSpec


def ordered(hosts: list[HostState], spec: RequestSpec, spread: bool = True,
            ) -> list[HostState]:
    """Spread: most free RAM first, then most free vCPU (nova's RAMWeigher and
    CPUWeigher with positive multipliers); pack: the reverse. The soft group policies
    come first: hosts of the group's members for soft-affinity, others for
    soft-anti-affinity (nova's ServerGroupSoft*Weighers)."""
    sign = -1 if spread else 1

    def key(host: HostState) -> tuple[float, float, float, str]:
        members = spec.group_hosts.count(host.host)
        soft = (-members if spec.group_policy == "soft-affinity"
                else members if spec.group_policy == "soft-anti-affinity" else 0)
        return (soft, sign * host.free_ram_mb, sign * host.free_vcpus, host.host)

    return sorted(hosts, key=key)
