"""Volume types: extra specs (what the scheduler matches backends' capabilities with,
e.g. volume_backend_name), private types with access lists, and the default type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select

from gureum.block_storage import errors
from gureum.block_storage.manager.base import ManagerBase, new_id
from gureum.block_storage.models import Volume, VolumeType, VolumeTypeAccess
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError, insert_if_absent, utcnow

DEFAULT_DESCRIPTION = "Default Volume Type"


class Types(ManagerBase):
    async def ensure_default_type(self) -> None:
        """cinder's __DEFAULT__ type, made once (what a volume gets without a type)."""
        name = self.settings.default_volume_type
        async with self.db.session(lock="volume-type-default") as session:
            found = (await session.scalars(select(VolumeType).where(
                VolumeType.name == name))).first()
            if found is None:
                session.add(VolumeType(id=new_id(), name=name,
                                       description=DEFAULT_DESCRIPTION, is_public=True,
                                       extra_specs={}, created_at=utcnow()))

    async def list_types(self, context: RequestContext, is_public: str | None,
                         ) -> list[VolumeType]:
        stmt = select(VolumeType).order_by(VolumeType.created_at, VolumeType.name)
        visible = self.visible_types(context)
        if visible is not None:
            stmt = stmt.where(visible)
        elif is_public is not None and is_public.lower() != "none":
            public = is_public.lower() in ("true", "1", "yes")
            stmt = stmt.where(VolumeType.is_public == public)
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_type(self, context: RequestContext, type_id: str) -> VolumeType:
        async with self.db.session() as session:
            if type_id == "default":
                return await self.default_type(session)
            return await self.type_for(session, context, type_id)

    async def create_type(self, context: RequestContext, spec: dict[str, Any]) -> VolumeType:
        name = spec["name"].strip()
        row = VolumeType(id=new_id(), name=name, description=spec.get("description"),
                         is_public=spec.get("os-volume-type-access:is_public", True),
                         extra_specs={k: str(v) for k, v in
                                      (spec.get("extra_specs") or {}).items()},
                         created_at=utcnow())
        try:
            async with self.db.session() as session:
                if (await session.scalars(select(VolumeType.id).where(
                        VolumeType.name == name))).first():
                    raise errors.VolumeTypeExists(id=name)
                session.add(row)
        except IntegrityError as exc:
            raise errors.VolumeTypeExists(id=name) from exc
        return row

    async def update_type(self, context: RequestContext, type_id: str,
                          spec: dict[str, Any]) -> VolumeType:
        async with self.db.session() as session:
            row = await self.type_for(session, context, type_id)
            if "name" in spec and spec["name"] != row.name:
                if row.name == self.settings.default_volume_type:
                    raise errors.InvalidVolumeType(reason="The default volume type cannot "
                                                   "be renamed.")
                if (await session.scalars(select(VolumeType.id).where(
                        VolumeType.name == spec["name"]))).first():
                    raise errors.VolumeTypeExists(id=spec["name"])
                row.name = spec["name"]
            if "description" in spec:
                row.description = spec["description"]
            if "is_public" in spec:
                row.is_public = bool(spec["is_public"])
            row.updated_at = utcnow()
            return row

    async def delete_type(self, context: RequestContext, type_id: str) -> None:
        async with self.db.session() as session:
            row = await self.type_for(session, context, type_id)
            if row.name == self.settings.default_volume_type:
                raise errors.InvalidVolumeType(reason="Default volume type can not be "
                                               "deleted")
            used = await session.scalar(select(func.count()).select_from(Volume).where(
                Volume.volume_type_id == type_id))
            if used:
                raise errors.VolumeTypeInUse(volume_type_id=type_id)
            await session.delete(row)

    # ------------------------------------------------------------ extra specs
    async def set_extra_specs(self, context: RequestContext, type_id: str,
                              specs: dict[str, Any]) -> dict[str, str]:
        async with self.db.session(lock=f"volume-type:{type_id}") as session:
            row = await self.type_for(session, context, type_id)
            row.extra_specs = {**row.extra_specs, **{k: str(v) for k, v in specs.items()}}
            row.updated_at = utcnow()
            return dict(row.extra_specs)

    async def delete_extra_spec(self, context: RequestContext, type_id: str,
                                key: str) -> None:
        async with self.db.session(lock=f"volume-type:{type_id}") as session:
            row = await self.type_for(session, context, type_id)
            if key not in row.extra_specs:
                raise errors.VolumeTypeExtraSpecsNotFound(volume_type_id=type_id,
                                                          extra_specs_key=key)
            row.extra_specs = {k: v for k, v in row.extra_specs.items() if k != key}

    # ------------------------------------------------------------ access
    async def type_access(self, context: RequestContext, type_id: str) -> list[str]:
        async with self.db.session() as session:
            row = await self.type_for(session, context, type_id)
            if row.is_public:
                raise errors.VolumeTypeAccessNotFound(volume_type_id=type_id, project_id="")
            return list(await session.scalars(select(VolumeTypeAccess.project_id).where(
                VolumeTypeAccess.volume_type_id == type_id).order_by(
                VolumeTypeAccess.project_id)))

    async def add_type_access(self, context: RequestContext, type_id: str,
                              project_id: str) -> None:
        async with self.db.session() as session:
            row = await self.type_for(session, context, type_id)
            if row.is_public:
                raise errors.InvalidVolumeType(reason="Invalid volume type: Type access "
                                               "modification is not applicable to public "
                                               "volume type.")
            exists = await session.get(VolumeTypeAccess, (type_id, project_id))
            if exists is not None:
                raise errors.VolumeTypeAccessExists(volume_type_id=type_id,
                                                    project_id=project_id)
            await insert_if_absent(session, VolumeTypeAccess, volume_type_id=type_id,
                                   project_id=project_id)

    async def remove_type_access(self, context: RequestContext, type_id: str,
                                 project_id: str) -> None:
        async with self.db.session() as session:
            await self.type_for(session, context, type_id)
            gone = await session.execute(delete(VolumeTypeAccess).where(
                VolumeTypeAccess.volume_type_id == type_id,
                VolumeTypeAccess.project_id == project_id))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise errors.VolumeTypeAccessNotFound(volume_type_id=type_id,
                                                      project_id=project_id)

    async def types_by_id(self, ids: set[str]) -> dict[str, VolumeType]:
        async with self.db.session() as session:
            return {t.id: t for t in await session.scalars(select(VolumeType).where(
                or_(VolumeType.id.in_(ids))))}
