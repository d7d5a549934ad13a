"""Volume transfers: the owner offers an available volume (it waits as
`awaiting-transfer`), another project accepts it with the auth key, within its own
quota; the volume and its snapshots change hands in one transaction."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select, update

from gureum.block_storage import errors
from gureum.block_storage.manager.base import (
    ManagerBase,
    is_admin,
    new_id,
    quota_lock,
    transition,
)
from gureum.block_storage.models import Snapshot, Transfer, Volume
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

KEY_LENGTH = 16  # cinder's volume_transfer_key_length


def _hash(salt: str, key: str) -> str:
    return hashlib.sha256(f"{salt}{key}".encode()).hexdigest()


class Transfers(ManagerBase):
    async def create_transfer(self, context: RequestContext, volume_id: str,
                              name: str | None) -> tuple[Transfer, str]:
        key = secrets.token_hex(KEY_LENGTH // 2)
        salt = secrets.token_hex(8)
        async with self.db.session(lock=f"volume:{volume_id}") as session:
            volume = await self.volume_for(session, context, volume_id)
            if not await transition(session, Volume, volume_id,
                                    {"status": "awaiting-transfer", "updated_at": utcnow()},
                                    status="available"):
                raise errors.InvalidVolume(reason=f"status must be available, but current "
                                           f"status is: {volume.status}.")
            row = Transfer(id=new_id(), volume_id=volume_id, project_id=volume.project_id,
                           name=name, salt=salt, key_hash=_hash(salt, key),
                           created_at=utcnow())
            session.add(row)
        return row, key

    async def transfer_for(self, session: Any, context: RequestContext, transfer_id: str,
                           ) -> Transfer:
        row = await session.get(Transfer, transfer_id)
        if row is None or (not is_admin(context) and row.project_id != context.project_id):
            raise errors.TransferNotFound(transfer_id=transfer_id)
        return row  # type: ignore[no-any-return]

    async def list_transfers(self, context: RequestContext, all_projects: bool,
                             ) -> list[Transfer]:
        stmt = select(Transfer).order_by(Transfer.created_at, Transfer.id)
        if not (all_projects and is_admin(context)):
            stmt = stmt.where(Transfer.project_id == (context.project_id or ""))
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_transfer(self, context: RequestContext, transfer_id: str) -> Transfer:
        async with self.db.session() as session:
            return await self.transfer_for(session, context, transfer_id)

    async def delete_transfer(self, context: RequestContext, transfer_id: str) -> None:
        async with self.db.session() as session:
            row = await self.transfer_for(session, context, transfer_id)
            await session.delete(row)
            await transition(session, Volume, row.volume_id,
                             {"status": "available", "updated_at": utcnow()},
                             status="awaiting-transfer")

    async def accept_transfer(self, context: RequestContext, transfer_id: str,
                              auth_key: str) -> Transfer:
        """Anyone with the id and the key; the receiving project's quota must hold it."""
        project_id = context.project_id or ""
        async with self.db.session(lock=quota_lock(project_id)) as session:
            row = await session.get(Transfer, transfer_id)
            if row is None:
                raise errors.TransferNotFound(transfer_id=transfer_id)
            if not hmac.compare_digest(row.key_hash, _hash(row.salt, auth_key)):
                raise errors.InvalidAuthKey(transfer_id=transfer_id)
            volume = await session.get(Volume, row.volume_id)
            if volume is None or volume.status != "awaiting-transfer":
                raise errors.InvalidVolume(reason="Volume is not awaiting a transfer")
            snapshots = list(await session.scalars(select(Snapshot).where(
                Snapshot.volume_id == volume.id)))
            await self.check_quota(session, project_id, volumes=1,
                                   snapshots=len(snapshots),
                                   gigabytes=volume.size + sum(s.size for s in snapshots),
                                   volume_size=volume.size,
                                   volume_type_id=volume.volume_type_id)
            if not await transition(session, Volume, volume.id,
                                    {"status": "available", "project_id": project_id,
                                     "user_id": context.user_id or "",
                                     "updated_at": utcnow()},
                                    status="awaiting-transfer"):
                raise errors.InvalidVolume(reason="Volume is not awaiting a transfer")
            await session.execute(update(Snapshot).where(Snapshot.volume_id == volume.id)
                                  .values(project_id=project_id))
            await session.delete(row)
        return row
