"""What every part of the identity manager shares: the database, the bus, change
notifications and the in-memory caches they invalidate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.bus import Bus
from gureum.core.db import Database, IntegrityError
from gureum.core.errors import BadRequest, NotFound
from gureum.identity import errors
from gureum.identity.config import IdentitySettings
from gureum.identity.models import Base, Domain
from gureum.identity.tokens import KeyRepository, SecretBox, TokenFormatter

M = TypeVar("M", bound=Base)
PUBLISHER = "identity"


def new_id() -> str:
    """Keystone's ids: 32 hex characters."""
    return uuid.uuid4().hex


class ManagerBase:
    def __init__(self, db: Database, bus: Bus, settings: IdentitySettings, keys: KeyRepository,
                 credential_keys: KeyRepository) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.formatter = TokenFormatter(keys)
        self.secrets = SecretBox(credential_keys)
        # Bumped on every change seen here or announced on the bus; the token document
        # cache and the revocation list are valid only for the generation they were made in.
        self.generation = 0
        self._revocations: list[dict[str, Any]] | None = None
        self._dummy_hash: str | None = None

    async def start(self) -> None:
        await self.bus.subscribe("identity.*", self.on_notification)

    async def on_notification(self, message: dict[str, Any]) -> None:
        self.invalidate()

    def invalidate(self) -> None:
        self.generation += 1
        self._revocations = None

    async def changed(self, resource: str, operation: str, resource_id: str) -> None:
        """Announce a create/update/delete as keystone does (`identity.user.created`)."""
        self.invalidate()
        await self.bus.notify(PUBLISHER, f"identity.{resource}.{operation}",
                              {"resource_info": resource_id})

    @staticmethod
    async def get(session: AsyncSession, model: type[M], key: str, error: type[NotFound],
                  **kw: str) -> M:
        row = await session.get(model, key)
        if row is None:
            raise error(**kw)
        return row

    @staticmethod
    async def flush_unique(session: AsyncSession, kind: str, name: str) -> None:
        """Flush now so a unique-constraint violation becomes keystone's 409."""
        try:
            await session.flush()
        except IntegrityError as exc:
            raise errors.Duplicate(kind=kind, name=name) from exc

    async def domain_by_name_or_id(self, session: AsyncSession, ref: dict[str, Any]) -> Domain:
        if "id" in ref:
            return await self.get(session, Domain, ref["id"], errors.DomainNotFound,
                                  domain_id=ref["id"])
        if "name" in ref:
            found = (await session.scalars(select(Domain).where(Domain.name == ref["name"]))
                     ).first()
            if found is None:
                raise errors.DomainNotFound(domain_id=ref["name"])
            return found
        raise BadRequest("A domain needs an id or a name.")


def apply(row: Base, changes: dict[str, Any], fields: Sequence[str]) -> None:
    for field in fields:
        if field in changes:
            setattr(row, field, changes[field])
