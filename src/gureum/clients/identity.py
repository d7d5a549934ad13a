"""A client of the Identity v3 API, used by services to check tokens and act as their
service user."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx


class IdentityError(Exception):
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"identity answered {status}: {body[:200]}")


class IdentityClient:
    """`base_url` is the identity root (…/identity); the service user authenticates
    lazily and re-authenticates a minute before its token expires."""

    def __init__(self, base_url: str, *, username: str, password: str,
                 project: str = "service", domain: str = "default",
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = (username, password, project, domain)
        self._http = httpx.AsyncClient(transport=transport, timeout=30.0)
        self._token: str | None = None
        self._token_expires = 0.0

    async def close(self) -> None:
        await self._http.aclose()

    async def issue_token(self, username: str, password: str, project: str | None = None,
                          domain: str = "default") -> tuple[str, dict[str, Any]]:
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "password": password, "domain": {"id": domain}}}}}
        if project:
            auth["scope"] = {"project": {"name": project, "domain": {"id": domain}}}
        response = await self._http.post(f"{self.base_url}/v3/auth/tokens",
                                          json={"auth": auth})
        if response.status_code != 201:
            raise IdentityError(response.status_code, response.text)
        return response.headers["X-Subject-Token"], response.json()

    async def service_token(self) -> str:
        if self._token is None or time.time() > self._token_expires - 60:
            username, password, project, domain = self._credentials
            self._token, body = await self.issue_token(username, password, project, domain)
            expires = body["token"]["expires_at"].replace("Z", "+00:00")
            self._token_expires = datetime.fromisoformat(expires).timestamp()
        return self._token

    async def validate_token(self, token: str) -> dict[str, Any]:
        """GET /v3/auth/tokens: the token document, or IdentityError (404 when invalid)."""
        for attempt in range(2):
            response = await self._http.get(
                f"{self.base_url}/v3/auth/tokens",
                headers={"X-Auth-Token": await self.service_token(), "X-Subject-Token": token})
            if response.status_code == 401 and attempt == 0:
                self._token = None  # our own token was revoked or expired: get a new one
                continue
            if response.status_code != 200:
                raise IdentityError(response.status_code, response.text)
            return response.json()  # type: ignore[no-any-return]
        raise IdentityError(401, "service user cannot authenticate")
