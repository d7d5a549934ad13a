"""Quotas: the limits that hold (defaults, the default quota class, a project's own, a
user's own) and what is used, counted in the same locked transaction as a create."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, quota_lock
from gureum.compute.models import Keypair, Quota, QuotaClass, Server, ServerGroup

# nova's order in error messages and quota sets
SERVER_RESOURCES = ("instances", "cores", "ram")


class Quotas(ManagerBase):
    async def quota_limits(self, session: AsyncSession, project_id: str,
                           user_id: str | None = None) -> dict[str, int]:
        limits = dict(self.settings.quotas)
        for default in await session.scalars(select(QuotaClass).where(
                QuotaClass.class_name == "default")):
            limits[default.resource] = default.hard_limit
        owners = [""] if user_id is None else ["", user_id]
        rows = list(await session.scalars(select(Quota).where(
            Quota.project_id == project_id, Quota.user_id.in_(owners))))
        for row in sorted(rows, key=lambda r: r.user_id):  # a user's own comes last, wins
            limits[row.resource] = row.hard_limit
        return limits

    async def metadata_items_limit(self, project_id: str) -> int:
        """How many metadata items a server of the project may have (-1: no limit)."""
        async with self.db.session() as session:
            return (await self.quota_limits(session, project_id)).get("metadata_items", -1)

    async def quota_usage(self, session: AsyncSession, project_id: str,
                          user_id: str | None = None) -> dict[str, int]:
        stmt = select(func.count(Server.id), func.coalesce(func.sum(Server.vcpus), 0),
                      func.coalesce(func.sum(Server.memory_mb), 0)).where(
            Server.project_id == project_id, Server.deleted.is_(False))
        if user_id is not None:
            stmt = stmt.where(Server.user_id == user_id)
        instances, cores, ram = (await session.execute(stmt)).one()
        groups = await session.scalar(select(func.count(ServerGroup.id)).where(
            ServerGroup.project_id == project_id))
        keypairs = 0
        if user_id is not None:
            keypairs = await session.scalar(select(func.count(Keypair.id)).where(
                Keypair.user_id == user_id)) or 0
        return {"instances": int(instances), "cores": int(cores), "ram": int(ram),
                "server_groups": int(groups or 0), "key_pairs": int(keypairs)}

    async def check_server_quota(self, session: AsyncSession, project_id: str,
                                 count: int, vcpus: int, memory_mb: int,
                                 min_count: int | None = None) -> int:
        """How many of `count` servers fit (at least min_count, else QuotaExceeded as nova
        words it). Call inside the session locked with quota_lock(project_id)."""
        limits = await self.quota_limits(session, project_id)
        wanted = {"instances": 1, "cores": vcpus, "ram": memory_mb}
        if all(limits.get(r, -1) < 0 for r in SERVER_RESOURCES):
            return count
        used = await self.quota_usage(session, project_id)
        fits = count
        for resource in SERVER_RESOURCES:
            limit = limits.get(resource, -1)
            if limit >= 0 and wanted[resource] > 0:
                fits = min(fits, (limit - used[resource]) // wanted[resource])
        floor = count if min_count is None else min_count
        if fits >= floor:
            return fits
        over = [r for r in SERVER_RESOURCES if 0 <= limits.get(r, -1)
                < used[r] + wanted[r] * floor]
        raise errors.QuotaExceeded(
            resources=", ".join(over),
            requested=", ".join(str(wanted[r] * floor) for r in over),
            used=", ".join(str(used[r]) for r in over),
            allowed=", ".join(str(limits[r]) for r in over))

    async def absolute_limits(self, project_id: str) -> dict[str, Any]:
        async with self.db.session() as session:
            limits = await self.quota_limits(session, project_id)
            used = await self.quota_usage(session, project_id)
        return {"maxTotalInstances": limits["instances"], "maxTotalCores": limits["cores"],
                "maxTotalRAMSize": limits["ram"], "maxServerMeta": limits["metadata_items"],
                "maxTotalKeypairs": limits["key_pairs"],
                "maxServerGroups": limits["server_groups"],
                "maxServerGroupMembers": limits["server_group_members"],
                "maxPersonality": limits["injected_files"],
                "maxPersonalitySize": limits["injected_file_content_bytes"],
                "maxImageMeta": limits["metadata_items"],
                "maxSecurityGroups": -1, "maxSecurityGroupRules": -1,
                "maxTotalFloatingIps": -1,
                "totalInstancesUsed": used["instances"], "totalCoresUsed": used["cores"],
                "totalRAMUsed": used["ram"], "totalServerGroupsUsed": used["server_groups"],
                "totalSecurityGroupsUsed": 0, "totalFloatingIpsUsed": 0}

    async def show_quotas(self, project_id: str, user_id: str | None = None,
                          ) -> tuple[dict[str, int], dict[str, int]]:
        """(limits, usage) of a project, or of one user in it."""
        async with self.db.session() as session:
            return (await self.quota_limits(session, project_id, user_id),
                    await self.quota_usage(session, project_id, user_id))

    async def default_quotas(self) -> dict[str, int]:
        async with self.db.session() as session:
            limits = dict(self.settings.quotas)
            for row in await session.scalars(select(QuotaClass).where(
                    QuotaClass.class_name == "default")):
                limits[row.resource] = row.hard_limit
        return limits

    async def update_quotas(self, project_id: str, values: dict[str, int], force: bool,
                            user_id: str | None = None) -> None:
        """Set limits; without force, a limit below what is used is refused (nova)."""
        async with self.db.session(lock=quota_lock(project_id)) as session:
            if not force:
                used = await self.quota_usage(session, project_id, user_id)
                for resource, limit in values.items():
                    if 0 <= limit < used.get(resource, 0):
                        raise errors.InvalidInput(
                            reason=f"Quota limit {limit} for {resource} must be greater "
                            f"than or equal to already used and reserved "
                            f"{used[resource]}.")
            for resource, limit in values.items():
                row = await session.get(Quota, (project_id, user_id or "", resource))
                if row is None:
                    session.add(Quota(project_id=project_id, user_id=user_id or "",
                                      resource=resource, hard_limit=limit))
                else:
                    row.hard_limit = limit

    async def delete_quotas(self, project_id: str, user_id: str | None = None) -> None:
        async with self.db.session(lock=quota_lock(project_id)) as session:
            stmt = delete(Quota).where(Quota.project_id == project_id)
            if user_id is not None:
                stmt = stmt.where(Quota.user_id == user_id)
            await session.execute(stmt)

    async def update_quota_class(self, values: dict[str, int]) -> dict[str, int]:
        async with self.db.session(lock="compute-quota-classes") as session:
            for resource, limit in values.items():
                row = await session.get(QuotaClass, ("default", resource))
                if row is None:
                    session.add(QuotaClass(class_name="default", resource=resource,
                                           hard_limit=limit))
                else:
                    row.hard_limit = limit
        return await self.default_quotas()
