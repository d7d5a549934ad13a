"""Roles, implied roles, and role assignments to users and groups on projects, domains and
the system; the effective roles a token carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.db import insert_if_absent, utcnow
from gureum.core.errors import BadRequest, Forbidden
from gureum.core.validation import to_bool
from gureum.identity import errors
from gureum.identity.manager.base import ManagerBase, apply, new_id
from gureum.identity.models import (
    NULL_DOMAIN,
    Assignment,
    Domain,
    Group,
    ImpliedRole,
    Membership,
    Project,
    RevocationEvent,
    Role,
    User,
)

PROHIBITED_IMPLIED = frozenset({"admin"})  # keystone's default: nothing implies admin
SYSTEM = "system"  # the target_id of a system assignment (keystone's system "all")
ACTORS = {"user": User, "group": Group}
TARGETS = {"project": Project, "domain": Domain}
ACTOR_ERRORS = {"user": errors.UserNotFound, "group": errors.GroupNotFound}
TARGET_ERRORS = {"project": errors.ProjectNotFound, "domain": errors.DomainNotFound}


def assignment_type(actor: str, target: str) -> str:
    return f"{actor.capitalize()}{target.capitalize()}"  # UserProject, GroupSystem, …


@dataclass(frozen=True)
class Grant:
    """One row of /v3/role_assignments."""

    role_id: str
    actor: str  # "user" | "group"
    actor_id: str
    target: str  # "project" | "domain" | "system"
    target_id: str
    inherited: bool = False
    via_group: str | None = None  # set on effective rows that came through a group


class AssignmentManager(ManagerBase):
    # ------------------------------------------------------------ roles
    async def create_role(self, spec: dict[str, Any]) -> Role:
        async with self.db.session() as session:
            domain_id = spec.get("domain_id") or NULL_DOMAIN
            if domain_id != NULL_DOMAIN:
                await self.get(session, Domain, domain_id, errors.DomainNotFound,
                               domain_id=domain_id)
            role = Role(id=new_id(), name=spec["name"], domain_id=domain_id,
                        description=spec.get("description") or "",
                        options=spec.get("options") or {})
            session.add(role)
            await self.flush_unique(session, "role", spec["name"])
        await self.changed("role", "created", role.id)
        return role

    async def list_roles(self, query: Mapping[str, str]) -> list[Role]:
        stmt = select(Role).order_by(Role.name).where(
            Role.domain_id == (query.get("domain_id") or NULL_DOMAIN))
        if "name" in query:
            stmt = stmt.where(Role.name == query["name"])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_role(self, role_id: str) -> Role:
        async with self.db.session() as session:
            return await self.get(session, Role, role_id, errors.RoleNotFound, role_id=role_id)

    async def update_role(self, role_id: str, changes: dict[str, Any]) -> Role:
        if "domain_id" in changes:
            raise BadRequest("A role's domain_id cannot be changed.")
        async with self.db.session() as session:
            role = await self.get(session, Role, role_id, errors.RoleNotFound, role_id=role_id)
            apply(role, changes, ("name", "description", "options"))
            await self.flush_unique(session, "role", role.name)
        await self.changed("role", "updated", role_id)
        return role

    async def delete_role(self, role_id: str) -> None:
        async with self.db.session() as session:
            role = await self.get(session, Role, role_id, errors.RoleNotFound, role_id=role_id)
            await session.execute(delete(Assignment).where(Assignment.role_id == role_id))
            await session.execute(delete(ImpliedRole).where(or_(
                ImpliedRole.prior_role_id == role_id, ImpliedRole.implied_role_id == role_id)))
            await session.delete(role)
        await self.changed("role", "deleted", role_id)

    # ------------------------------------------------------------ implied roles
    async def create_implied_role(self, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        async with self.db.session() as session:
            prior = await self.get(session, Role, prior_id, errors.RoleNotFound, role_id=prior_id)
            implied = await self.get(session, Role, implied_id, errors.RoleNotFound,
                                     role_id=implied_id)
            if implied.domain_id != NULL_DOMAIN:
                raise Forbidden("A domain-specific role cannot be implied.")
            if implied.name in PROHIBITED_IMPLIED:
                raise Forbidden(f"{implied.name} role cannot be an implied role.")
            if prior_id in await self._implied_closure(session, {implied_id}):
                raise Forbidden(f"Role {prior_id} implying {implied_id} would make a "
                                       "loop.")
            await insert_if_absent(session, ImpliedRole, prior_role_id=prior_id,
                                   implied_role_id=implied_id)
        await self.changed("implied_role", "created", prior_id)
        return prior, implied

    async def show_implied_role(self, prior_id: str, implied_id: str) -> tuple[Role, Role]:
        async with self.db.session() as session:
            prior = await self.get(session, Role, prior_id, errors.RoleNotFound, role_id=prior_id)
            implied = await self.get(session, Role, implied_id, errors.RoleNotFound,
                                     role_id=implied_id)
            if await session.get(ImpliedRole, (prior_id, implied_id)) is None:
                raise errors.ImpliedRoleNotFound(prior_role_id=prior_id,
                                                 implied_role_id=implied_id)
            return prior, implied

    async def delete_implied_role(self, prior_id: str, implied_id: str) -> None:
        async with self.db.session() as session:
            row = await session.get(ImpliedRole, (prior_id, implied_id))
            if row is None:
                raise errors.ImpliedRoleNotFound(prior_role_id=prior_id,
                                                 implied_role_id=implied_id)
            await session.delete(row)
        await self.changed("implied_role", "deleted", prior_id)

    async def list_implied_roles(self, prior_id: str | None = None
                                 ) -> list[tuple[Role, list[Role]]]:
        """Each prior role with the roles it implies directly."""
        async with self.db.session() as session:
            if prior_id is not None:
                await self.get(session, Role, prior_id, errors.RoleNotFound, role_id=prior_id)
            rows = list(await session.scalars(select(ImpliedRole)))
            roles = {r.id: r for r in await session.scalars(select(Role))}
        grouped: dict[str, list[Role]] = {}
        for row in rows:
            grouped.setdefault(row.prior_role_id, []).append(roles[row.implied_role_id])
        if prior_id is not None:
            return [(roles[prior_id], grouped.get(prior_id, []))]
        return [(roles[p], implied) for p, implied in sorted(grouped.items())]

    async def role_inferences(self) -> list[tuple[Role, list[Role]]]:
        """Each prior role with every role it implies, transitively."""
        async with self.db.session() as session:
            direct = await self.list_implied_roles()
            result = []
            for prior, _ in direct:
                closure = await self._implied_closure(session, {prior.id})
                closure.discard(prior.id)
                implied = [r for r in await session.scalars(select(Role).where(
                    Role.id.in_(closure)))]
                result.append((prior, sorted(implied, key=lambda r: r.name)))
            return result

    @staticmethod
    async def _implied_closure(session: AsyncSession, role_ids: set[str]) -> set[str]:
        rows = list(await session.execute(select(ImpliedRole.prior_role_id,
                                                 ImpliedRole.implied_role_id)))
        implies: dict[str, set[str]] = {}
        for prior, implied in rows:
            implies.setdefault(prior, set()).add(implied)
        found, todo = set(role_ids), list(role_ids)
        while todo:
            for implied in implies.get(todo.pop(), ()):
                if implied not in found:
                    found.add(implied)
                    todo.append(implied)
        return found

    # ------------------------------------------------------------ grants
    async def _check_grant_parts(self, session: AsyncSession, actor: str, actor_id: str,
                                 target: str, target_id: str, role_id: str) -> None:
        await self.get(session, ACTORS[actor], actor_id, ACTOR_ERRORS[actor],
                       **{f"{actor}_id": actor_id})
        if target != SYSTEM:
            await self.get(session, TARGETS[target], target_id, TARGET_ERRORS[target],
                           **{f"{target}_id": target_id})
        role = await self.get(session, Role, role_id, errors.RoleNotFound, role_id=role_id)
        if role.domain_id != NULL_DOMAIN:
            target_domain = None
            if target == "domain":
                target_domain = target_id
            elif target == "project":
                project = await session.get(Project, target_id)
                target_domain = project.domain_id if project else None
            if target_domain != role.domain_id:
                raise Forbidden(f"Domain-specific role {role.name} belongs to domain "
                                f"{role.domain_id} and cannot be granted outside it.")

    async def create_grant(self, actor: str, actor_id: str, target: str, target_id: str,
                           role_id: str, inherited: bool = False) -> None:
        async with self.db.session() as session:
            await self._check_grant_parts(session, actor, actor_id, target, target_id, role_id)
            await insert_if_absent(session, Assignment, type=assignment_type(actor, target),
                                   actor_id=actor_id, target_id=target_id, role_id=role_id,
                                   inherited=inherited)
        await self.changed("role_assignment", "created", role_id)

    async def check_grant(self, actor: str, actor_id: str, target: str, target_id: str,
                          role_id: str, inherited: bool = False) -> None:
        async with self.db.session() as session:
            await self._check_grant_parts(session, actor, actor_id, target, target_id, role_id)
            key = (assignment_type(actor, target), actor_id, target_id, role_id, inherited)
            if await session.get(Assignment, key) is None:
                raise errors.AssignmentNotFound(role_id=role_id, actor=f"{actor} {actor_id}",
                                                target=f"{target} {target_id}")

    async def delete_grant(self, actor: str, actor_id: str, target: str, target_id: str,
                           role_id: str, inherited: bool = False) -> None:
        async with self.db.session() as session:
            key = (assignment_type(actor, target), actor_id, target_id, role_id, inherited)
            row = await session.get(Assignment, key)
            if row is None:
                raise errors.AssignmentNotFound(role_id=role_id, actor=f"{actor} {actor_id}",
                                                target=f"{target} {target_id}")
            await session.delete(row)
            if actor == "user":
                scope = {"project_id": target_id} if target == "project" else {}
                session.add(RevocationEvent(user_id=actor_id, issued_before=utcnow(), **scope))
        await self.changed("role_assignment", "deleted", role_id)

    async def list_grant_roles(self, actor: str, actor_id: str, target: str, target_id: str,
                               inherited: bool = False) -> list[Role]:
        async with self.db.session() as session:
            await self.get(session, ACTORS[actor], actor_id, ACTOR_ERRORS[actor],
                           **{f"{actor}_id": actor_id})
            if target != SYSTEM:
                await self.get(session, TARGETS[target], target_id, TARGET_ERRORS[target],
                               **{f"{target}_id": target_id})
            return list(await session.scalars(
                select(Role).join(Assignment, Assignment.role_id == Role.id).where(
                    Assignment.type == assignment_type(actor, target),
                    Assignment.actor_id == actor_id, Assignment.target_id == target_id,
                    Assignment.inherited == inherited).order_by(Role.name)))

    # ------------------------------------------------------------ effective roles
    async def effective_role_ids(self, session: AsyncSession, user_id: str, target: str,
                                 target_id: str) -> set[str]:
        """Every role the user holds on the target: direct, through groups, inherited from
        the domain or parent projects, then implied roles; domain-specific roles only
        lend the global roles they imply, as in keystone."""
        actors = [user_id, *await session.scalars(
            select(Membership.group_id).where(Membership.user_id == user_id))]
        conditions = [and_(Assignment.target_id == target_id, Assignment.inherited.is_(False))]
        if target == "project":
            project = await session.get(Project, target_id)
            if project is None:
                return set()
            ancestors = [project.domain_id]
            parent = project.parent_id
            while parent is not None:
                ancestors.append(parent)
                parent = (await session.get(Project, parent)).parent_id  # type: ignore[union-attr]
            conditions.append(and_(Assignment.target_id.in_(ancestors),
                                   Assignment.inherited.is_(True)))
        kinds = [assignment_type(a, target) for a in ("user", "group")]
        if target == "project":
            kinds += [assignment_type(a, "domain") for a in ("user", "group")]
        direct = set(await session.scalars(select(Assignment.role_id).where(
            Assignment.actor_id.in_(actors), Assignment.type.in_(kinds), or_(*conditions))))
        if not direct:
            return set()
        closure = await self._implied_closure(session, direct)
        domain_roles = set(await session.scalars(select(Role.id).where(
            Role.id.in_(closure), Role.domain_id != NULL_DOMAIN)))
        return closure - domain_roles

    async def list_grants(self, query: Mapping[str, str]) -> list[Grant]:
        """GET /v3/role_assignments with its filters; `effective` expands groups into their
        members and adds implied roles."""
        effective = bool(to_bool(query.get("effective"))) if "effective" in query else False
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Assignment)))
            grants = [_grant(row) for row in rows]
            if effective:
                grants = await self._expand(session, grants)
        return [g for g in grants if _grant_matches(g, query, effective)]

    async def _expand(self, session: AsyncSession, grants: list[Grant]) -> list[Grant]:
        members: dict[str, list[str]] = {}
        for user_id, group_id in await session.execute(
                select(Membership.user_id, Membership.group_id)):
            members.setdefault(group_id, []).append(user_id)
        users: list[Grant] = []
        for grant in grants:
            if grant.inherited:
                continue  # effective listings show where roles land, not inheritance rules
            if grant.actor == "group":
                users += [Grant(grant.role_id, "user", u, grant.target, grant.target_id,
                                via_group=grant.actor_id)
                          for u in members.get(grant.actor_id, [])]
            else:
                users.append(grant)
        expanded: list[Grant] = []
        seen: set[tuple[str, str, str, str]] = set()
        for grant in users:
            for role_id in sorted(await self._implied_closure(session, {grant.role_id})):
                key = (role_id, grant.actor_id, grant.target, grant.target_id)
                if key not in seen:
                    seen.add(key)
                    expanded.append(Grant(role_id, "user", grant.actor_id, grant.target,
                                          grant.target_id, via_group=grant.via_group))
        return expanded


def _grant(row: Assignment) -> Grant:
    actor = "user" if row.type.startswith("User") else "group"
    target = row.type.removeprefix("User").removeprefix("Group").lower()
    return Grant(row.role_id, actor, row.actor_id, target, row.target_id, row.inherited)


def _grant_matches(grant: Grant, query: Mapping[str, str], effective: bool) -> bool:
    checks = {
        "role.id": grant.role_id,
        "user.id": grant.actor_id if grant.actor == "user" else None,
        "group.id": grant.actor_id if grant.actor == "group" else None,
        "scope.project.id": grant.target_id if grant.target == "project" else None,
        "scope.domain.id": grant.target_id if grant.target == "domain" else None,
    }
    for key, value in checks.items():
        if key in query and query[key] != value:
            return False
    if "scope.system" in query and grant.target != SYSTEM:
        return False
    return not ("scope.OS-INHERIT:inherited_to" in query and not grant.inherited)
