"""Domains, projects, users, groups and group membership."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.db import insert_if_absent, utcnow
from gureum.core.errors import BadRequest, Forbidden
from gureum.core.validation import to_bool
from gureum.identity import errors
from gureum.identity.manager.base import ManagerBase, apply, new_id
from gureum.identity.models import (
    Assignment,
    Domain,
    Group,
    Limit,
    Membership,
    Project,
    RevocationEvent,
    Role,
    User,
)
from gureum.identity.tokens import check_password, hash_password


class DirectoryManager(ManagerBase):
    # ------------------------------------------------------------ domains
    async def create_domain(self, spec: dict[str, Any], domain_id: str | None = None
                            ) -> Domain:
        async with self.db.session() as session:
            domain = Domain(id=domain_id or new_id(), name=spec["name"],
                            description=spec.get("description") or "",
                            enabled=spec.get("enabled", True))
            session.add(domain)
            await self.flush_unique(session, "domain", spec["name"])
        await self.changed("domain", "created", domain.id)
        return domain

    async def list_domains(self, query: Mapping[str, str]) -> list[Domain]:
        stmt = select(Domain).order_by(Domain.name)
        if "name" in query:
            stmt = stmt.where(Domain.name == query["name"])
        if "enabled" in query:
            stmt = stmt.where(Domain.enabled == to_bool(query["enabled"]))
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_domain(self, domain_id: str) -> Domain:
        async with self.db.session() as session:
            return await self.get(session, Domain, domain_id, errors.DomainNotFound,
                                  domain_id=domain_id)

    async def update_domain(self, domain_id: str, changes: dict[str, Any]) -> Domain:
        async with self.db.session() as session:
            domain = await self.get(session, Domain, domain_id, errors.DomainNotFound,
                                    domain_id=domain_id)
            apply(domain, changes, ("name", "description", "enabled"))
            await self.flush_unique(session, "domain", domain.name)
            if changes.get("enabled") is False:
                session.add(RevocationEvent(domain_id=domain_id, issued_before=utcnow()))
        await self.changed("domain", "updated", domain_id)
        return domain

    async def delete_domain(self, domain_id: str) -> None:
        async with self.db.session() as session:
            domain = await self.get(session, Domain, domain_id, errors.DomainNotFound,
                                    domain_id=domain_id)
            if domain.enabled:
                raise errors.DomainNotDisabled()
            projects = list(await session.scalars(
                select(Project.id).where(Project.domain_id == domain_id)))
            users = list(await session.scalars(select(User.id).where(User.domain_id == domain_id)))
            groups = list(await session.scalars(
                select(Group.id).where(Group.domain_id == domain_id)))
            await session.execute(delete(Assignment).where(or_(
                Assignment.target_id.in_([domain_id, *projects]),
                Assignment.actor_id.in_(users + groups))))
            await session.execute(delete(Role).where(Role.domain_id == domain_id))
            await session.execute(delete(Membership).where(or_(
                Membership.user_id.in_(users), Membership.group_id.in_(groups))))
            # children first: projects point at their parents
            while projects:
                leaves = list(await session.scalars(select(Project.id).where(
                    Project.domain_id == domain_id,
                    ~Project.id.in_(select(Project.parent_id).where(
                        Project.parent_id.is_not(None))))))
                await session.execute(delete(Project).where(Project.id.in_(leaves)))
                projects = [p for p in projects if p not in leaves]
            await session.execute(delete(User).where(User.domain_id == domain_id))
            await session.execute(delete(Group).where(Group.domain_id == domain_id))
            await session.delete(domain)
        await self.changed("domain", "deleted", domain_id)

    # ------------------------------------------------------------ projects
    async def create_project(self, spec: dict[str, Any], default_domain: str | None) -> Project:
        async with self.db.session() as session:
            parent_id = spec.get("parent_id")
            domain_id = spec.get("domain_id") or None
            parent = None
            if parent_id:
                parent = await session.get(Project, parent_id)
                if parent is None and await session.get(Domain, parent_id) is not None:
                    domain_id, parent_id = domain_id or parent_id, None  # a top-level project
                elif parent is None:
                    raise errors.ProjectNotFound(project_id=parent_id)
                else:
                    domain_id = domain_id or parent.domain_id
                    if parent.domain_id != domain_id:
                        raise BadRequest("Cannot create a project in a different domain than "
                                         "its parent.")
                    if not parent.enabled and spec.get("enabled", True):
                        raise Forbidden(f"Cannot create an enabled project under the disabled "
                                        f"project {parent.id}.")
            domain_id = domain_id or default_domain or "default"
            await self.get(session, Domain, domain_id, errors.DomainNotFound, domain_id=domain_id)
            project = Project(id=new_id(), name=spec["name"],
                              domain_id=domain_id, parent_id=parent_id,
                              description=spec.get("description") or "",
                              enabled=spec.get("enabled", True),
                              tags=sorted(set(spec.get("tags", []))),
                              extra=_extra(spec, PROJECT_FIELDS))
            session.add(project)
            await self.flush_unique(session, "project", spec["name"])
        await self.changed("project", "created", project.id)
        return project

    async def list_projects(self, query: Mapping[str, str],
                            only: set[str] | None = None) -> list[Project]:
        stmt = select(Project).order_by(Project.name)
        for field in ("domain_id", "name"):
            if field in query:
                stmt = stmt.where(getattr(Project, field) == query[field])
        if "parent_id" in query:
            stmt = stmt.where(or_(Project.parent_id == query["parent_id"],
                                  (Project.parent_id.is_(None))
                                  & (Project.domain_id == query["parent_id"])))
        if "enabled" in query:
            stmt = stmt.where(Project.enabled == to_bool(query["enabled"]))
        if to_bool(query.get("is_domain")):
            return []
        if only is not None:
            stmt = stmt.where(Project.id.in_(only))
        async with self.db.session() as session:
            projects = list(await session.scalars(stmt))
        return [p for p in projects if _tags_match(p.tags, query)]

    async def show_project(self, project_id: str) -> Project:
        async with self.db.session() as session:
            return await self.get(session, Project, project_id, errors.ProjectNotFound,
                                  project_id=project_id)

    async def update_project(self, project_id: str, changes: dict[str, Any]) -> Project:
        if "domain_id" in changes or "parent_id" in changes:
            raise BadRequest("A project's domain_id and parent_id cannot be changed.")
        async with self.db.session() as session:
            project = await self.get(session, Project, project_id, errors.ProjectNotFound,
                                     project_id=project_id)
            await self._check_enablement(session, project, changes.get("enabled"))
            apply(project, changes, ("name", "description", "enabled"))
            if "tags" in changes:
                project.tags = sorted(set(changes["tags"]))
            project.extra = {**project.extra, **_extra(changes, PROJECT_FIELDS)}
            await self.flush_unique(session, "project", project.name)
            if changes.get("enabled") is False:
                session.add(RevocationEvent(project_id=project_id, issued_before=utcnow()))
        await self.changed("project", "updated", project_id)
        return project

    @staticmethod
    async def _check_enablement(session: AsyncSession, project: Project,
                                enabled: bool | None) -> None:
        """Keystone's hierarchy rules: no enabled project below a disabled one."""
        if enabled is False:
            child = (await session.scalars(select(Project.id).where(
                Project.parent_id == project.id, Project.enabled.is_(True)))).first()
            if child is not None:
                raise Forbidden(f"Cannot disable project {project.id}: its subtree contains "
                                "enabled projects.")
        if enabled is True and project.parent_id is not None:
            parent = await session.get(Project, project.parent_id)
            if parent is not None and not parent.enabled:
                raise Forbidden(f"Cannot enable project {project.id}: it has disabled "
                                "parents.")

    async def set_project_tags(self, project_id: str, tags: list[str]) -> Project:
        return await self.update_project(project_id, {"tags": tags})

    async def delete_project(self, project_id: str) -> None:
        async with self.db.session() as session:
            project = await self.get(session, Project, project_id, errors.ProjectNotFound,
                                     project_id=project_id)
            child = (await session.scalars(
                select(Project.id).where(Project.parent_id == project_id))).first()
            if child is not None:
                raise errors.ProjectHasChildren(project_id=project_id)
            await session.execute(delete(Assignment).where(Assignment.target_id == project_id))
            await session.execute(delete(Limit).where(Limit.project_id == project_id))
            session.add(RevocationEvent(project_id=project_id, issued_before=utcnow()))
            await session.delete(project)
        await self.changed("project", "deleted", project_id)

    # ------------------------------------------------------------ users
    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(hash_password, password,
                                       self.settings.password_hash_rounds)

    async def check(self, password: str, hashed: str | None) -> bool:
        """Without a stored hash (an unknown user) a dummy one is checked, so the answer
        takes as long and response times do not reveal which names exist."""
        if hashed is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash(new_id())
            await asyncio.to_thread(check_password, password, self._dummy_hash)
            return False
        return await asyncio.to_thread(check_password, password, hashed)

    async def create_user(self, spec: dict[str, Any], default_domain: str | None,
                          hashed: str | None = None) -> User:
        """`hashed`: the password's hash, made already (the bootstrap's service users
        share one password, and one quarter-second bcrypt does for all)."""
        password = spec.get("password")
        hashed = hashed or (await self.hash(password) if password else None)
        async with self.db.session() as session:
            domain_id = spec.get("domain_id") or default_domain or "default"
            await self.get(session, Domain, domain_id, errors.DomainNotFound, domain_id=domain_id)
            user = User(id=new_id(), name=spec["name"], domain_id=domain_id,
                        enabled=spec.get("enabled", True), password_hash=hashed,
                        default_project_id=spec.get("default_project_id"),
                        description=spec.get("description") or "",
                        options=spec.get("options") or {}, extra=_extra(spec, USER_FIELDS))
            session.add(user)
            await self.flush_unique(session, "user", spec["name"])
        await self.changed("user", "created", user.id)
        return user

    async def list_users(self, query: Mapping[str, str], group_id: str | None = None
                         ) -> list[User]:
        stmt = select(User).order_by(User.name)
        for field in ("domain_id", "name"):
            if field in query:
                stmt = stmt.where(getattr(User, field) == query[field])
        if "enabled" in query:
            stmt = stmt.where(User.enabled == to_bool(query["enabled"]))
        async with self.db.session() as session:
            if group_id is not None:
                await self.get(session, Group, group_id, errors.GroupNotFound, group_id=group_id)
                stmt = stmt.join(Membership, Membership.user_id == User.id).where(
                    Membership.group_id == group_id)
            return list(await session.scalars(stmt))

    async def show_user(self, user_id: str) -> User:
        async with self.db.session() as session:
            return await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)

    async def update_user(self, user_id: str, changes: dict[str, Any],
                          hashed: str | None = None) -> User:
        if "domain_id" in changes:
            raise BadRequest("A user's domain_id cannot be changed.")
        hashed = hashed or (await self.hash(changes["password"]) if changes.get("password")
                            else None)
        async with self.db.session() as session:
            user = await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
            apply(user, changes, ("name", "description", "enabled", "default_project_id"))
            if "options" in changes:
                user.options = {**user.options, **(changes["options"] or {})}
            user.extra = {**user.extra, **_extra(changes, USER_FIELDS)}
            if hashed:
                user.password_hash = hashed
            await self.flush_unique(session, "user", user.name)
            if hashed or changes.get("enabled") is False:
                session.add(RevocationEvent(user_id=user_id, issued_before=utcnow()))
        await self.changed("user", "updated", user_id)
        return user

    async def change_password(self, user_id: str, original: str, password: str) -> None:
        user = await self.show_user(user_id)
        if not await self.check(original, user.password_hash):
            raise errors.CannotChangePassword()
        if original == password:
            raise errors.InvalidPassword(reason="the new password must differ from the old one.")
        await self.update_user(user_id, {"password": password})

    async def delete_user(self, user_id: str) -> None:
        async with self.db.session() as session:
            user = await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
            await session.execute(delete(Assignment).where(Assignment.actor_id == user_id))
            session.add(RevocationEvent(user_id=user_id, issued_before=utcnow()))
            await session.delete(user)
        await self.changed("user", "deleted", user_id)

    # ------------------------------------------------------------ groups
    async def create_group(self, spec: dict[str, Any], default_domain: str | None) -> Group:
        async with self.db.session() as session:
            domain_id = spec.get("domain_id") or default_domain or "default"
            await self.get(session, Domain, domain_id, errors.DomainNotFound, domain_id=domain_id)
            group = Group(id=new_id(), name=spec["name"], domain_id=domain_id,
                          description=spec.get("description") or "")
            session.add(group)
            await self.flush_unique(session, "group", spec["name"])
        await self.changed("group", "created", group.id)
        return group

    async def list_groups(self, query: Mapping[str, str], user_id: str | None = None
                          ) -> list[Group]:
        stmt = select(Group).order_by(Group.name)
        for field in ("domain_id", "name"):
            if field in query:
                stmt = stmt.where(getattr(Group, field) == query[field])
        async with self.db.session() as session:
            if user_id is not None:
                await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
                stmt = stmt.join(Membership, Membership.group_id == Group.id).where(
                    Membership.user_id == user_id)
            return list(await session.scalars(stmt))

    async def show_group(self, group_id: str) -> Group:
        async with self.db.session() as session:
            return await self.get(session, Group, group_id, errors.GroupNotFound,
                                  group_id=group_id)

    async def update_group(self, group_id: str, changes: dict[str, Any]) -> Group:
        if "domain_id" in changes:
            raise BadRequest("A group's domain_id cannot be changed.")
        async with self.db.session() as session:
            group = await self.get(session, Group, group_id, errors.GroupNotFound,
                                   group_id=group_id)
            apply(group, changes, ("name", "description"))
            await self.flush_unique(session, "group", group.name)
        await self.changed("group", "updated", group_id)
        return group

    async def delete_group(self, group_id: str) -> None:
        async with self.db.session() as session:
            group = await self.get(session, Group, group_id, errors.GroupNotFound,
                                   group_id=group_id)
            await session.execute(delete(Assignment).where(Assignment.actor_id == group_id))
            await session.delete(group)
        await self.changed("group", "deleted", group_id)

    async def add_user_to_group(self, group_id: str, user_id: str) -> None:
        async with self.db.session() as session:
            await self.get(session, Group, group_id, errors.GroupNotFound, group_id=group_id)
            await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
            await insert_if_absent(session, Membership, user_id=user_id, group_id=group_id)
        await self.changed("group", "updated", group_id)

    async def check_user_in_group(self, group_id: str, user_id: str) -> None:
        async with self.db.session() as session:
            await self.get(session, Group, group_id, errors.GroupNotFound, group_id=group_id)
            await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
            if await session.get(Membership, (user_id, group_id)) is None:
                raise errors.MembershipNotFound(user_id=user_id, group_id=group_id)

    async def remove_user_from_group(self, group_id: str, user_id: str) -> None:
        async with self.db.session() as session:
            membership = await session.get(Membership, (user_id, group_id))
            if membership is None:
                raise errors.MembershipNotFound(user_id=user_id, group_id=group_id)
            await session.delete(membership)
            session.add(RevocationEvent(user_id=user_id, issued_before=utcnow()))
        await self.changed("group", "updated", group_id)


PROJECT_FIELDS = frozenset({"id", "name", "domain_id", "parent_id", "description", "enabled",
                            "is_domain", "tags", "options"})
USER_FIELDS = frozenset({"id", "name", "domain_id", "password", "enabled", "default_project_id",
                         "description", "options", "federated"})


def _extra(spec: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Keystone keeps attributes it does not know (email, …) and returns them."""
    return {k: v for k, v in spec.items() if k not in known}


def _tags_match(tags: list[str], query: Mapping[str, str]) -> bool:
    def listed(key: str) -> set[str] | None:
        return set(query[key].split(",")) if key in query else None

    have = set(tags)
    every, anyof = listed("tags"), listed("tags-any")
    not_every, not_any = listed("not-tags"), listed("not-tags-any")
    return ((every is None or every <= have) and (anyof is None or bool(anyof & have))
            and (not_every is None or not not_every <= have)
            and (not_any is None or not (not_any & have)))

