"""Image data: uploads, the interoperable import methods (glance-direct, web-download,
copy-image), downloads, all within the project's quotas. Any failure leaves no partial
data behind and the image where it was before."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update

from gureum.core.errors import BadRequest, Conflict
from gureum.image import errors
from gureum.image.formats import FormatError, FormatInspector
from gureum.image.manager.records import RecordManager
from gureum.image.models import Image
from gureum.image.quota import capped

HASH_BATCH = 4 << 20
IMPORT_FAILED = "os_glance_failed_import"
IMPORTING_TO = "os_glance_importing_to_stores"


class TransferManager(RecordManager):
    def import_methods(self) -> list[str]:
        """What /v2/info/import offers: only what works in this configuration."""
        methods = ["glance-direct"]
        if self.settings.web_download_hosts:
            methods.append("web-download")
        if len(self.stores) > 1:
            methods.append("copy-image")
        return methods

    # ------------------------------------------------------------ state changes
    async def _transition(self, image_id: str, current: str, target: str,
                          **values: Any) -> bool:
        async with self.db.session() as session:
            result = await session.execute(update(Image).where(
                Image.id == image_id, Image.status == current).values(status=target, **values))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _load(self, image_id: str) -> Image:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
        if row is None:
            raise errors.ImageNotFound(image_id=image_id)
        return row

    async def _ready_for_data(self, image_id: str, target: str, quota: str,
                              expected: int | None) -> tuple[Image, int | None]:
        """Move the image from queued to `target` (saving, uploading, importing) if the
        quotas allow another upload of `expected` bytes; answers the bytes still allowed
        under the `quota` resource (None: unlimited)."""
        row = await self._load(image_id)
        if not row.disk_format or not row.container_format:
            raise errors.FormatsNotSet()
        allowed = await self._move_within_quota(row, "queued", target, quota,
                                                image_count_uploading=1,
                                                **{quota: expected or 0})
        return row, allowed

    async def _move_within_quota(self, row: Image, current: str, target: str,
                                 remaining_of: str | None = None, **deltas: int
                                 ) -> int | None:
        """current → target if the owner's quotas allow the deltas, checked and moved in
        one transaction under the owner's quota lock; answers the bytes still allowed
        under `remaining_of` (None: unlimited or not asked)."""
        allowed = None
        async with self.db.session(lock=self.quota.lock(row.owner)) as session:
            await self.quota.check(session, row.owner, **deltas)
            if remaining_of is not None:
                allowed = await self.quota.remaining_bytes(session, row.owner, remaining_of)
            moved = await session.execute(update(Image).where(
                Image.id == row.id, Image.status == current).values(status=target))
        if not moved.rowcount:  # type: ignore[attr-defined]
            now = (await self._load(row.id)).status
            raise errors.InvalidTransition(current=now, target=target)
        return allowed

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record_failure(self, image_id: str, exc: BaseException) -> None:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is not None:
                properties = {k: v for k, v in row.properties.items() if k != IMPORTING_TO}
                row.properties = {**properties, IMPORT_FAILED: str(exc)[:255] or repr(exc)}

    # ------------------------------------------------------------ upload
    async def upload(self, image_id: str, chunks: AsyncIterator[bytes],
                     expected: int | None = None) -> Image:
        """queued → saving → active, hashing and inspecting on the way; on any failure the
        image is queued again and no byte of it is kept."""
        row, allowed = await self._ready_for_data(image_id, "saving", "image_size_total",
                                                  expected)
        return await self._ingest(row, "saving", capped(chunks, allowed, row.owner,
                                                        "image_size_total"))

    async def _ingest(self, row: Image, working: str, chunks: AsyncIterator[bytes]) -> Image:
        """Data into the default store, from `working` to active: sizes, hashes, formats."""
        md5, sha512 = hashlib.md5(usedforsecurity=False), hashlib.sha512()
        inspector = FormatInspector(row.disk_format or "raw")
        store_id = self.settings.default_store

        async def hashed() -> AsyncIterator[bytes]:
            # Hashing a GiB is seconds of CPU: done in threads (hashlib lets go of the GIL),
            # the two digests side by side, on buffers big enough that the hops are cheap.
            async for buffer in batched(chunks, HASH_BATCH):
                inspector.feed(buffer)
                await asyncio.gather(asyncio.to_thread(md5.update, buffer),
                                     asyncio.to_thread(sha512.update, buffer))
                yield buffer

        try:
            size = await self.stores[store_id].write(row.id, hashed())
            inspection = inspector.finish()
        except BaseException as exc:
            await asyncio.shield(self._abandon(row.id, working))
            if isinstance(exc, FormatError):
                raise BadRequest(str(exc)) from exc
            raise
        values = dict(size=size, virtual_size=inspection.virtual_size,
                      checksum=md5.hexdigest(), os_hash_algo="sha512",
                      os_hash_value=sha512.hexdigest(), stores=store_id)
        if not await self._transition(row.id, working, "active", **values):
            await self.stores[store_id].delete(row.id)  # deleted meanwhile
            raise errors.ImageNotFound(image_id=row.id)
        done = await self._load(row.id)
        await self._notify("upload", done)
        return done

    async def _abandon(self, image_id: str, working: str) -> None:
        await self.stores[self.settings.default_store].delete(image_id)
        await self._transition(image_id, working, "queued", size=None)

    # ------------------------------------------------------------ glance-direct
    async def stage(self, image_id: str, chunks: AsyncIterator[bytes],
                    expected: int | None = None) -> None:
        """glance-direct, step one: the bytes go to the staging area (queued → uploading)."""
        row, allowed = await self._ready_for_data(image_id, "uploading", "image_stage_total",
                                                  expected)
        try:
            size = await self.staging.write(image_id, capped(chunks, allowed, row.owner,
                                                             "image_stage_total"))
        except BaseException:
            await asyncio.shield(self._transition(image_id, "uploading", "queued"))
            raise
        await self._transition(image_id, "uploading", "uploading", size=size)

    async def import_image(self, image_id: str, method: dict[str, Any],
                           stores: list[str] | None = None, all_stores: bool = False) -> None:
        """Step two of an import, answered at once (202); the work goes on in the
        background and ends with the image active, or with `os_glance_failed_import` set
        and the image where it was."""
        row = await self._load(image_id)
        name = method["name"]
        if name not in self.import_methods():
            raise BadRequest(f"Import method {name} is not supported here; "
                             "see /v2/info/import.")
        if name == "glance-direct":
            await self._import_staged(row)
        elif name == "web-download":
            await self._import_from_web(row, method.get("uri", ""))
        else:
            await self._copy(row, stores, all_stores)

    async def _import_staged(self, row: Image) -> None:
        if row.status != "uploading" or not self.staging.exists(row.id):
            raise errors.InvalidTransition(current=row.status, target="importing")
        await self._move_within_quota(row, "uploading", "importing",
                                      image_size_total=row.size or 0)
        self._background(self._finish_staged(row))

    async def _finish_staged(self, row: Image) -> None:
        try:
            await self._ingest(row, "importing", self.staging.read(row.id))
        except Exception as exc:
            await self._record_failure(row.id, exc)
        finally:
            await self.staging.delete(row.id)

    # ------------------------------------------------------------ web-download
    def _check_uri(self, uri: str) -> None:
        """Glance's import filtering: only http(s), and only hosts and ports an operator
        listed, so users cannot make the cloud fetch from its own private network."""
        parts = urlsplit(uri)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = -1
        if (parts.scheme not in ("http", "https") or parts.hostname is None
                or parts.hostname not in self.settings.web_download_hosts
                or port not in self.settings.web_download_ports):
            raise BadRequest(f"URI for web-download does not pass filtering: {uri}")

    async def _import_from_web(self, row: Image, uri: str) -> None:
        self._check_uri(uri)
        row, allowed = await self._ready_for_data(row.id, "importing", "image_size_total",
                                                  None)
        self._background(self._finish_web(row, uri, allowed))

    async def _finish_web(self, row: Image, uri: str, allowed: int | None) -> None:
        try:
            # Redirects are not followed: the place they point to was not filtered.
            async with httpx.AsyncClient(timeout=60.0, follow_redirects=False) as client, \
                    client.stream("GET", uri) as response:
                if response.status_code != 200:
                    raise BadRequest(f"{uri} answered {response.status_code}")
                await self._ingest(row, "importing", capped(
                    response.aiter_bytes(), allowed, row.owner, "image_size_total"))
        except Exception as exc:
            await asyncio.shield(self._transition(row.id, "importing", "queued"))
            await self._record_failure(row.id, exc)

    # ------------------------------------------------------------ copy-image
    async def _copy(self, row: Image, stores: list[str] | None, all_stores: bool) -> None:
        if row.status != "active":
            raise Conflict("Image status is not active: only active images can be copied.")
        unknown = [s for s in stores or [] if s not in self.stores]
        if unknown:
            raise BadRequest(f"Unknown store(s): {', '.join(unknown)}")
        have = self.stores_of(row)
        wanted = list(self.stores) if all_stores else list(stores or [])
        targets = [s for s in wanted if s not in have]
        if not wanted:
            raise BadRequest("copy-image needs `stores` or `all_stores`.")
        if not targets:
            raise Conflict(f"Image is already present at store(s) {', '.join(wanted)}.")
        async with self.db.session() as session:
            current = await session.get(Image, row.id)
            if current is None:
                raise errors.ImageNotFound(image_id=row.id)
            if current.properties.get(IMPORTING_TO):
                raise Conflict("Image is already being copied.")
            current.properties = {**{k: v for k, v in current.properties.items()
                                     if k != IMPORT_FAILED}, IMPORTING_TO: ",".join(targets)}
        self._background(self._finish_copy(row, have[0], targets))

    async def _finish_copy(self, row: Image, source: str, targets: list[str]) -> None:
        done: list[str] = []
        failed: list[str] = []
        for target in targets:
            try:
                await self.stores[target].write(row.id, self.stores[source].read(row.id))
                done.append(target)
            except Exception:
                failed.append(target)
        async with self.db.session() as session:
            current = await session.get(Image, row.id)
            if current is None:  # deleted meanwhile: take the copies back
                for target in done:
                    await self.stores[target].delete(row.id)
                return
            properties = {k: v for k, v in current.properties.items() if k != IMPORTING_TO}
            if failed:
                properties[IMPORT_FAILED] = ",".join(failed)
            current.properties = properties
            current.stores = ",".join([*self.stores_of(current), *done])

    # ------------------------------------------------------------ download
    def download(self, row: Image, start: int = 0, end: int | None = None
                 ) -> AsyncIterator[bytes]:
        """From the first store that holds the image."""
        for store_id in self.stores_of(row):
            if self.stores[store_id].exists(row.id):
                return self.stores[store_id].read(row.id, start, end)
        raise errors.ImageHasNoData(image_id=row.id)


async def batched(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The stream regrouped into buffers of about `size` bytes (the last may be smaller)."""
    parts: list[bytes] = []
    held = 0
    async for chunk in chunks:
        parts.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(parts)
            parts, held = [], 0
    if held:
        yield b"".join(parts)
