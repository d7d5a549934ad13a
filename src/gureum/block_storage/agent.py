"""The host side of block storage (cinder-volume): one `VolumeAgent` per backend
(host@backend) drives its driver. Messages carry what to do (ids and the driver's
dataclasses); the agent does it and reports the outcome to the control plane over the
bus. It never touches the database. It reports its pools' capacity and capabilities
periodically, and on start (and every few reports) asks what of its backend was left
half-done, so a lost message or a restart never leaves a volume stuck."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gureum.block_storage.config import BackendSettings, BlockStorageSettings
from gureum.block_storage.drivers.base import SnapshotSpec, VolumeDriver, VolumeSpec, decode
from gureum.block_storage.drivers.fake import FakeVolumeDriver
from gureum.block_storage.drivers.file import FileVolumeDriver
from gureum.block_storage.messages import CONTROL_TOPIC, VOLUME_BINARY, pool_of, volume_topic
from gureum.clients.image import ImageClient
from gureum.core.bus import Bus, Handler

log = logging.getLogger(__name__)
WORKERS = 16  # work on the fake backend is instant; reports wait for their batch
RESYNC_EVERY = 6  # reports
RPC_TIMEOUT = 30.0


def driver_for(backend: BackendSettings, root: Path) -> VolumeDriver:
    """The backend's driver; a file backend keeps its volumes under `root` (or its own
    `path`, relative to the state dir)."""
    if backend.driver == "fake":
        return FakeVolumeDriver(backend.pools)
    if backend.driver == "file":
        return FileVolumeDriver(root, backend.pools)
    raise ValueError(f"volume driver {backend.driver!r} is not available")


class VolumeAgent:
    def __init__(self, bus: Bus, host: str, backend: str, settings: BlockStorageSettings,
                 driver: VolumeDriver | None = None, images: ImageClient | None = None,
                 state_dir: Path = Path("state")) -> None:
        self.bus = bus
        self.images = images  # the Image service, as the cinder service user
        self.host = host
        self.backend = backend
        self.settings = settings
        self.config = settings.backends[backend]
        self.driver = driver or driver_for(
            self.config, state_dir / (self.config.path or f"volumes/{backend}"))
        self.name = f"{host}@{backend}"  # cinder's service host
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ life
    async def start(self) -> None:
        handlers: dict[str, Handler] = {
            "create_volume": self.create_volume, "delete_volume": self.delete_volume,
            "extend_volume": self.extend_volume, "revert_volume": self.revert_volume,
            "create_snapshot": self.create_snapshot, "delete_snapshot": self.delete_snapshot,
            "upload_volume": self.upload_volume,
            "initialize_connection": self.initialize_connection,
            "terminate_connection": self.terminate_connection,
        }
        for _ in range(WORKERS):
            await self.bus.serve(volume_topic(self.name), handlers)
        try:  # registered before start returns, so the scheduler sees the pools at once
            await self.report(call=True)
        except Exception as exc:  # the control plane is not up yet: the heartbeat retries
            log.warning("volume agent %s could not register: %s", self.name, exc)
        self._tasks = [asyncio.get_running_loop().create_task(self._heartbeat())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _heartbeat(self) -> None:
        reports = 0
        await self._resync()
        while True:
            await asyncio.sleep(self.settings.report_interval)
            reports += 1
            try:
                await self.report()
                if reports % RESYNC_EVERY == 0:
                    await self._resync()
            except Exception as exc:
                log.warning("volume agent %s could not report: %s", self.name, exc)

    async def report(self, call: bool = False) -> None:
        pools = [{"name": p.name, "total_capacity_gb": p.total_capacity_gb,
                  "free_capacity_gb": p.free_capacity_gb,
                  "capabilities": self.capabilities(p.name)}
                 for p in await self.driver.pool_stats()]
        state = {"binary": VOLUME_BINARY, "host": self.name,
                 "availability_zone": self.config.availability_zone, "pools": pools}
        if call:
            await self.bus.call(CONTROL_TOPIC, "report_state", timeout=10.0, **state)
        else:
            await self.bus.cast(CONTROL_TOPIC, "report_state", **state)

    def capabilities(self, pool: str) -> dict[str, Any]:
        return {"pool_name": pool, "volume_backend_name": self.settings.backend_name(
                    self.backend),
                "vendor_name": "Gureum", "driver_version": "1.0",
                "storage_protocol": self.driver.name, "reserved_percentage": 0,
                "thin_provisioning_support": self.driver.thin_provisioning,
                "thick_provisioning_support": not self.driver.thin_provisioning,
                "multiattach": self.config.multiattach, "QoS_support": False,
                "backend_state": "up", **self.config.capabilities}

    async def _resync(self) -> None:
        """Finish what the control plane says is under way here."""
        work = await self._call("work_for_backend", backend=self.name)
        for item in work["volumes"]:
            if item["status"] == "creating":
                await self.create_volume(
                    {"volume_id": item["volume_id"], "size": item["size"],
                     "pool": pool_of(item["host"]), "snapshot_id": item["snapshot_id"],
                     "source_volume_id": item["source_volid"],
                     "image_id": item.get("image_id"),
                     "image_format": item.get("image_format")}, item["host"])
            else:
                await self.delete_volume(item["volume_id"], item["host"], [])
        for item in work["snapshots"]:
            if item["status"] == "creating":
                await self.create_snapshot(item["snapshot_id"], item["volume_id"], "",
                                           item["size"])
            else:
                await self.delete_snapshot(item["snapshot_id"], "")

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await self.bus.call(CONTROL_TOPIC, method, timeout=RPC_TIMEOUT, **kwargs)

    async def _attempt(self, work: Callable[[], Awaitable[None]], done: Callable[[], Any],
                       failed: Callable[[str], Any]) -> None:
        try:
            await work()
        except Exception as exc:
            log.warning("volume agent %s: %s", self.name, exc)
            await failed(str(exc))
            return
        await done()

    # ------------------------------------------------------------ volumes
    async def create_volume(self, spec: dict[str, Any], host: str) -> None:
        volume = decode(VolumeSpec, spec)

        async def work() -> None:
            await self.driver.create_volume(volume)
            if volume.image_id:
                try:
                    await self._copy_image(volume)
                except BaseException:  # nothing half-written stays behind
                    await self.driver.delete_volume(volume.volume_id)
                    raise

        await self._attempt(
            work,
            lambda: self._call("volume_created", volume_id=volume.volume_id, host=host),
            lambda why: self._call("volume_create_failed", volume_id=volume.volume_id,
                                   host=host, reason=why))

    def _image_service(self) -> ImageClient:
        if self.images is None:
            raise RuntimeError("this volume agent has no Image service configured")
        return self.images

    async def _copy_image(self, volume: VolumeSpec) -> None:
        images = self._image_service()
        async with images.download_image(volume.image_id or "") as chunks:
            await self.driver.copy_image_to_volume(volume.volume_id,
                                                   volume.image_format or "raw", chunks)

    async def upload_volume(self, volume_id: str, host: str, image_id: str,
                            disk_format: str) -> None:
        """The volume's bytes into a queued image (made by the control plane for the
        user); on failure the image goes, as cinder deletes it."""
        try:
            images = self._image_service()
            await images.upload_image(image_id, self.driver.copy_volume_to_image(
                volume_id, disk_format))
        except Exception as exc:
            log.warning("volume agent %s: upload of %s failed: %s", self.name, volume_id, exc)
            try:
                await self._image_service().delete_image(image_id)
            except Exception as gone:
                log.warning("image %s could not be deleted: %s", image_id, gone)
            await self._call("volume_uploaded", volume_id=volume_id, host=host,
                             image_id=image_id, ok=False)
            return
        await self._call("volume_uploaded", volume_id=volume_id, host=host,
                         image_id=image_id, ok=True)

    async def delete_volume(self, volume_id: str, host: str, snapshot_ids: list[str]) -> None:
        async def work() -> None:
            for snapshot_id in snapshot_ids:
                await self.driver.delete_snapshot(snapshot_id)
            await self.driver.delete_volume(volume_id)

        await self._attempt(
            work, lambda: self._call("volume_deleted", volume_id=volume_id, host=host),
            lambda why: self._call("volume_delete_failed", volume_id=volume_id, host=host,
                                   reason=why))

    async def extend_volume(self, volume_id: str, host: str, new_size: int) -> None:
        await self._attempt(
            lambda: self.driver.extend_volume(volume_id, new_size),
            lambda: self._call("volume_extended", volume_id=volume_id, host=host,
                               new_size=new_size),
            lambda why: self._call("volume_extend_failed", volume_id=volume_id, host=host,
                                   new_size=new_size, reason=why))

    async def revert_volume(self, volume_id: str, host: str, snapshot_id: str) -> None:
        await self._attempt(
            lambda: self.driver.revert_to_snapshot(volume_id, snapshot_id),
            lambda: self._call("volume_reverted", volume_id=volume_id, host=host,
                               snapshot_id=snapshot_id, ok=True),
            lambda why: self._call("volume_reverted", volume_id=volume_id, host=host,
                                   snapshot_id=snapshot_id, ok=False))

    # ------------------------------------------------------------ snapshots
    async def create_snapshot(self, snapshot_id: str, volume_id: str, host: str,
                              size: int) -> None:
        spec = SnapshotSpec(snapshot_id=snapshot_id, volume_id=volume_id, size=size)
        await self._attempt(
            lambda: self.driver.create_snapshot(spec),
            lambda: self._call("snapshot_created", snapshot_id=snapshot_id),
            lambda why: self._call("snapshot_failed", snapshot_id=snapshot_id,
                                   action="create", reason=why))

    async def delete_snapshot(self, snapshot_id: str, host: str) -> None:
        await self._attempt(
            lambda: self.driver.delete_snapshot(snapshot_id),
            lambda: self._call("snapshot_deleted", snapshot_id=snapshot_id),
            lambda why: self._call("snapshot_failed", snapshot_id=snapshot_id,
                                   action="delete", reason=why))

    # ------------------------------------------------------------ connections (calls)
    async def initialize_connection(self, volume_id: str, connector: dict[str, Any],
                                    ) -> dict[str, Any]:
        connection = await self.driver.initialize_connection(volume_id, connector)
        return {"driver_volume_type": connection.driver_volume_type,
                "data": dict(connection.data)}

    async def terminate_connection(self, volume_id: str, connector: dict[str, Any]) -> None:
        await self.driver.terminate_connection(volume_id, connector)
