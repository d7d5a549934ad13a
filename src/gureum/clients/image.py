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
from gureum.clients.service import ServiceClient, ServiceError

CHUNK = 1 << 20


class ImageError(ServiceError):
    service = "image service"


class ImageClient(ServiceClient):
    """`base_url` is the image root (…/image)."""

    service_type = "image"
    error = ImageError

    def __init__(self, base_url: str, identity: IdentityClient,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, identity, transport, httpx.Timeout(60.0, read=600.0))

    async def show_image(self, image_id: str, token: str | None = None) -> dict[str, Any]:
        """GET /v2/images/{id}: the image record; ImageError(404) when it is not there or
        not visible to the token's project."""
        return await self.request("GET", f"/v2/images/{image_id}", token)  # type: ignore[no-any-return]

    @contextlib.asynccontextmanager
    async def download_image(self, image_id: str, token: str | None = None,
                             ) -> AsyncIterator[AsyncIterator[bytes]]:
        """GET /v2/images/{id}/file: its bytes as they arrive (use `async with`)."""
        request = self._http.build_request(
            "GET", f"{await self.root()}/v2/images/{image_id}/file",
            headers=await self.auth(token))
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
        return await self.request("POST", "/v2/images", token, ok=(201,), json=spec)  # type: ignore[no-any-return]

    async def upload_image(self, image_id: str, chunks: AsyncIterable[bytes],
                           token: str | None = None) -> None:
        """PUT /v2/images/{id}/file: queued → saving → active with these bytes."""
        response = await self._http.put(
            f"{await self.root()}/v2/images/{image_id}/file", content=chunks,
            headers=await self.auth(token, **{"Content-Type": "application/octet-stream"}))
        if response.status_code != 204:
            raise ImageError(response.status_code, response.text)

    async def list_images(self, params: dict[str, str], token: str | None = None,
                          ) -> list[dict[str, Any]]:
        """GET /v2/images with these filters (custom properties among them), every page."""
        found: list[dict[str, Any]] = []
        while True:
            page = await self.request("GET", "/v2/images", token,
                                      params={**params, "limit": "1000"})
            found += page["images"]
            if "next" not in page or not page["images"]:
                return found
            params = {**params, "marker": page["images"][-1]["id"]}

    async def delete_image(self, image_id: str, token: str | None = None) -> None:
        await self.request("DELETE", f"/v2/images/{image_id}", token, ok=(204, 404))
