"""Server groups: affinity and anti-affinity (and their soft forms) that the scheduler
honours for the group's members."""

from __future__ import annotations

from sqlalchemy import func, select

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.compute.manager.quotas import Quotas
from gureum.compute.models import ServerGroup, ServerGroupMember
from gureum.core.context import RequestContext


class Groups(Quotas, ManagerBase):
    async def groups_of(self, server_id: str) -> list[str]:
        """The server groups the server is in (2.71 shows them)."""
        async with self.db.session() as session:
            return list(await session.scalars(select(ServerGroupMember.group_id).where(
                ServerGroupMember.server_id == server_id)))

    async def create_group(self, context: RequestContext, name: str, policy: str,
                           rules: dict[str, int] | None = None) -> ServerGroup:
        project_id = context.project_id or ""
        row = ServerGroup(id=new_id(), project_id=project_id, user_id=context.user_id or "",
                          name=name, policy=policy, rules=rules or {})
        async with self.db.session(lock=quota_lock(project_id)) as session:
            limit = (await self.quota_limits(session, project_id)).get("server_groups", -1)
            used = await session.scalar(select(func.count(ServerGroup.id)).where(
                ServerGroup.project_id == project_id)) or 0
            if 0 <= limit <= used:
                raise errors.QuotaExceeded("Quota exceeded, too many server groups.",
                                           resources="server_groups")
            session.add(row)
        return row

    async def list_groups(self, context: RequestContext, all_projects: bool,
                          ) -> list[tuple[ServerGroup, list[str]]]:
        stmt = select(ServerGroup).order_by(ServerGroup.created_at, ServerGroup.id)
        if not (all_projects and is_admin(context)):
            stmt = stmt.where(ServerGroup.project_id == (context.project_id or ""))
        async with self.db.session() as session:
            rows = list(await session.scalars(stmt))
            members: dict[str, list[str]] = {r.id: [] for r in rows}
            for link in await session.scalars(select(ServerGroupMember).where(
                    ServerGroupMember.group_id.in_(list(members)))):
                members[link.group_id].append(link.server_id)
        return [(r, members[r.id]) for r in rows]

    async def show_group(self, context: RequestContext, group_id: str,
                         ) -> tuple[ServerGroup, list[str]]:
        async with self.db.session() as session:
            row = await session.get(ServerGroup, group_id)
            if row is None or (row.project_id != context.project_id
                               and not is_admin(context)):
                raise errors.ServerGroupNotFound(group_id=group_id)
            members = list(await session.scalars(select(ServerGroupMember.server_id).where(
                ServerGroupMember.group_id == group_id)))
        return row, members

    async def delete_group(self, context: RequestContext, group_id: str) -> None:
        await self.show_group(context, group_id)
        async with self.db.session() as session:
            row = await session.get(ServerGroup, group_id)
            if row is not None:
                await session.delete(row)
