"""Token checking for every service: an Authenticator turns `X-Auth-Token` into a
RequestContext or raises Unauthorized. Identity checks its own tokens in process; every
other service asks Identity (through `clients.identity`, as keystonemiddleware does) and
caches the answer until the token expires, a revocation event arrives, or the TTL passes."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Protocol

from gureum.clients.identity import IdentityClient, IdentityError
from gureum.core.bus import Bus
from gureum.core.context import RequestContext
from gureum.core.errors import Unauthorized


def access_allowed(rules: tuple[dict[str, Any], ...], service_type: str, method: str,
                   path: str) -> bool:
    """An application credential's access rules, matched as keystonemiddleware matches
    them: the service type and method must be equal; in the path, `*` stands for one
    segment and `**` for any number of them."""
    return any(rule.get("service") == service_type and rule.get("method") == method
               and _path_matches(path.strip("/").split("/"),
                                 rule.get("path", "").strip("/").split("/"))
               for rule in rules)


def _path_matches(path: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_path_matches(path[i:], rest) for i in range(len(path) + 1))
    if not path:
        return False
    return (head == "*" or head == path[0]) and _path_matches(path[1:], rest)


class Authenticator(Protocol):
    async def authenticate(self, token: str, request_id: str) -> RequestContext: ...


def context_from_token(body: dict[str, Any], token: str, request_id: str) -> RequestContext:
    """A keystone token document ({"token": {...}}) → the request context."""
    data = body["token"]
    user = data["user"]
    project = data.get("project") or {}
    domain = data.get("domain") or {}
    app_cred = data.get("application_credential") or {}
    rules = app_cred.get("access_rules")
    return RequestContext(
        request_id=request_id,
        user_id=user["id"],
        user_name=user.get("name"),
        user_domain_id=(user.get("domain") or {}).get("id"),
        project_id=project.get("id"),
        project_name=project.get("name"),
        project_domain_id=(project.get("domain") or {}).get("id"),
        domain_id=domain.get("id"),
        domain_name=domain.get("name"),
        system_scope="all" if (data.get("system") or {}).get("all") else None,
        roles=tuple(role["name"] for role in data.get("roles", ())),
        audit_ids=tuple(data.get("audit_ids", ())),
        token=token,
        app_cred_id=app_cred.get("id"),
        access_rules=tuple(rules) if rules else None,
    )


def _expiry(body: dict[str, Any]) -> float:
    text = body["token"]["expires_at"].replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


class RemoteAuthenticator:
    def __init__(self, identity: IdentityClient, cache_seconds: float = 60.0) -> None:
        self.identity = identity
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def forget(self) -> None:
        """Drop every cached validation."""
        self._cache.clear()

    async def follow(self, bus: Bus) -> None:
        """Forget cached validations whenever Identity announces a change (a revoked
        token, a disabled user, a removed role), so they are honoured at once."""
        async def on_change(message: dict[str, Any]) -> None:
            self.forget()

        await bus.subscribe("identity.*", on_change)

    async def authenticate(self, token: str, request_id: str) -> RequestContext:
        now = time.time()
        cached = self._cache.get(token)
        if cached is None or cached[0] <= now:
            try:
                body = await self.identity.validate_token(token)
            except IdentityError as exc:
                raise Unauthorized() from exc
            keep_until = min(_expiry(body), now + self.cache_seconds)
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[token] = cached = (keep_until, body)
        return context_from_token(cached[1], token, request_id)
