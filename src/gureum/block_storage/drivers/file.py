"""Volumes as sparse raw files under a directory (one per pool): real bytes, cheap to
make. Snapshots and clones are sparse copies (`cp --sparse=always --reflink=auto`: a
reflink where the filesystem has them, else only the data extents are copied); extend is
a truncate; images come in through `qemu-img convert` (from qcow2, vmdk, … to raw; raw is
written directly, its zero blocks left as holes) and go out the same way. A host reaches
a volume at its path (`driver_volume_type` "local", `device_path`).

Every write goes to a temporary name first and is renamed into place, so a volume or a
snapshot exists whole or not at all, and each method can be repeated."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from gureum.block_storage.drivers.base import Connection, PoolStats, SnapshotSpec, VolumeSpec

GiB = 1 << 30
CHUNK = 4 << 20
BLOCK = 64 << 10
ZEROS = bytes(BLOCK)
# glance's disk_format → qemu-img's format name; formats not here are refused
QEMU_FORMATS = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi", "vhd": "vpc",
                "vhdx": "vhdx", "iso": "raw", "ami": "raw", "ari": "raw", "aki": "raw",
                "ploop": "parallels"}
RAW = frozenset(name for name, qemu in QEMU_FORMATS.items() if qemu == "raw")


class FileDriverError(Exception):
    """The backend could not do what was asked (the message says why)."""


async def run(*argv: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        reason = err.decode(errors="replace").strip()[:300]
        raise FileDriverError(f"{argv[0]} {argv[1]} failed: {reason}")
    return out.decode()


def _write_sparse(path: Path, offset: int, data: bytes) -> None:
    """Write `data` at `offset`, leaving all-zero blocks (64 KiB) as holes."""
    with path.open("r+b") as handle:
        for start in range(0, len(data), BLOCK):
            block = data[start:start + BLOCK]  # bytes compare as memcmp: fast
            if block != ZEROS[:len(block)]:
                handle.seek(offset + start)
                handle.write(block)


class FileVolumeDriver:
    name = "file"
    thin_provisioning = True

    def __init__(self, root: Path, pools: dict[str, int]) -> None:
        self.root = root
        self.pools = dict(pools)  # name → capacity GiB (provisioned, as sparse files)
        for pool in self.pools:
            (root / pool).mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ where things are
    def _find(self, kind: str, resource_id: str) -> Path | None:
        for pool in self.pools:
            path = self.root / pool / f"{kind}-{resource_id}"
            if path.exists():
                return path
        return None

    def volume_path(self, volume_id: str) -> Path:
        path = self._find("volume", volume_id)
        if path is None:
            raise FileDriverError(f"volume {volume_id} is not on this backend")
        return path

    def _snapshot_path(self, snapshot_id: str) -> Path:
        path = self._find("snapshot", snapshot_id)
        if path is None:
            raise FileDriverError(f"snapshot {snapshot_id} is not on this backend")
        return path

    def _temporary(self, suffix: str = "") -> Path:
        return self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"

    async def _copy(self, source: Path, target: Path, size_gb: int | None = None) -> None:
        """A sparse copy of `source` renamed into place as `target` (grown to size_gb)."""
        working = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        try:
            await run("cp", "--sparse=always", "--reflink=auto", str(source), str(working))
            if size_gb is not None and working.stat().st_size < size_gb * GiB:
                os.truncate(working, size_gb * GiB)
            working.replace(target)
        finally:
            working.unlink(missing_ok=True)

    # ------------------------------------------------------------ capacity
    async def pool_stats(self) -> list[PoolStats]:
        return await asyncio.to_thread(self._pool_stats)

    def _pool_stats(self) -> list[PoolStats]:
        stats = []
        for pool, total in sorted(self.pools.items()):
            used = 0
            with os.scandir(self.root / pool) as entries:
                for entry in entries:
                    if entry.name.startswith(("volume-", "snapshot-")):
                        used += entry.stat().st_size
            stats.append(PoolStats(pool, total, max(total - used // GiB, 0)))
        return stats

    # ------------------------------------------------------------ volumes
    async def create_volume(self, spec: VolumeSpec) -> None:
        if self._find("volume", spec.volume_id) is not None:
            return
        if spec.pool not in self.pools:
            raise FileDriverError(f"pool {spec.pool} is not on this backend")
        target = self.root / spec.pool / f"volume-{spec.volume_id}"
        if spec.snapshot_id:
            await self._copy(self._snapshot_path(spec.snapshot_id), target, spec.size)
        elif spec.source_volume_id:
            await self._copy(self.volume_path(spec.source_volume_id), target, spec.size)
        else:
            working = target.with_name(f".{target.name}")
            with working.open("wb") as handle:
                handle.truncate(spec.size * GiB)
            working.replace(target)

    async def delete_volume(self, volume_id: str) -> None:
        path = self._find("volume", volume_id)
        if path is not None:
            path.unlink(missing_ok=True)

    async def extend_volume(self, volume_id: str, new_size: int) -> None:
        path = self.volume_path(volume_id)
        if path.stat().st_size < new_size * GiB:
            os.truncate(path, new_size * GiB)

    async def create_snapshot(self, spec: SnapshotSpec) -> None:
        if self._find("snapshot", spec.snapshot_id) is not None:
            return
        source = self.volume_path(spec.volume_id)
        await self._copy(source, source.parent / f"snapshot-{spec.snapshot_id}")

    async def delete_snapshot(self, snapshot_id: str) -> None:
        path = self._find("snapshot", snapshot_id)
        if path is not None:
            path.unlink(missing_ok=True)

    async def revert_to_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        volume = self.volume_path(volume_id)
        size = volume.stat().st_size
        await self._copy(self._snapshot_path(snapshot_id), volume, size // GiB)

    # ------------------------------------------------------------ hosts
    async def initialize_connection(self, volume_id: str, connector: dict[str, Any],
                                    ) -> Connection:
        path = self.volume_path(volume_id)
        return Connection("local", {"device_path": str(path), "volume_id": volume_id,
                                    "access_mode": "rw", "discard": True})

    async def snapshot_connection(self, snapshot_id: str) -> Connection:
        return Connection("local", {"device_path": str(self._snapshot_path(snapshot_id)),
                                    "access_mode": "ro"})

    async def terminate_connection(self, volume_id: str, connector: dict[str, Any]) -> None:
        return None

    # ------------------------------------------------------------ images
    async def copy_image_to_volume(self, volume_id: str, disk_format: str,
                                   chunks: AsyncIterator[bytes]) -> None:
        volume = self.volume_path(volume_id)
        qemu_format = QEMU_FORMATS.get(disk_format)
        if qemu_format is None:
            raise FileDriverError(f"images in {disk_format} cannot be written to a volume")
        if disk_format in RAW:
            await self._write_raw(volume, chunks)
            return
        download = self._temporary(f".{qemu_format}")
        try:
            await self._receive(download, chunks)
            await self._check_image(download, qemu_format, volume.stat().st_size)
            await run("qemu-img", "convert", "-n", "-f", qemu_format, "-O", "raw",
                      str(download), str(volume))
        finally:
            download.unlink(missing_ok=True)

    async def _write_raw(self, volume: Path, chunks: AsyncIterator[bytes]) -> None:
        limit = volume.stat().st_size
        offset = 0
        buffer = bytearray()
        async for chunk in chunks:
            buffer += chunk
            if offset + len(buffer) > limit:
                raise FileDriverError("the image is larger than the volume")
            if len(buffer) >= CHUNK:
                await asyncio.to_thread(_write_sparse, volume, offset, bytes(buffer))
                offset += len(buffer)
                buffer.clear()
        if buffer:
            await asyncio.to_thread(_write_sparse, volume, offset, bytes(buffer))

    @staticmethod
    async def _receive(path: Path, chunks: AsyncIterator[bytes]) -> None:
        with path.open("wb") as handle:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)

    @staticmethod
    async def _check_image(path: Path, qemu_format: str, capacity: int) -> None:
        """Refuse what qemu would follow out of the file (backing or data files) and what
        does not fit: the format is glance's, never probed."""
        info = json.loads(await run("qemu-img", "info", "-f", qemu_format, "--output=json",
                                    str(path)))
        if info.get("backing-filename") or info.get("full-backing-filename"):
            raise FileDriverError("images with a backing file are refused")
        if (info.get("format-specific") or {}).get("data", {}).get("data-file"):
            raise FileDriverError("images with an external data file are refused")
        if int(info.get("virtual-size", 0)) > capacity:
            raise FileDriverError("the image's virtual size is larger than the volume")

    async def copy_volume_to_image(self, volume_id: str, disk_format: str,
                                   ) -> AsyncIterator[bytes]:
        volume = self.volume_path(volume_id)
        qemu_format = QEMU_FORMATS.get(disk_format)
        if qemu_format is None:
            raise FileDriverError(f"volumes cannot be uploaded as {disk_format}")
        if qemu_format == "raw":
            async for chunk in _read(volume):
                yield chunk
            return
        converted = self._temporary(f".{qemu_format}")
        try:
            await run("qemu-img", "convert", "-f", "raw", "-O", qemu_format, str(volume),
                      str(converted))
            async for chunk in _read(converted):
                yield chunk
        finally:
            converted.unlink(missing_ok=True)

    async def read_volume(self, volume_id: str, offset: int, length: int) -> bytes:
        return await asyncio.to_thread(_read_at, self.volume_path(volume_id), offset, length)


def _read_at(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(length)


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while True:
            chunk = await asyncio.to_thread(handle.read, CHUNK)
            if not chunk:
                return
            yield chunk

