"""Flavors: the sizes servers come in, their extra specs and who may use private ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, is_admin, new_id
from gureum.compute.models import Flavor, FlavorAccess
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError, utcnow

# nova's defaults and DevStack's small ones: (id, name, vcpus, memory_mb, root_gb)
DEFAULT_FLAVORS = (
    ("1", "m1.tiny", 1, 512, 1), ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40), ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160), ("42", "m1.nano", 1, 128, 1),
    ("84", "m1.micro", 1, 192, 1), ("c1", "cirros256", 1, 256, 1),
    ("d1", "ds512M", 1, 512, 5), ("d2", "ds1G", 1, 1024, 10),
    ("d3", "ds2G", 2, 2048, 10), ("d4", "ds4G", 4, 4096, 20),
)


class Flavors(ManagerBase):
    async def ensure_default_flavors(self) -> None:
        async with self.db.session(lock="compute-flavors") as session:
            have = set(await session.scalars(select(Flavor.id)))
            for flavor_id, name, vcpus, ram, disk in DEFAULT_FLAVORS:
                if flavor_id not in have:
                    session.add(Flavor(id=flavor_id, name=name, vcpus=vcpus, memory_mb=ram,
                                       root_gb=disk))

    @staticmethod
    def _usable(context: RequestContext) -> Any:
        if is_admin(context):
            return None
        return or_(Flavor.is_public.is_(True), Flavor.id.in_(
            select(FlavorAccess.flavor_id).where(
                FlavorAccess.project_id == (context.project_id or ""))))

    async def list_flavors(self, context: RequestContext, query: dict[str, str],
                           ) -> list[Flavor]:
        stmt = select(Flavor).where(Flavor.disabled.is_(False))
        public = query.get("is_public", "true").lower()
        usable = self._usable(context)
        if usable is not None:
            stmt = stmt.where(usable)
        elif public in ("true", "t", "1", "yes"):
            stmt = stmt.where(Flavor.is_public.is_(True))
        elif public in ("false", "f", "0", "no"):
            stmt = stmt.where(Flavor.is_public.is_(False))
        if "minRam" in query:
            stmt = stmt.where(Flavor.memory_mb >= _int(query["minRam"], "minRam"))
        if "minDisk" in query:
            stmt = stmt.where(Flavor.root_gb >= _int(query["minDisk"], "minDisk"))
        sort_key = {"flavorid": "id", "ram": "memory_mb", "disk": "root_gb",
                    "id": "id"}.get(query.get("sort_key", "flavorid"),
                                    query.get("sort_key", "id"))
        column = getattr(Flavor, sort_key, None)
        if column is None or sort_key in ("extra_specs",):
            raise errors.InvalidInput(reason=f"Invalid sort_key {query.get('sort_key')}")
        ascending = query.get("sort_dir", "asc") != "desc"
        async with self.db.session() as session:
            rows = list(await session.scalars(stmt.order_by(
                column.asc() if ascending else column.desc(), Flavor.id)))
        marker = query.get("marker")
        if marker:
            ids = [r.id for r in rows]
            if marker not in ids:
                raise errors.InvalidInput(reason=f"marker [{marker}] not found")
            rows = rows[ids.index(marker) + 1:]
        if "limit" in query:
            rows = rows[:_int(query["limit"], "limit")]
        return rows

    async def show_flavor(self, context: RequestContext, flavor_id: str) -> Flavor:
        async with self.db.session() as session:
            return await self.flavor_for(session, context, flavor_id)

    async def flavor_for(self, session: Any, context: RequestContext, flavor_id: str,
                         ) -> Flavor:
        stmt = select(Flavor).where(Flavor.id == flavor_id)
        usable = self._usable(context)
        if usable is not None:
            stmt = stmt.where(usable)
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.FlavorNotFound(flavor_id=flavor_id)
        return row  # type: ignore[no-any-return]

    async def create_flavor(self, spec: dict[str, Any]) -> Flavor:
        flavor_id = spec.get("id") or None
        row = Flavor(id=str(flavor_id) if flavor_id else new_id(), name=spec["name"],
                     vcpus=int(spec["vcpus"]), memory_mb=int(spec["ram"]),
                     root_gb=int(spec["disk"]),
                     ephemeral_gb=int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0)),
                     swap=int(spec.get("swap") or 0),
                     rxtx_factor=float(spec.get("rxtx_factor", 1.0)),
                     is_public=bool(spec.get("os-flavor-access:is_public", True)),
                     description=spec.get("description"), extra_specs={})
        async with self.db.session(lock="compute-flavors") as session:
            taken = (await session.scalars(select(Flavor).where(
                or_(Flavor.id == row.id, Flavor.name == row.name)))).first()
            if taken is not None:
                what, value = ("id", row.id) if taken.id == row.id else ("name", row.name)
                raise errors.FlavorExists(what=what, value=value)
            session.add(row)
        return row

    async def update_flavor(self, flavor_id: str, description: str | None) -> Flavor:
        async with self.db.session() as session:
            row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
            row.description, row.updated_at = description, utcnow()
        return row

    async def delete_flavor(self, flavor_id: str) -> None:
        async with self.db.session() as session:
            row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
            await session.delete(row)

    async def set_extra_specs(self, flavor_id: str, specs: dict[str, str],
                              key: str | None = None) -> dict[str, str]:
        async with self.db.session(lock=f"compute-flavor:{flavor_id}") as session:
            row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
            row.extra_specs = {**row.extra_specs, **{k: str(v) for k, v in specs.items()}}
            row.updated_at = utcnow()
        return {k: str(v) for k, v in specs.items()}

    async def delete_extra_spec(self, flavor_id: str, key: str) -> None:
        async with self.db.session(lock=f"compute-flavor:{flavor_id}") as session:
            row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
            if key not in row.extra_specs:
                raise errors.FlavorExtraSpecNotFound(flavor_id=flavor_id, key=key)
            row.extra_specs = {k: v for k, v in row.extra_specs.items() if k != key}

    async def list_flavor_access(self, flavor_id: str) -> list[str]:
        async with self.db.session() as session:
            row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
            if row.is_public:
                raise errors.FlavorNotFound(
                    "Access list not available for public flavors.", flavor_id=flavor_id)
            return list(await session.scalars(select(FlavorAccess.project_id).where(
                FlavorAccess.flavor_id == flavor_id).order_by(FlavorAccess.project_id)))

    async def add_flavor_access(self, flavor_id: str, project_id: str) -> list[str]:
        try:
            async with self.db.session() as session:
                row = await self.flavor_for(session, RequestContext.admin(), flavor_id)
                if row.is_public:
                    raise errors.FlavorIsPublic()
                session.add(FlavorAccess(flavor_id=flavor_id, project_id=project_id))
        except IntegrityError as exc:
            raise errors.FlavorAccessExists(flavor_id=flavor_id,
                                            project_id=project_id) from exc
        return await self.list_flavor_access(flavor_id)

    async def remove_flavor_access(self, flavor_id: str, project_id: str) -> list[str]:
        async with self.db.session() as session:
            await self.flavor_for(session, RequestContext.admin(), flavor_id)
            gone = await session.execute(delete(FlavorAccess).where(
                FlavorAccess.flavor_id == flavor_id, FlavorAccess.project_id == project_id))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise errors.FlavorAccessNotFound(flavor_id=flavor_id, project_id=project_id)
        return await self.list_flavor_access(flavor_id)


def _int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise errors.InvalidInput(reason=f"{name} must be an integer") from exc
    if number < 0:
        raise errors.InvalidInput(reason=f"{name} must be >= 0")
    return number
