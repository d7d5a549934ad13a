"""Quotas: per-project overrides of the configured defaults (neutron's DbQuotaDriver),
with usage counted from the resources themselves. Enforcement is `check_quota` in the
base, called by each resource's create under a per-project lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from gureum.core.context import RequestContext
from gureum.core.errors import BadRequest
from gureum.network import errors
from gureum.network.manager.base import ManagerBase, quota_lock
from gureum.network.models import (
    FloatingIP,
    Network,
    Port,
    Quota,
    RBACPolicy,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    SubnetPool,
)

# The table each quota counts (every one has a project_id column).
COUNTED: dict[str, Any] = {
    "network": Network, "subnet": Subnet, "subnetpool": SubnetPool, "port": Port,
    "router": Router, "floatingip": FloatingIP, "security_group": SecurityGroup,
    "security_group_rule": SecurityGroupRule, "rbac_policy": RBACPolicy,
}
MAX_LIMIT = 2**31 - 1  # neutron's DB_INTEGER_MAX_VALUE


class Quotas(ManagerBase):
    def quota_resources(self) -> list[str]:
        return [name for name in self.settings.quotas if name in COUNTED]

    def default_quotas(self) -> dict[str, int]:
        return {name: self.settings.quotas[name] for name in self.quota_resources()}

    async def show_quota(self, project_id: str) -> dict[str, int]:
        """The project's limits: the defaults with its overrides on top."""
        async with self.db.session() as session:
            return await self._quota_limits(session, project_id)

    async def _quota_limits(self, session: Any, project_id: str) -> dict[str, int]:
        limits = self.default_quotas()
        for row in await session.scalars(select(Quota).where(Quota.project_id == project_id)):
            if row.resource in limits:
                limits[row.resource] = row.limit
        return limits

    async def list_quotas(self, context: RequestContext, admin: bool,
                          ) -> list[dict[str, Any]]:
        """Projects with overrides (all of them for admins, one's own otherwise)."""
        stmt = select(Quota.project_id).distinct()
        if not admin:
            stmt = stmt.where(Quota.project_id == (context.project_id or ""))
        async with self.db.session() as session:
            found = []
            for project_id in sorted(await session.scalars(stmt)):
                limits = await self._quota_limits(session, project_id)
                found.append({**limits, "project_id": project_id, "tenant_id": project_id})
        return found

    async def quota_details(self, project_id: str) -> dict[str, dict[str, int]]:
        async with self.db.session() as session:
            limits = await self._quota_limits(session, project_id)
            return {name: {"limit": limit,
                           "used": await self._quota_used(session, project_id, name),
                           "reserved": 0}
                    for name, limit in limits.items()}

    @staticmethod
    async def _quota_used(session: Any, project_id: str, resource: str) -> int:
        model = COUNTED[resource]
        return int((await session.execute(select(func.count()).select_from(model).where(
            model.project_id == project_id))).scalar_one())

    async def update_quota(self, project_id: str, spec: dict[str, Any],
                           check_limit: bool = False) -> dict[str, int]:
        limits = {name: self._quota_value(name, value) for name, value in spec.items()}
        locks = [quota_lock(project_id, name) for name in limits]
        async with self.db.session(lock=locks) as session:
            if check_limit:
                for name, limit in limits.items():
                    used = await self._quota_used(session, project_id, name)
                    if 0 <= limit < used:
                        raise BadRequest(f"Quota limit {limit} for {name} must be greater "
                                         f"than or equal to already used {used}")
            for name, limit in limits.items():
                row = await session.get(Quota, (project_id, name))
                if row is None:
                    session.add(Quota(project_id=project_id, resource=name, limit=limit))
                else:
                    row.limit = limit
            await session.flush()
            return await self._quota_limits(session, project_id)

    def _quota_value(self, name: str, value: Any) -> int:
        if name not in self.quota_resources():
            raise BadRequest(f"Unrecognized attribute(s) '{name}'")
        if isinstance(value, bool):
            raise errors.InvalidInput(error_message=f"'{value}' is not an integer")
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidInput(error_message=f"'{value}' is not an integer") from exc
        if number < -1:
            raise BadRequest(f"Invalid input for {name}. Reason: '{number}' is too small - "
                             "must be at least '-1'.")
        if number > MAX_LIMIT:
            raise BadRequest(f"Invalid input for {name}. Reason: '{number}' is too large - "
                             f"must be no more than '{MAX_LIMIT}'.")
        return number

    async def delete_quota(self, project_id: str) -> None:
        async with self.db.session() as session:
            gone = await session.execute(delete(Quota).where(Quota.project_id == project_id))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise errors.TenantQuotaNotFound(tenant_id=project_id)
