"""What the clients of other services' APIs share: where the service is (in process, or
where the catalog of the service user's token says), the service user's token, and a
JSON request that raises the client's error for an unexpected status."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from gureum.clients.identity import IdentityClient


class ServiceError(Exception):
    """The service answered another status than the call expects."""

    service = "the service"

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{self.service} answered {status}: {body[:300]}")


class ServiceClient:
    """`base_url` is where the service is when this process serves it (an in-process
    transport) or the catalog does not list it."""

    service_type: ClassVar[str]
    error: ClassVar[type[ServiceError]] = ServiceError
    prefix: ClassVar[str] = ""  # before every path (e.g. the API version)
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, base_url: str, identity: IdentityClient,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout | float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self._local = transport is not None
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def root(self) -> str:
        if self._local:
            return self.base_url
        return await self.identity.endpoint(self.service_type) or self.base_url

    async def auth(self, token: str | None, **extra: str) -> dict[str, str]:
        """The token given (the user's), else the service user's."""
        return {"X-Auth-Token": token or await self.identity.service_token(),
                **self.headers, **extra}

    async def request(self, method: str, path: str, token: str | None = None,
                      ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        response = await self._http.request(
            method, f"{await self.root()}{self.prefix}{path}",
            headers=await self.auth(token), **kwargs)
        if response.status_code not in ok:
            raise self.error(response.status_code, response.text)
        return response.json() if response.content else None
