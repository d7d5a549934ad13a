"""QoS specs (/qos-specs): named key sets for a consumer (front-end: the hypervisor,
back-end: the storage, or both), associated with volume types. A type has at most one;
a volume's connection info carries its type's specs when the hypervisor consumes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from gureum.block_storage import errors
from gureum.block_storage.manager.base import ManagerBase, new_id
from gureum.block_storage.models import QosSpecs, VolumeType
from gureum.core.db import IntegrityError, utcnow

CONSUMERS = ("front-end", "back-end", "both")


def _consumer(value: Any) -> str:
    if value not in CONSUMERS:
        raise errors.InvalidInput(reason=f"Valid consumer of QoS specs are: "
                                  f"{list(CONSUMERS)}")
    return str(value)


class Qos(ManagerBase):
    async def list_qos_specs(self) -> list[QosSpecs]:
        async with self.db.session() as session:
            return list(await session.scalars(select(QosSpecs).order_by(
                QosSpecs.created_at.desc(), QosSpecs.id)))

    async def show_qos_specs(self, specs_id: str) -> QosSpecs:
        async with self.db.session() as session:
            return await self._qos(session, specs_id)

    @staticmethod
    async def _qos(session: Any, specs_id: str) -> QosSpecs:
        row = await session.get(QosSpecs, specs_id)
        if row is None:
            raise errors.QoSSpecsNotFound(specs_id=specs_id)
        return row  # type: ignore[no-any-return]

    async def create_qos_specs(self, spec: dict[str, Any]) -> QosSpecs:
        keys = {k: str(v) for k, v in spec.items() if k not in ("name", "consumer", "specs")}
        keys.update({k: str(v) for k, v in (spec.get("specs") or {}).items()})
        row = QosSpecs(id=new_id(), name=str(spec["name"]).strip(),
                       consumer=_consumer(spec.get("consumer", "back-end")), specs=keys,
                       created_at=utcnow())
        try:
            async with self.db.session() as session:
                if (await session.scalars(select(QosSpecs.id).where(
                        QosSpecs.name == row.name))).first():
                    raise errors.QoSSpecsExists(specs_id=row.name)
                session.add(row)
        except IntegrityError as exc:
            raise errors.QoSSpecsExists(specs_id=row.name) from exc
        return row

    async def update_qos_specs(self, specs_id: str, spec: dict[str, Any]) -> dict[str, str]:
        """Set keys (and the consumer, when given); answers what was set, as cinder."""
        changed = {k: str(v) for k, v in spec.items()}
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            row = await self._qos(session, specs_id)
            if "consumer" in changed:
                row.consumer = _consumer(changed["consumer"])
            row.specs = {**row.specs, **{k: v for k, v in changed.items()
                                         if k != "consumer"}}
        return changed

    async def delete_qos_keys(self, specs_id: str, keys: list[str]) -> None:
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            row = await self._qos(session, specs_id)
            for key in keys:
                if key not in row.specs:
                    raise errors.QoSSpecsKeyNotFound(specs_key=key, specs_id=specs_id)
            row.specs = {k: v for k, v in row.specs.items() if k not in keys}

    async def delete_qos_specs(self, specs_id: str, force: bool) -> None:
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            row = await self._qos(session, specs_id)
            users = await session.scalars(select(VolumeType.id).where(
                VolumeType.qos_specs_id == specs_id))
            if users.first() is not None:
                if not force:
                    raise errors.QoSSpecsInUse(specs_id=specs_id)
                await session.execute(update(VolumeType).where(
                    VolumeType.qos_specs_id == specs_id).values(qos_specs_id=None))
            await session.delete(row)

    async def qos_associations(self, specs_id: str) -> list[VolumeType]:
        async with self.db.session() as session:
            await self._qos(session, specs_id)
            return list(await session.scalars(select(VolumeType).where(
                VolumeType.qos_specs_id == specs_id).order_by(VolumeType.name)))

    async def associate_qos(self, specs_id: str, type_id: str | None) -> None:
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            await self._qos(session, specs_id)
            vtype = await self._type_to_associate(session, type_id)
            if vtype.qos_specs_id not in (None, specs_id):
                raise errors.InvalidVolumeType(
                    reason=f"Type {vtype.id} is already associated with another qos specs: "
                    f"{vtype.qos_specs_id}")
            # conditional: two racing associations of one type cannot both win
            moved = await session.execute(update(VolumeType).where(
                VolumeType.id == vtype.id, (VolumeType.qos_specs_id.is_(None))
                | (VolumeType.qos_specs_id == specs_id)).values(qos_specs_id=specs_id))
            if not moved.rowcount:  # type: ignore[attr-defined]
                raise errors.InvalidVolumeType(
                    reason=f"Type {vtype.id} is already associated with another qos specs")

    async def disassociate_qos(self, specs_id: str, type_id: str | None) -> None:
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            await self._qos(session, specs_id)
            vtype = await self._type_to_associate(session, type_id)
            await session.execute(update(VolumeType).where(
                VolumeType.id == vtype.id, VolumeType.qos_specs_id == specs_id)
                .values(qos_specs_id=None))

    async def disassociate_all_qos(self, specs_id: str) -> None:
        async with self.db.session(lock=f"qos:{specs_id}") as session:
            await self._qos(session, specs_id)
            await session.execute(update(VolumeType).where(
                VolumeType.qos_specs_id == specs_id).values(qos_specs_id=None))

    @staticmethod
    async def _type_to_associate(session: Any, type_id: str | None) -> VolumeType:
        if not type_id:
            raise errors.InvalidInput(reason="Volume Type id must not be None.")
        vtype = await session.get(VolumeType, type_id)
        if vtype is None:
            raise errors.VolumeTypeNotFound(volume_type_id=type_id)
        return vtype  # type: ignore[no-any-return]

    async def front_end_qos(self, volume_type_id: str) -> dict[str, str] | None:
        """The specs the hypervisor applies to a volume of this type (connection info's
        `qos_specs`), or None when there are none for it."""
        async with self.db.session() as session:
            row = (await session.scalars(select(QosSpecs).join(
                VolumeType, VolumeType.qos_specs_id == QosSpecs.id).where(
                VolumeType.id == volume_type_id))).first()
        if row is None or row.consumer not in ("front-end", "both"):
            return None
        return dict(row.specs)
