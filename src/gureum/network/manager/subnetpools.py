"""Subnet pools: prefixes (of one IP version, merged), the prefix lengths subnets may be
carved at, sharing and the per-version default pool. Subnets are carved from a pool by the
subnet part of the manager."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, or_, select

from gureum.core.context import RequestContext
from gureum.core.errors import BadRequest
from gureum.network import errors
from gureum.network.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.models import Subnet, SubnetPool, Tag

POOL_COLUMNS = {
    "id": SubnetPool.id, "name": SubnetPool.name, "project_id": SubnetPool.project_id,
    "tenant_id": SubnetPool.project_id, "ip_version": SubnetPool.ip_version,
    "default_prefixlen": SubnetPool.default_prefixlen,
    "min_prefixlen": SubnetPool.min_prefixlen, "max_prefixlen": SubnetPool.max_prefixlen,
    "shared": SubnetPool.shared, "is_default": SubnetPool.is_default,
    "default_quota": SubnetPool.default_quota, "address_scope_id": SubnetPool.address_scope_id,
    "description": SubnetPool.description, "revision_number": SubnetPool.revision_number,
    "created_at": SubnetPool.created_at, "updated_at": SubnetPool.updated_at,
}
MAX_LEN = {4: 32, 6: 128}
DEFAULT_MIN = {4: 8, 6: 64}
READ_ONLY = ("ip_version", "shared", "project_id", "tenant_id")
DEFAULT_POOL_NAME = "shared-default-subnetpool-v{version}"
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def visible_pools(context: RequestContext) -> Any:
    """One's own pools and shared ones."""
    if is_admin(context):
        return None
    return or_(SubnetPool.project_id == context.project_id, SubnetPool.shared)


def merged(prefixes: list[Any]) -> tuple[int, list[Net]]:
    """The prefixes, of one IP version, with overlapping and adjacent ones merged."""
    if not prefixes:
        raise errors.EmptySubnetPoolPrefixList()
    nets: list[Net] = []
    for text in prefixes:
        try:
            nets.append(ipaddress.ip_network(str(text), strict=False))
        except ValueError as exc:
            raise errors.InvalidInput(error_message=f"'{text}' is not a valid IP subnet"
                                      ) from exc
    versions = {n.version for n in nets}
    if len(versions) > 1:
        raise errors.PrefixVersionMismatch()
    version = versions.pop()
    return version, list(ipaddress.collapse_addresses(nets))  # type: ignore[type-var]


def bounds(version: int, spec: dict[str, Any], current: SubnetPool | None = None,
           ) -> tuple[int, int, int]:
    """min, default and max prefix lengths, defaulted and checked as neutron does."""
    def read(key: str, fallback: int) -> int:
        value = spec.get(key)
        if value is None:
            value = getattr(current, key) if current is not None else fallback
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidInput(error_message=f"'{value}' is not an integer") from exc

    low = read("min_prefixlen", DEFAULT_MIN[version])
    high = read("max_prefixlen", MAX_LEN[version])
    default = read("default_prefixlen", low)
    if low < 0:
        raise errors.UnsupportedMinSubnetPoolPrefix(prefix=low, version=version)
    if low > high:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="min_prefixlen", prefixlen=low, base_prefix_type="max_prefixlen",
            base_prefixlen=high)
    if high > MAX_LEN[version]:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="max_prefixlen", prefixlen=high, base_prefix_type="ip_version_max",
            base_prefixlen=MAX_LEN[version])
    if default < low:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="default_prefixlen", prefixlen=default, base_prefix_type="min_prefixlen",
            base_prefixlen=low)
    if default > high:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="default_prefixlen", prefixlen=default, base_prefix_type="max_prefixlen",
            base_prefixlen=high)
    return low, default, high


class SubnetPools(ManagerBase):
    async def create_subnetpool(self, context: RequestContext, spec: dict[str, Any],
                                ) -> SubnetPool:
        project_id = self.project_for(context, spec, "subnetpool")
        version, prefixes = merged(spec.get("prefixes") or [])
        low, default, high = bounds(version, spec)
        self._pool_scope(spec.get("address_scope_id"))
        locks = [quota_lock(project_id, "subnetpool"), f"subnetpool-default:{version}"]
        async with self.db.session(lock=locks) as session:
            await self.check_quota(session, project_id, "subnetpool", SubnetPool)
            if spec.get("is_default"):
                await self._pool_default_free(session, version, None)
            pool = SubnetPool(
                id=new_id(), project_id=project_id, name=spec.get("name") or "",
                description=spec.get("description") or "", ip_version=version,
                prefixes=[str(p) for p in prefixes], min_prefixlen=low,
                default_prefixlen=default, max_prefixlen=high,
                shared=bool(spec.get("shared", False)),
                is_default=bool(spec.get("is_default", False)),
                default_quota=self._pool_quota(spec.get("default_quota")),
                address_scope_id=None)
            session.add(pool)
        return pool

    @staticmethod
    def _pool_scope(address_scope_id: str | None) -> None:
        if address_scope_id is not None:  # no address scopes in this cloud
            raise errors.AddressScopeNotFound(address_scope_id=address_scope_id)

    @staticmethod
    def _pool_quota(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or \
                not str(value).lstrip("-").isdigit():
            raise errors.InvalidInput(error_message=f"'{value}' is not an integer")
        if int(value) < 0:
            raise BadRequest(f"Invalid input for default_quota. Reason: '{value}' should be "
                             "non-negative.")
        return int(value)

    @staticmethod
    async def _pool_default_free(session: Any, version: int, pool_id: str | None) -> None:
        stmt = select(SubnetPool.id).where(SubnetPool.is_default,
                                           SubnetPool.ip_version == version)
        if pool_id is not None:
            stmt = stmt.where(SubnetPool.id != pool_id)
        if (await session.scalars(stmt)).first() is not None:
            raise errors.InvalidInput(error_message="A default subnetpool for this IP family "
                                      "has already been set. Only one default may exist per "
                                      "IP family")

    async def list_subnetpools(self, context: RequestContext, query: ListQuery,
                               ) -> tuple[list[SubnetPool], dict[str, list[str]]]:
        stmt = select(SubnetPool)
        visible = visible_pools(context)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, POOL_COLUMNS, query)
        stmt = tagged(stmt, SubnetPool.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, SubnetPool, POOL_COLUMNS, query), leftover

    async def _pool_for(self, session: Any, context: RequestContext,
                        pool_id: str) -> SubnetPool:
        return await self._get(session, SubnetPool, pool_id,
                               errors.SubnetPoolNotFound(subnetpool_id=pool_id),
                               visible_pools(context))

    async def show_subnetpool(self, context: RequestContext, pool_id: str) -> SubnetPool:
        async with self.db.session() as session:
            return await self._pool_for(session, context, pool_id)

    async def update_subnetpool(self, context: RequestContext, pool_id: str,
                                spec: dict[str, Any]) -> SubnetPool:
        for key in READ_ONLY:
            if key in spec:
                raise BadRequest(f"Cannot update read-only attribute {key}")
        self._pool_scope(spec.get("address_scope_id"))
        async with self.db.session() as session:
            version = (await self._pool_for(session, context, pool_id)).ip_version
        async with self.db.session(lock=[f"subnetpool:{pool_id}",
                                         f"subnetpool-default:{version}"]) as session:
            pool = await self._pool_for(session, context, pool_id)
            if "prefixes" in spec:
                pool.prefixes = self._pool_grown(pool, spec["prefixes"])
            low, default, high = bounds(pool.ip_version, spec, pool)
            pool.min_prefixlen, pool.default_prefixlen, pool.max_prefixlen = low, default, high
            if spec.get("is_default") and not pool.is_default:
                await self._pool_default_free(session, pool.ip_version, pool.id)
            if "is_default" in spec:
                pool.is_default = bool(spec["is_default"])
            if "default_quota" in spec:
                pool.default_quota = self._pool_quota(spec["default_quota"])
            for key in ("name", "description"):
                if key in spec:
                    setattr(pool, key, spec[key] or "")
            self.bump(pool)
        return pool

    @staticmethod
    def _pool_grown(pool: SubnetPool, asked: list[Any]) -> list[str]:
        """Prefixes may be added, never taken away."""
        version, new = merged(asked or [])
        if version != pool.ip_version:
            raise errors.PrefixVersionMismatch()
        for old in pool.prefixes:
            prefix = ipaddress.ip_network(old)
            if not any(prefix.subnet_of(n) for n in new):  # type: ignore[arg-type]
                raise errors.IllegalSubnetPoolPrefixUpdate(msg="Existing prefixes must be a "
                                                           "subset of the new prefixes")
        return [str(n) for n in new]

    async def delete_subnetpool(self, context: RequestContext, pool_id: str) -> None:
        async with self.db.session(lock=f"subnetpool:{pool_id}") as session:
            pool = await self._pool_for(session, context, pool_id)
            used = (await session.scalars(select(Subnet.id).where(
                Subnet.subnetpool_id == pool_id).limit(1))).first()
            if used is not None:
                raise errors.SubnetPoolDeleteError(reason="Subnet pool has existing "
                                                   "allocations")
            await session.execute(delete(Tag).where(Tag.resource_id == pool_id))
            await session.delete(pool)

    async def ensure_default_subnetpool(self, prefixes: list[str], project_id: str = "",
                                        ) -> SubnetPool | None:
        """At bootstrap: the shared default IPv4 pool auto-allocated topologies carve
        from, unless there already is a default IPv4 pool. Idempotent."""
        if not prefixes:
            return None
        version, nets = merged(prefixes)
        async with self.db.session(lock=f"subnetpool-default:{version}") as session:
            found = (await session.scalars(select(SubnetPool).where(
                SubnetPool.is_default, SubnetPool.ip_version == version))).first()
            if found is not None:
                return found
            pool = SubnetPool(
                id=new_id(), project_id=project_id, name=DEFAULT_POOL_NAME.format(version=version),
                description="Default subnet pool", ip_version=version,
                prefixes=[str(n) for n in nets], min_prefixlen=DEFAULT_MIN[version],
                default_prefixlen=26 if version == 4 else 64, max_prefixlen=MAX_LEN[version],
                shared=True, is_default=True, default_quota=None)
            session.add(pool)
        return pool
