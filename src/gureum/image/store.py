"""Where image bytes live. A store is small enough that an object-store backend can follow:
write a stream under an id (whole or not at all), read a byte range back, delete."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

CHUNK = 1024 * 1024


class ImageStore(Protocol):
    async def write(self, image_id: str, chunks: AsyncIterator[bytes]) -> int: ...

    def read(self, image_id: str, start: int = 0, end: int | None = None
             ) -> AsyncIterator[bytes]: ...

    async def delete(self, image_id: str) -> None: ...

    def exists(self, image_id: str) -> bool: ...


class FilesystemStore:
    """Files under one folder. A write goes to a private temporary file that is renamed
    into place only when the whole stream has arrived, so a reader never sees half an
    image and an interrupted upload leaves nothing behind."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for stray in root.glob(".*.partial"):  # left by a process that died mid-upload
            stray.unlink(missing_ok=True)

    def path(self, image_id: str) -> Path:
        return self.root / image_id

    def exists(self, image_id: str) -> bool:
        return self.path(image_id).exists()

    async def write(self, image_id: str, chunks: AsyncIterator[bytes]) -> int:
        partial = self.root / f".{image_id}.{uuid.uuid4().hex}.partial"
        size = 0
        handle = await asyncio.to_thread(open, partial, "wb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                size += len(chunk)
            await asyncio.to_thread(handle.flush)
            await asyncio.to_thread(os.fsync, handle.fileno())
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        handle.close()
        partial.replace(self.path(image_id))
        return size

    async def read(self, image_id: str, start: int = 0, end: int | None = None
                   ) -> AsyncIterator[bytes]:
        """Bytes start..end (end inclusive, as in an HTTP Range), a chunk at a time."""
        handle = await asyncio.to_thread(open, self.path(image_id), "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                want = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await asyncio.to_thread(handle.read, want)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, image_id: str) -> None:
        self.path(image_id).unlink(missing_ok=True)
