"""Server tags (2.26): at most 50 per server, each once."""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase
from gureum.compute.models import Server, ServerTag
from gureum.core.context import RequestContext
from gureum.core.db import insert_if_absent, utcnow
from gureum.core.errors import NotFound

MAX_TAGS = 50
TAG = re.compile(r"^[^,/]{1,60}$")


class Tags(ManagerBase):
    async def list_tags(self, context: RequestContext, server_id: str) -> list[str]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id)
            return sorted(await session.scalars(select(ServerTag.tag).where(
                ServerTag.server_id == server_id)))

    async def replace_tags(self, context: RequestContext, server_id: str,
                           tags: list[str]) -> list[str]:
        wanted = sorted(set(tags))
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            await self.server_for(session, context, server_id)
            await session.execute(delete(ServerTag).where(ServerTag.server_id == server_id))
            session.add_all(ServerTag(server_id=server_id, tag=t) for t in wanted)
            await self._touch(session, server_id)
        return wanted

    async def add_tag(self, context: RequestContext, server_id: str, tag: str) -> bool:
        """True when the tag is new (201), False when it was there (204)."""
        if not TAG.match(tag):
            raise errors.InvalidInput(reason=f"Tag '{tag}' is invalid.")
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            await self.server_for(session, context, server_id)
            tags = set(await session.scalars(select(ServerTag.tag).where(
                ServerTag.server_id == server_id)))
            if tag in tags:
                return False
            if len(tags) >= MAX_TAGS:
                raise errors.InvalidInput(reason=f"The number of tags exceeded the per-server "
                                          f"limit {MAX_TAGS}")
            await insert_if_absent(session, ServerTag, server_id=server_id, tag=tag)
            await self._touch(session, server_id)
        return True

    async def delete_tag(self, context: RequestContext, server_id: str, tag: str) -> None:
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            await self.server_for(session, context, server_id)
            gone = await session.execute(delete(ServerTag).where(
                ServerTag.server_id == server_id, ServerTag.tag == tag))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"Tag {tag} could not be found.")
            await self._touch(session, server_id)

    @staticmethod
    async def _touch(session: AsyncSession, server_id: str) -> None:
        """changes-since sees tag changes."""
        await session.execute(update(Server).where(Server.id == server_id)
                              .values(updated_at=utcnow()))
