"""Backups as chunked, checksummed objects under a directory (cinder's chunked backup
drivers, on a filesystem): a volume is read in 4 MiB chunks, holes and all-zero chunks
are recorded as such and not stored, every other chunk is stored compressed under its
backup with its SHA-256. An incremental backup stores only the chunks whose checksum
differs from its parent's and refers to the parent's objects for the rest. A manifest
(`manifest.json`, written last, renamed into place) says which object holds which chunk:
a backup without one is incomplete and is not restored from.

Restores verify every chunk's checksum before writing it. Blocking file work runs in a
thread; the agent calls `create_backup`, `restore_backup` and `delete_backup`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 4 << 20
ZERO_CHUNK = bytes(CHUNK)
ZERO_SHA = hashlib.sha256(ZERO_CHUNK).hexdigest()


class BackupError(Exception):
    """A backup could not be made, found, or trusted."""


@dataclass(frozen=True)
class BackupResult:
    object_count: int  # objects this backup stored itself
    size_bytes: int


def _data_ranges(handle: Any, size: int) -> list[tuple[int, int]]:
    """Where a sparse file has data (SEEK_DATA/SEEK_HOLE), as [start, end) ranges."""
    ranges: list[tuple[int, int]] = []
    fd = handle.fileno()
    offset = 0
    try:
        while offset < size:
            start = os.lseek(fd, offset, os.SEEK_DATA)
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            ranges.append((start, end))
            offset = end
    except OSError:  # ENXIO: no data after offset
        pass
    except AttributeError:  # no SEEK_DATA here: all of it is data
        return [(0, size)]
    return ranges


def _has_data(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in ranges)


class FileBackupDriver:
    name = "file"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _dir(self, backup_id: str) -> Path:
        return self.root / backup_id

    def manifest(self, backup_id: str) -> dict[str, Any]:
        path = self._dir(backup_id) / "manifest.json"
        if not path.exists():
            raise BackupError(f"backup {backup_id} is not complete on this backup service")
        return json.loads(path.read_text())  # type: ignore[no-any-return]

    # ------------------------------------------------------------ backup
    async def create_backup(self, backup_id: str, source: Path | None, size_bytes: int,
                            parent_id: str | None = None) -> BackupResult:
        """Back up `source` (a volume's path; None reads as zeros: a backend whose bytes
        no host can reach), incrementally against `parent_id` if given."""
        return await asyncio.to_thread(self._create, backup_id, source, size_bytes,
                                       parent_id)

    def _create(self, backup_id: str, source: Path | None, size_bytes: int,
                parent_id: str | None) -> BackupResult:
        parent = self.manifest(parent_id)["chunks"] if parent_id else []
        target = self._dir(backup_id)
        if (target / "manifest.json").exists():  # done already (a repeated message)
            return BackupResult(self.manifest(backup_id)["object_count"], size_bytes)
        target.mkdir(parents=True, exist_ok=True)
        chunks: list[dict[str, Any]] = []
        stored = 0
        handle = source.open("rb") if source is not None else None
        try:
            ranges = _data_ranges(handle, size_bytes) if handle is not None else []
            for index, offset in enumerate(range(0, size_bytes, CHUNK)):
                length = min(CHUNK, size_bytes - offset)
                data = b""
                if handle is not None and _has_data(ranges, offset, offset + length):
                    handle.seek(offset)
                    data = handle.read(length)
                if not data or data == ZERO_CHUNK[:len(data)]:
                    chunks.append({"offset": offset, "length": length, "zero": True})
                    continue
                digest = hashlib.sha256(data).hexdigest()
                inherited = parent[index] if index < len(parent) else None
                if inherited and inherited.get("sha256") == digest:
                    chunks.append(inherited)
                    continue
                name = f"{backup_id}/chunk-{index:06d}"
                (self.root / name).write_bytes(zlib.compress(data, 1))
                stored += 1
                chunks.append({"offset": offset, "length": length, "sha256": digest,
                               "object": name})
        finally:
            if handle is not None:
                handle.close()
        manifest = {"backup_id": backup_id, "parent_id": parent_id, "size": size_bytes,
                    "chunk_size": CHUNK, "object_count": stored, "chunks": chunks}
        working = target / "manifest.json.tmp"
        working.write_text(json.dumps(manifest))
        working.replace(target / "manifest.json")
        return BackupResult(stored, size_bytes)

    # ------------------------------------------------------------ restore
    async def restore_backup(self, backup_id: str, target: Path | None) -> None:
        """Write the backup over `target` (a volume's path, at least as large); with no
        target (a fake backend), only check that every object is whole."""
        await asyncio.to_thread(self._restore, backup_id, target)

    def _restore(self, backup_id: str, target: Path | None) -> None:
        manifest = self.manifest(backup_id)
        if target is not None and target.stat().st_size < manifest["size"]:
            raise BackupError("the volume is smaller than the backup")
        handle = target.open("r+b") if target is not None else None
        try:
            if handle is not None:  # all holes first: the zero chunks need no writing
                size = os.fstat(handle.fileno()).st_size
                handle.truncate(0)
                handle.truncate(size)
            for chunk in manifest["chunks"]:
                if chunk.get("zero"):
                    continue
                data = zlib.decompress((self.root / chunk["object"]).read_bytes())
                if hashlib.sha256(data).hexdigest() != chunk["sha256"]:
                    raise BackupError(f"backup {backup_id}: the chunk at offset "
                                      f"{chunk['offset']} does not match its checksum")
                if handle is not None:
                    handle.seek(chunk["offset"])
                    handle.write(data)
            if handle is not None:
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            if handle is not None:
                handle.close()

    # ------------------------------------------------------------ delete
    async def delete_backup(self, backup_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self._dir(backup_id), True)
