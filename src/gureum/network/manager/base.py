"""What every part of the network control plane shares: the database, the bus, the
settings, who may see what, quotas, and the hook that tells agents about changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.bus import Bus
from gureum.core.context import RequestContext
from gureum.core.db import Database
from gureum.core.errors import GureumError, PolicyNotAuthorized
from gureum.network import errors
from gureum.network.config import NetworkSettings
from gureum.network.models import Network, Quota, RBACPolicy, Tag

Row = TypeVar("Row")


def new_id() -> str:
    return str(uuid.uuid4())


def is_admin(context: RequestContext) -> bool:
    return context.is_admin or "admin" in context.roles


class AgentNotifier(Protocol):
    """How the control plane tells agents to look at something (hints, not state)."""

    async def network_changed(self, network_id: str) -> None: ...

    async def port_changed(self, port_id: str, host: str, network_id: str) -> None: ...

    async def ports_changed(self, network_id: str, ports: list[tuple[str, str]]) -> None: ...

    async def port_deleted(self, port_id: str, host: str, network_id: str) -> None: ...

    async def router_changed(self, router_id: str) -> None: ...

    async def security_groups_changed(self, group_ids: Iterable[str]) -> None: ...


class SilentNotifier:
    """No agents to tell (a control plane on its own, in unit tests)."""

    async def network_changed(self, network_id: str) -> None:
        return None

    async def port_changed(self, port_id: str, host: str, network_id: str) -> None:
        return None

    async def ports_changed(self, network_id: str, ports: list[tuple[str, str]]) -> None:
        return None

    async def port_deleted(self, port_id: str, host: str, network_id: str) -> None:
        return None

    async def router_changed(self, router_id: str) -> None:
        return None

    async def security_groups_changed(self, group_ids: Iterable[str]) -> None:
        return None


class ManagerBase:
    def __init__(self, db: Database, bus: Bus, settings: NetworkSettings) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.agents: AgentNotifier = SilentNotifier()
        # subnet id → the address this process handed out last there (where IPAM looks next)
        self.ipam_hints: dict[str, str] = {}

    # ------------------------------------------------------------ reading
    @staticmethod
    async def _get(session: AsyncSession, model: type[Row], row_id: str,
                   missing: GureumError, visible: ColumnElement[bool] | None = None) -> Row:
        stmt = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
        if visible is not None:
            stmt = stmt.where(visible)
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise missing
        return row

    @staticmethod
    def owned(context: RequestContext, model: Any) -> ColumnElement[bool] | None:
        """What a project sees of a resource only its owner (and admins) may see."""
        if is_admin(context):
            return None
        return model.project_id == context.project_id  # type: ignore[no-any-return]

    @staticmethod
    def visible_networks(context: RequestContext) -> ColumnElement[bool] | None:
        """Its own, shared and external networks, and those shared with it by RBAC."""
        if is_admin(context):
            return None
        granted = select(RBACPolicy.object_id).where(
            RBACPolicy.object_type == "network",
            RBACPolicy.target_tenant.in_([context.project_id or "", "*"]))
        return or_(Network.project_id == context.project_id, Network.shared,
                   Network.external, Network.id.in_(granted))

    async def network_for(self, session: AsyncSession, context: RequestContext,
                          network_id: str) -> Network:
        return await self._get(session, Network, network_id,
                               errors.NetworkNotFound(net_id=network_id),
                               self.visible_networks(context))

    async def tags_of(self, session: AsyncSession, ids: list[str]) -> dict[str, list[str]]:
        """Tags of the resources `ids`."""
        found: dict[str, list[str]] = {i: [] for i in ids}
        clauses = [Tag.resource_id.in_(chunk) for chunk in _chunks(ids, 500)]
        for clause in clauses:
            for resource_id, tag in await session.execute(
                    select(Tag.resource_id, Tag.tag).where(clause)):
                if resource_id in found:
                    found[resource_id].append(tag)
        return {k: sorted(v) for k, v in found.items()}

    @staticmethod
    def project_for(context: RequestContext, spec: dict[str, Any],
                    resource: str = "network") -> str:
        """The project a create is for: admins may name another one (`project_id` or
        the older `tenant_id`, which must then agree); everyone else makes their own."""
        asked = spec.get("project_id") or spec.get("tenant_id")
        if spec.get("tenant_id") and spec.get("project_id") and \
                spec["tenant_id"] != spec["project_id"]:
            raise errors.NeutronBadRequest(resource=resource,
                                           msg="'project_id' and 'tenant_id' do not match")
        if asked and asked != context.project_id and not is_admin(context):
            raise PolicyNotAuthorized(rule=f"create_{resource}")
        return str(asked or context.project_id or "")

    @staticmethod
    def bump(row: Any) -> None:
        row.revision_number += 1

    # ------------------------------------------------------------ quotas
    async def quota_limit(self, session: AsyncSession, project_id: str, resource: str) -> int:
        override = await session.get(Quota, (project_id, resource))
        if override is not None:
            return override.limit
        return self.settings.quotas.get(resource, -1)

    async def quota_usage(self, session: AsyncSession, project_id: str, resource: str,
                          model: Any, **where: Any) -> tuple[int, int]:
        """(limit, in use) of a project's resource; without a limit (-1) nothing is
        counted."""
        limit = await self.quota_limit(session, project_id, resource)
        if limit < 0:
            return limit, 0
        stmt = select(func.count()).select_from(model).where(model.project_id == project_id)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return limit, int((await session.execute(stmt)).scalar_one())

    async def check_quota(self, session: AsyncSession, project_id: str, resource: str,
                          model: Any, delta: int = 1, **where: Any) -> None:
        """Raise OverQuota when `delta` more would pass the project's limit. Call it inside
        `db.session(lock=quota_lock(project_id, resource))` so that racing creates count
        one another."""
        limit, used = await self.quota_usage(session, project_id, resource, model, **where)
        over_quota(limit, used + delta, resource)


def over_quota(limit: int, wanted: int, resource: str) -> None:
    if 0 <= limit < wanted:
        raise errors.OverQuota(overs=resource)


def quota_lock(project_id: str, resource: str) -> str:
    return f"network-quota:{project_id}:{resource}"


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
