"""What the block storage control plane, its schedulers and volume agents say to each
other over the bus.

The API role serves `CONTROL_TOPIC` (agents report their state and the outcome of work
there), schedulers serve `SCHEDULER_TOPIC`, and each volume agent serves
`volume_topic(host@backend)`. Payloads are ids and JSON; the driver's dataclasses travel
as dicts (drivers.base.encode/decode)."""

from __future__ import annotations

CONTROL_TOPIC = "block_storage.control"
SCHEDULER_TOPIC = "block_storage.scheduler"
SCHEDULER_BINARY = "cinder-scheduler"
VOLUME_BINARY = "cinder-volume"
BACKUP_BINARY = "cinder-backup"


def backup_topic(host: str) -> str:
    """The topic of the backup agent on `host` (which keeps the backups it made)."""
    return f"block_storage.backup.{host}"


def volume_topic(backend: str) -> str:
    """The topic of the agent serving `backend` (host@backend)."""
    return f"block_storage.volume.{backend}"


def backend_of(host: str) -> str:
    """host@backend#pool → host@backend."""
    return host.split("#", 1)[0]


def pool_of(host: str) -> str:
    return host.split("#", 1)[1] if "#" in host else ""
