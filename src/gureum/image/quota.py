"""Per-project image quotas, as glance enforces keystone's unified limits: the limits come
from Identity (`openstack limit …`), the usage from our own tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.db import Database
from gureum.core.errors import PayloadTooLarge
from gureum.image.models import Image

SERVICE_TYPE = "image"
MIB = 1 << 20
UPLOADING = ("saving", "uploading", "importing")
STORED = ("active", "deactivated")


class LimitSource(Protocol):
    async def project_limits(self, service_type: str, project_id: str) -> dict[str, int]: ...


class OverLimit(PayloadTooLarge):
    message = "Project {project_id} is over a limit for [{detail}]"


class Quota:
    """Checks run inside a transaction locked per project (`lock(project)`), so two
    requests racing for the last unit cannot both pass."""

    def __init__(self, db: Database, limits: LimitSource | None) -> None:
        self.db = db
        self.limits = limits

    @staticmethod
    def lock(project: str | None) -> str:
        return f"image-quota:{project}"

    async def check(self, session: AsyncSession, project: str | None, **deltas: int) -> None:
        """Raise 413 if any resource would go over its limit with these additions."""
        if self.limits is None or project is None:
            return
        limits = await self.limits.project_limits(SERVICE_TYPE, project)
        for resource, delta in deltas.items():
            limit = limits.get(resource, -1)
            if limit < 0:
                continue
            usage = await self.usage(session, project, resource)
            scale = MIB if resource.startswith(("image_size", "image_stage")) else 1
            if usage + delta > limit * scale:
                unit = " bytes" if scale == MIB else ""
                raise OverLimit(project_id=project, detail=(
                    f"Resource {resource} is over limit of {limit}"
                    f"{' MiB' if scale == MIB else ''} due to current usage {usage}{unit} "
                    f"and delta {delta}{unit}"))

    async def remaining_bytes(self, session: AsyncSession, project: str | None,
                              resource: str) -> int | None:
        """How many more bytes the project may store (None: no limit)."""
        if self.limits is None or project is None:
            return None
        limit = (await self.limits.project_limits(SERVICE_TYPE, project)).get(resource, -1)
        if limit < 0:
            return None
        return max(0, limit * MIB - await self.usage(session, project, resource))

    @staticmethod
    async def usage(session: AsyncSession, project: str, resource: str) -> int:
        owned = Image.owner == project
        stmt: Select[Any]
        if resource == "image_count_total":
            stmt = select(func.count()).where(owned)
        elif resource == "image_count_uploading":
            stmt = select(func.count()).where(owned, Image.status.in_(UPLOADING))
        elif resource == "image_size_total":
            stmt = select(func.sum(Image.size)).where(owned, Image.status.in_(STORED))
        elif resource == "image_stage_total":
            stmt = select(func.sum(Image.size)).where(owned,
                                                      Image.status.in_(("uploading",
                                                                        "importing")))
        else:
            return 0
        return int((await session.scalar(stmt)) or 0)


async def capped(chunks: AsyncIterator[bytes], allowed: int | None, project: str | None,
                 resource: str) -> AsyncIterator[bytes]:
    """The stream, cut with a 413 the moment it passes what the quota still allows."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if allowed is not None and seen > allowed:
            raise OverLimit(project_id=project, detail=(
                f"Resource {resource} would be over its limit: {allowed} bytes remain"))
        yield chunk
