"""Quotas (os-quota-sets): per-project overrides of the configured defaults, usage counted
from the rows themselves in the transaction that writes (see ManagerBase.check_quota),
and /limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.block_storage import errors
from gureum.block_storage.manager.base import (
    QUOTA_RESOURCES,
    ManagerBase,
    per_type_resources,
    quota_lock,
)
from gureum.block_storage.models import Quota, VolumeType

MAX_LIMIT = 2**31 - 1


class Quotas(ManagerBase):
    @staticmethod
    async def _type_names(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(VolumeType.name).order_by(VolumeType.name)))

    async def default_quotas(self) -> dict[str, int]:
        async with self.db.session() as session:
            names = (*QUOTA_RESOURCES, *per_type_resources(await self._type_names(session)))
        return {name: self.settings.quotas.get(name, -1) for name in names}

    async def show_quota(self, project_id: str, usage: bool) -> dict[str, Any]:
        async with self.db.session() as session:
            limits = await self.quota_limits(session, project_id,
                                             await self._type_names(session))
            if not usage:
                return dict(limits)
            used = {**await self.quota_usage(session, project_id),
                    **await self.quota_usage_by_type(session, project_id)}
        return {name: {"limit": limit, "in_use": used.get(name, 0), "reserved": 0,
                       "allocated": 0} for name, limit in limits.items()}

    async def update_quota(self, project_id: str, spec: dict[str, Any]) -> dict[str, int]:
        async with self.db.session() as session:
            known = {*QUOTA_RESOURCES, *per_type_resources(await self._type_names(session))}
        limits = {}
        for name, value in spec.items():
            if name not in known:
                raise errors.InvalidInput(reason=f"Bad key(s) in quota set: {name}")
            try:
                number = int(value)
            except (TypeError, ValueError) as exc:
                raise errors.InvalidInput(reason=f"{name} must be an integer.") from exc
            if number < -1 or number > MAX_LIMIT:
                raise errors.InvalidInput(reason=f"{name} must be >= -1 and <= "
                                          f"{MAX_LIMIT}.")
            limits[name] = number
        async with self.db.session(lock=quota_lock(project_id)) as session:
            for name, limit in limits.items():
                row = await session.get(Quota, (project_id, name))
                if row is None:
                    session.add(Quota(project_id=project_id, resource=name, limit=limit))
                else:
                    row.limit = limit
            await session.flush()
            return await self.quota_limits(session, project_id,
                                           await self._type_names(session))

    async def delete_quota(self, project_id: str) -> None:
        async with self.db.session(lock=quota_lock(project_id)) as session:
            await session.execute(delete(Quota).where(Quota.project_id == project_id))

    async def absolute_limits(self, project_id: str) -> dict[str, int]:
        async with self.db.session() as session:
            limits = await self.quota_limits(session, project_id)
            used = await self.quota_usage(session, project_id)
        return {
            "maxTotalVolumes": limits["volumes"], "maxTotalSnapshots": limits["snapshots"],
            "maxTotalVolumeGigabytes": limits["gigabytes"],
            "maxTotalBackups": limits["backups"],
            "maxTotalBackupGigabytes": limits["backup_gigabytes"],
            "totalVolumesUsed": used["volumes"], "totalSnapshotsUsed": used["snapshots"],
            "totalGigabytesUsed": used["gigabytes"], "totalBackupsUsed": used["backups"],
            "totalBackupGigabytesUsed": used["backup_gigabytes"],
        }
