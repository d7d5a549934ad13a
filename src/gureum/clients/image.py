"""A client of the Image v2 API (glance), as block storage uses it: show an image,
stream its bytes out, create an image record and stream bytes into it.

Calls go with the token given (the user's, so glance decides what the user may see and
own) or else with the service user's, from the identity client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import httpx

from gureum.clients.identity import IdentityClient

CHUNK = 1 << 20


class ImageError(Exception):
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"image service answered {status}: {body[:300]}")


class ImageClient:
    """`base_url` is the image root (…/image); `identity` gives the service user's
    token when no token is passed. Without an in-process transport the catalog says
    where Image is (its `base_url` when the catalog does not list it)."""

    def __init__(self, base_url: str, identity: IdentityClient,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self._local = transport is not None
        self._http = httpx.AsyncClient(transport=transport,
                                       timeout=httpx.Timeout(60.0, read=600.0))

    async def close(self) -> None:
        await self._http.aclose()

    async def _root(self) -> str:
        if self._local:
            return self.base_url
        return await self.identity.endpoint("image") or self.base_url

    async def _headers(self, token: str | None, **extra: str) -> dict[str, str]:
        return {"X-Auth-Token": token or await self.identity.service_token(), **extra}

    async def show_image(self, image_id: str, token: str | None = None) -> dict[str, Any]:
        """GET /v2/images/{id}: the image record; ImageError(404) when it is not there or
        not visible to the token's project."""
        response = await self._http.get(f"{await self._root()}/v2/images/{image_id}",
                                        headers=await self._headers(token))
        if response.status_code != 200:
            raise ImageError(response.status_code, response.text)
        return response.json()  # type: ignore[no-any-return]

    @contextlib.asynccontextmanager
    async def download_image(self, image_id: str, token: str | None = None,
                             ) -> AsyncIterator[AsyncIterator[bytes]]:
        """GET /v2/images/{id}/file: its bytes as they arrive (use `async with`)."""
        request = self._http.build_request("GET", f"{await self._root()}/v2/images/{image_id}/file",
                                           headers=await self._headers(token))
        response = await self._http.send(request, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                raise ImageError(response.status_code, response.text)
            yield response.aiter_bytes(CHUNK)
        finally:
            await response.aclose()

    async def create_image(self, spec: dict[str, Any], token: str | None = None,
                           ) -> dict[str, Any]:
        """POST /v2/images: a queued record (owned by the token's project)."""
        response = await self._http.post(f"{await self._root()}/v2/images", json=spec,
                                         headers=await self._headers(token))
        if response.status_code != 201:
            raise ImageError(response.status_code, response.text)
        return response.json()  # type: ignore[no-any-return]

    async def upload_image(self, image_id: str, chunks: AsyncIterable[bytes],
                           token: str | None = None) -> None:
        """PUT /v2/images/{id}/file: queued → saving → active with these bytes."""
        response = await self._http.put(
            f"{await self._root()}/v2/images/{image_id}/file", content=chunks,
            headers=await self._headers(token, **{"Content-Type": "application/octet-stream"}))
        if response.status_code != 204:
            raise ImageError(response.status_code, response.text)

    async def delete_image(self, image_id: str, token: str | None = None) -> None:
        response = await self._http.delete(f"{await self._root()}/v2/images/{image_id}",
                                           headers=await self._headers(token))
        if response.status_code not in (204, 404):
            raise ImageError(response.status_code, response.text)
