"""Server tags (2.26): at most 50 per server, each once; changed only while the server
is in a settled vm_state, as nova allows."""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute import errors
from gureum.compute.manager.actions import check_settled
from gureum.compute.manager.base import ManagerBase
from gureum.compute.models import Server, ServerTag
from gureum.core.context import RequestContext
from gureum.core.db import insert_if_absent, utcnow

MAX_TAGS = 50
TAG = re.compile(r"^[^,/]{1,60}$")


class Tags(ManagerBase):
    async def list_tags(self, context: RequestContext, server_id: str) -> list[str]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id)
            return sorted(await session.scalars(select(ServerTag.tag).where(
                ServerTag.server_id == server_id)))

    async def has_tag(self, context: RequestContext, server_id: str, tag: str) -> None:
        if tag not in await self.list_tags(context, server_id):
            raise errors.ServerTagNotFound(server_id=server_id, tag=tag)

    async def replace_tags(self, context: RequestContext, server_id: str,
                           tags: list[str], action: str = "update tags") -> list[str]:
        """All the tags at once (delete all: none, as the action "delete tags")."""
        wanted = sorted(set(tags))
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            row = await self.server_for(session, context, server_id)
            check_settled(row, action, idle=False)
            await session.execute(delete(ServerTag).where(ServerTag.server_id == server_id))
            session.add_all(ServerTag(server_id=server_id, tag=t) for t in wanted)
            await self._touch(session, server_id)
        return wanted

    async def add_tag(self, context: RequestContext, server_id: str, tag: str) -> bool:
        """True when the tag is new (201), False when it was there (204)."""
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            row = await self.server_for(session, context, server_id)
            check_settled(row, "update tag", idle=False)
            if not TAG.match(tag):
                raise errors.InvalidTag(tag=tag, reason=invalid_tag_reason(tag))
            tags = set(await session.scalars(select(ServerTag.tag).where(
                ServerTag.server_id == server_id)))
            if len(tags) >= MAX_TAGS:  # nova counts before it looks for the tag
                raise errors.TooManyTags(limit=MAX_TAGS)
            if tag in tags:
                return False
            await insert_if_absent(session, ServerTag, server_id=server_id, tag=tag)
            await self._touch(session, server_id)
        return True

    async def delete_tag(self, context: RequestContext, server_id: str, tag: str) -> None:
        async with self.db.session(lock=f"compute-tags:{server_id}") as session:
            row = await self.server_for(session, context, server_id)
            check_settled(row, "delete tag", idle=False)
            gone = await session.execute(delete(ServerTag).where(
                ServerTag.server_id == server_id, ServerTag.tag == tag))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise errors.InstanceTagNotFound(server_id=server_id, tag=tag)
            await self._touch(session, server_id)

    @staticmethod
    async def _touch(session: AsyncSession, server_id: str) -> None:
        """changes-since sees tag changes."""
        await session.execute(update(Server).where(Server.id == server_id)
                              .values(updated_at=utcnow()))


def invalid_tag_reason(tag: str) -> str:
    """What jsonschema would say of the tag, as nova quotes it."""
    if not tag:
        return "'' is too short"
    if len(tag) > 60:
        return f"'{tag}' is too long"
    return f"'{tag}' does not match '^[^,/]*$'"
