"""The backup service's host side (cinder-backup): a `BackupAgent` keeps backups in its
backup driver and reaches volumes the way a host does, through the connection the
volume's agent gives it (`initialize_connection`: a "local" path for the file backend;
a backend whose bytes no host can reach, the fake, reads as zeros and restores nothing).
It reports its state and every outcome to the control plane over the bus, and never
touches the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from gureum.block_storage.config import BlockStorageSettings
from gureum.block_storage.drivers.backup import FileBackupDriver
from gureum.block_storage.messages import (
    BACKUP_BINARY,
    CONTROL_TOPIC,
    backend_of,
    backup_topic,
    volume_topic,
)
from gureum.core.bus import Bus, Handler

log = logging.getLogger(__name__)
WORKERS = 2
RPC_TIMEOUT = 30.0
GiB = 1 << 30


class BackupAgent:
    def __init__(self, bus: Bus, host: str, settings: BlockStorageSettings,
                 driver: FileBackupDriver) -> None:
        self.bus = bus
        self.host = host
        self.settings = settings
        self.driver = driver
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        handlers: dict[str, Handler] = {"create_backup": self.create_backup,
                                        "restore_backup": self.restore_backup,
                                        "delete_backup": self.delete_backup}
        for _ in range(WORKERS):
            await self.bus.serve(backup_topic(self.host), handlers)
        try:
            await self.report(call=True)
        except Exception as exc:
            log.warning("backup agent %s could not register: %s", self.host, exc)
        self._task = asyncio.get_running_loop().create_task(self._heartbeat())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.report_interval)
            try:
                await self.report()
            except Exception as exc:
                log.warning("backup agent %s could not report: %s", self.host, exc)

    async def report(self, call: bool = False) -> None:
        state = {"binary": BACKUP_BINARY, "host": self.host,
                 "availability_zone": self.settings.default_availability_zone}
        if call:
            await self.bus.call(CONTROL_TOPIC, "report_state", timeout=10.0, **state)
        else:
            await self.bus.cast(CONTROL_TOPIC, "report_state", **state)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await self.bus.call(CONTROL_TOPIC, method, timeout=RPC_TIMEOUT, **kwargs)

    @asynccontextmanager
    async def _attached(self, volume_id: str, volume_host: str) -> AsyncIterator[Path | None]:
        """The volume's path while we use it (None when its backend gives hosts none)."""
        topic = volume_topic(backend_of(volume_host))
        connector = {"host": self.host, "initiator": f"gureum-backup:{self.host}"}
        info = await self.bus.call(topic, "initialize_connection", timeout=RPC_TIMEOUT,
                                   volume_id=volume_id, connector=connector)
        try:
            path = info.get("data", {}).get("device_path")
            yield Path(path) if info.get("driver_volume_type") == "local" and path else None
        finally:
            await self.bus.call(topic, "terminate_connection", timeout=RPC_TIMEOUT,
                                volume_id=volume_id, connector=connector)

    async def _snapshot_path(self, snapshot_id: str, volume_host: str) -> Path | None:
        """The snapshot's bytes, read-only (None when its backend gives hosts no path)."""
        info = await self.bus.call(volume_topic(backend_of(volume_host)),
                                   "snapshot_connection", timeout=RPC_TIMEOUT,
                                   snapshot_id=snapshot_id)
        path = info.get("data", {}).get("device_path")
        return Path(path) if info.get("driver_volume_type") == "local" and path else None

    async def create_backup(self, backup_id: str, volume_id: str, volume_host: str,
                            size: int, parent_id: str | None = None,
                            snapshot_id: str | None = None) -> None:
        try:
            if snapshot_id:
                path = await self._snapshot_path(snapshot_id, volume_host)
                result = await self.driver.create_backup(backup_id, path, size * GiB,
                                                         parent_id)
            else:
                async with self._attached(volume_id, volume_host) as path:
                    result = await self.driver.create_backup(backup_id, path, size * GiB,
                                                             parent_id)
        except Exception as exc:
            log.warning("backup %s of volume %s failed: %s", backup_id, volume_id, exc)
            await self.driver.delete_backup(backup_id)
            await self._call("backup_created", backup_id=backup_id, ok=False,
                             reason=str(exc))
            return
        await self._call("backup_created", backup_id=backup_id, ok=True,
                         object_count=result.object_count)

    async def restore_backup(self, backup_id: str, volume_id: str, volume_host: str) -> None:
        try:
            async with self._attached(volume_id, volume_host) as path:
                await self.driver.restore_backup(backup_id, path)
        except Exception as exc:
            log.warning("restore of backup %s into %s failed: %s", backup_id, volume_id, exc)
            await self._call("backup_restored", backup_id=backup_id, volume_id=volume_id,
                             ok=False, reason=str(exc))
            return
        await self._call("backup_restored", backup_id=backup_id, volume_id=volume_id,
                         ok=True)

    async def delete_backup(self, backup_id: str) -> None:
        try:
            await self.driver.delete_backup(backup_id)
        except Exception as exc:
            await self._call("backup_deleted", backup_id=backup_id, ok=False,
                             reason=str(exc))
            return
        await self._call("backup_deleted", backup_id=backup_id, ok=True)
