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
        self._service_ids: dict[str, str] = {}
        self._catalog: list[dict[str, Any]] = []

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
            self._catalog = body["token"].get("catalog") or []
            expires = body["token"]["expires_at"].replace("Z", "+00:00")
            self._token_expires = datetime.fromisoformat(expires).timestamp()
        return self._token

    async def endpoint(self, service_type: str, interface: str = "public") -> str | None:
        """Where the catalog of the service user's token says a service is (as
        keystoneauth finds endpoints), or None when it does not list it."""
        await self.service_token()
        for entry in self._catalog:
            if entry.get("type") == service_type:
                for endpoint in entry.get("endpoints", []):
                    if endpoint.get("interface") == interface:
                        return str(endpoint["url"]).rstrip("/")
        return None

    async def validate_token(self, token: str) -> dict[str, Any]:
        """GET /v3/auth/tokens: the token document, or IdentityError (404 when invalid)."""
        return await self._get("/v3/auth/tokens", headers={"X-Subject-Token": token})

    async def project_limits(self, service_type: str, project_id: str) -> dict[str, int]:
        """The project's limits on a service's resources (unified limits, flat model): its
        own where set, else the registered defaults. Absent resources are unlimited."""
        if service_type not in self._service_ids:
            services = (await self._get("/v3/services", params={"type": service_type}))
            if not services["services"]:
                raise IdentityError(404, f"no {service_type} service in the catalog")
            self._service_ids[service_type] = services["services"][0]["id"]
        service_id = self._service_ids[service_type]
        registered = await self._get("/v3/registered_limits",
                                     params={"service_id": service_id})
        own = await self._get("/v3/limits", params={"service_id": service_id,
                                                    "project_id": project_id})
        limits = {r["resource_name"]: r["default_limit"]
                  for r in registered["registered_limits"]}
        limits.update({r["resource_name"]: r["resource_limit"] for r in own["limits"]})
        return limits

    async def _get(self, path: str, params: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> dict[str, Any]:
        """A GET as the service user, who authenticates again if its token was revoked."""
        for attempt in range(2):
            response = await self._http.get(
                f"{self.base_url}{path}", params=params,
                headers={**(headers or {}), "X-Auth-Token": await self.service_token()})
            if response.status_code == 401 and attempt == 0:
                self._token = None  # our own token was revoked or expired: get a new one
                continue
            if response.status_code != 200:
                raise IdentityError(response.status_code, response.text)
            return response.json()  # type: ignore[no-any-return]
        raise IdentityError(401, "service user cannot authenticate")
