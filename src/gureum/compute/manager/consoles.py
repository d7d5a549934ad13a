"""Remote consoles: a URL with a one-time token for a running server's console (VNC,
SPICE, serial, RDP, MKS), the host and port its agent's driver serves it on kept against
the token's hash until it expires, for the console proxies (os-console-auth-tokens)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase
from gureum.compute.messages import compute_topic
from gureum.compute.models import ConsoleAuthToken
from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import NotFound

# protocol → the console types it has (nova's)
PROTOCOLS = {"vnc": ("novnc", "xvpvnc"), "spice": ("spice-html5", "spice-direct"),
             "serial": ("serial",), "rdp": ("rdp-html5",), "mks": ("webmks",)}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Consoles(ManagerBase):
    async def remote_console(self, context: RequestContext, server_id: str, protocol: str,
                             kind: str) -> str:
        """The console's URL (its token in it)."""
        if kind not in PROTOCOLS.get(protocol, ()):
            raise errors.InvalidInput(reason=f"Unavailable console type {kind}.")
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
        if not server.host or server.vm_state not in ("active", "rescued", "paused"):
            raise errors.InstanceNotReady(server_id=server_id)
        endpoint: dict[str, Any] = await self.bus.call(
            compute_topic(server.host), "console_endpoint", timeout=30.0,
            server_id=server_id, kind=kind)
        token = secrets.token_urlsafe(24)
        base = self.settings.console_urls[kind]
        async with self.db.session() as session:
            await session.execute(delete(ConsoleAuthToken).where(
                ConsoleAuthToken.expires < utcnow()))
            session.add(ConsoleAuthToken(
                token_hash=token_hash(token), server_id=server_id, console_type=kind,
                host=endpoint["host"], port=endpoint["port"],
                internal_access_path=endpoint.get("path"), access_url_base=base,
                expires=utcnow() + timedelta(seconds=self.settings.console_token_ttl)))
        if kind == "novnc":
            return f"{base}?path=%3Ftoken%3D{token}"
        return f"{base}?token={token}"

    async def console_connection(self, token: str) -> ConsoleAuthToken:
        """What a console proxy connects to for a token, while it is valid."""
        async with self.db.session() as session:
            row = (await session.scalars(select(ConsoleAuthToken).where(
                ConsoleAuthToken.token_hash == token_hash(token),
                ConsoleAuthToken.expires >= utcnow()))).first()
        if row is None:
            raise NotFound("The token is invalid or has expired")
        return row
