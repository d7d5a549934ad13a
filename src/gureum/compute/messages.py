"""What crosses the bus for compute: topics, and the names nova gives its services."""

from __future__ import annotations

SCHEDULER_TOPIC = "compute.scheduler"
CONDUCTOR_TOPIC = "compute.conductor"
COMPUTE_BINARY = "nova-compute"
SCHEDULER_BINARY = "nova-scheduler"
CONDUCTOR_BINARY = "nova-conductor"

# nova's power states
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


# published when a host's scheduling attributes change (service disabled, aggregate
# zone or metadata, a new host): schedulers drop the host states they keep
HOSTS_CHANGED = "compute.hosts.changed"
PUBLISHER = "compute"


def compute_topic(host: str) -> str:
    """The queue of one host's compute agent."""
    return f"compute.agent.{host}"
