"""Image members: the projects a shared image is offered to, and their answers."""

from __future__ import annotations

from sqlalchemy import select

from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError
from gureum.image import errors
from gureum.image.manager.records import RecordManager, is_admin
from gureum.image.models import Image, Member


class MemberManager(RecordManager):
    async def add_member(self, image_id: str, member_id: str) -> Member:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is None:
                raise errors.ImageNotFound(image_id=image_id)
            if row.visibility != "shared":
                raise errors.NotShared()
            if await session.get(Member, (image_id, member_id)) is not None:
                raise errors.MemberExists(member_id=member_id, image_id=image_id)
            member = Member(image_id=image_id, member_id=member_id, status="pending")
            session.add(member)
            try:
                await session.flush()
            except IntegrityError as exc:
                raise errors.MemberExists(member_id=member_id, image_id=image_id) from exc
        return member

    async def list_members(self, context: RequestContext, image_id: str) -> list[Member]:
        """The owner sees every member; a member sees only itself."""
        image = await self.show_image(context, image_id)
        async with self.db.session() as session:
            stmt = select(Member).where(Member.image_id == image_id).order_by(Member.member_id)
            if not is_admin(context) and image.owner != context.project_id:
                stmt = stmt.where(Member.member_id == (context.project_id or ""))
            return list(await session.scalars(stmt))

    async def show_member(self, context: RequestContext, image_id: str, member_id: str
                          ) -> Member:
        for member in await self.list_members(context, image_id):
            if member.member_id == member_id:
                return member
        raise errors.MemberNotFound(member_id=member_id, image_id=image_id)

    async def update_member(self, image_id: str, member_id: str, status: str) -> Member:
        async with self.db.session() as session:
            member = await session.get(Member, (image_id, member_id))
            if member is None:
                raise errors.MemberNotFound(member_id=member_id, image_id=image_id)
            member.status = status
        return member

    async def delete_member(self, image_id: str, member_id: str) -> None:
        async with self.db.session() as session:
            member = await session.get(Member, (image_id, member_id))
            if member is None:
                raise errors.MemberNotFound(member_id=member_id, image_id=image_id)
            await session.delete(member)
