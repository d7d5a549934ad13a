"""Unified limits: registered (default) limits per service resource and the project
limits that override them, in keystone's flat enforcement model. Services read them to
enforce their quotas; keystone itself only stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.errors import BadRequest
from gureum.identity import errors
from gureum.identity.manager.base import ManagerBase, apply, new_id
from gureum.identity.models import Limit, Project, Region, RegisteredLimit, Service


class LimitManager(ManagerBase):
    async def _check_refs(self, session: AsyncSession, spec: Mapping[str, Any]) -> None:
        """Keystone answers a reference to a missing service, region or project with 400."""
        for key, model in (("service_id", Service), ("region_id", Region),
                           ("project_id", Project)):
            if spec.get(key) and await session.get(model, spec[key]) is None:
                raise BadRequest(f"Invalid input for field '{key}': The value "
                                 f"{spec[key]} is not found.")

    @staticmethod
    def _same(model: Any, spec: Mapping[str, Any], *extra: str) -> Select[Any]:
        """Rows for the same service, region and resource (and the extra keys)."""
        stmt = select(model)
        for key in ("service_id", "region_id", "resource_name", *extra):
            column = getattr(model, key)
            value = spec.get(key)
            stmt = stmt.where(column.is_(None) if value is None else column == value)
        return stmt

    # ------------------------------------------------------------ registered limits
    async def create_registered_limits(self, specs: list[dict[str, Any]]
                                       ) -> list[RegisteredLimit]:
        rows = []
        async with self.db.session() as session:
            for spec in specs:
                await self._check_refs(session, spec)
                if (await session.scalars(self._same(RegisteredLimit, spec))).first():
                    raise errors.Duplicate(kind="registered_limit",
                                           name=spec["resource_name"])
                row = RegisteredLimit(id=new_id(), service_id=spec["service_id"],
                                      region_id=spec.get("region_id"),
                                      resource_name=spec["resource_name"],
                                      default_limit=spec["default_limit"],
                                      description=spec.get("description"))
                session.add(row)
                await session.flush()
                rows.append(row)
        for row in rows:
            await self.changed("registered_limit", "created", row.id)
        return rows

    async def list_registered_limits(self, query: Mapping[str, str]) -> list[RegisteredLimit]:
        stmt = select(RegisteredLimit).order_by(RegisteredLimit.resource_name,
                                                RegisteredLimit.id)
        for key in ("service_id", "region_id", "resource_name"):
            if key in query:
                stmt = stmt.where(getattr(RegisteredLimit, key) == query[key])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_registered_limit(self, limit_id: str) -> RegisteredLimit:
        async with self.db.session() as session:
            return await self.get(session, RegisteredLimit, limit_id,
                                  errors.RegisteredLimitNotFound, limit_id=limit_id)

    async def update_registered_limit(self, limit_id: str, changes: dict[str, Any]
                                      ) -> RegisteredLimit:
        async with self.db.session() as session:
            row = await self.get(session, RegisteredLimit, limit_id,
                                 errors.RegisteredLimitNotFound, limit_id=limit_id)
            moved = {k: v for k, v in changes.items()
                     if k in ("service_id", "region_id", "resource_name")}
            if moved:
                if await self._referenced(session, row):
                    raise errors.RegisteredLimitInUse(limit_id=limit_id)
                await self._check_refs(session, moved)
                target = {"service_id": row.service_id, "region_id": row.region_id,
                          "resource_name": row.resource_name, **moved}
                other = (await session.scalars(self._same(RegisteredLimit, target))).first()
                if other is not None and other.id != row.id:
                    raise errors.Duplicate(kind="registered_limit",
                                           name=target["resource_name"])
            apply(row, changes, ("service_id", "region_id", "resource_name", "default_limit",
                                 "description"))
        await self.changed("registered_limit", "updated", limit_id)
        return row

    async def delete_registered_limit(self, limit_id: str) -> None:
        async with self.db.session() as session:
            row = await self.get(session, RegisteredLimit, limit_id,
                                 errors.RegisteredLimitNotFound, limit_id=limit_id)
            if await self._referenced(session, row):
                raise errors.RegisteredLimitInUse(limit_id=limit_id)
            await session.delete(row)
        await self.changed("registered_limit", "deleted", limit_id)

    async def _referenced(self, session: AsyncSession, row: RegisteredLimit) -> bool:
        spec = {"service_id": row.service_id, "region_id": row.region_id,
                "resource_name": row.resource_name}
        return (await session.scalars(self._same(Limit, spec))).first() is not None

    # ------------------------------------------------------------ project limits
    async def create_limits(self, specs: list[dict[str, Any]]) -> list[Limit]:
        rows = []
        async with self.db.session() as session:
            for spec in specs:
                if bool(spec.get("project_id")) == bool(spec.get("domain_id")):
                    raise BadRequest("A limit is for exactly one of project_id, domain_id.")
                await self._check_refs(session, spec)
                if not (await session.scalars(self._same(RegisteredLimit, spec))).first():
                    raise errors.NoLimitReference()
                if (await session.scalars(self._same(Limit, spec, "project_id",
                                                     "domain_id"))).first():
                    raise errors.Duplicate(kind="project_limit", name=spec["resource_name"])
                row = Limit(id=new_id(), project_id=spec.get("project_id"),
                            domain_id=spec.get("domain_id"), service_id=spec["service_id"],
                            region_id=spec.get("region_id"),
                            resource_name=spec["resource_name"],
                            resource_limit=spec["resource_limit"],
                            description=spec.get("description"))
                session.add(row)
                await session.flush()
                rows.append(row)
        for row in rows:
            await self.changed("limit", "created", row.id)
        return rows

    async def list_limits(self, query: Mapping[str, str]) -> list[Limit]:
        stmt = select(Limit).order_by(Limit.resource_name, Limit.id)
        for key in ("service_id", "region_id", "resource_name", "project_id", "domain_id"):
            if key in query:
                stmt = stmt.where(getattr(Limit, key) == query[key])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_limit(self, limit_id: str) -> Limit:
        async with self.db.session() as session:
            return await self.get(session, Limit, limit_id, errors.LimitNotFound,
                                  limit_id=limit_id)

    async def update_limit(self, limit_id: str, changes: dict[str, Any]) -> Limit:
        async with self.db.session() as session:
            row = await self.get(session, Limit, limit_id, errors.LimitNotFound,
                                 limit_id=limit_id)
            apply(row, changes, ("resource_limit", "description"))
        await self.changed("limit", "updated", limit_id)
        return row

    async def delete_limit(self, limit_id: str) -> None:
        async with self.db.session() as session:
            row = await self.get(session, Limit, limit_id, errors.LimitNotFound,
                                 limit_id=limit_id)
            await session.delete(row)
        await self.changed("limit", "deleted", limit_id)
