"""What the operator sees of the storage side: services (os-services), pools
(scheduler-stats/get_pools), availability zones, and user messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from gureum.block_storage import errors
from gureum.block_storage.manager.base import ManagerBase, is_admin
from gureum.block_storage.messages import VOLUME_BINARY
from gureum.block_storage.models import Message, Pool, Service
from gureum.core.context import RequestContext
from gureum.core.db import utcnow


class Services(ManagerBase):
    def service_is_up(self, row: Service) -> bool:
        return row.updated_at >= utcnow() - timedelta(seconds=self.settings.service_down_time)

    async def list_services(self, filters: dict[str, str]) -> list[Service]:
        stmt = select(Service).order_by(Service.binary, Service.host)
        if "host" in filters:
            stmt = stmt.where(Service.host == filters["host"])
        if "binary" in filters:
            stmt = stmt.where(Service.binary == filters["binary"])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def set_service_disabled(self, host: str, binary: str, disabled: bool,
                                   reason: str | None) -> Service:
        async with self.db.session() as session:
            row = (await session.scalars(select(Service).where(
                Service.host == host, Service.binary == binary))).first()
            if row is None:
                raise errors.ServiceNotFound(service_id=f"{binary} on {host}")
            row.disabled = disabled
            row.disabled_reason = reason if disabled else None
            return row

    async def list_pools(self) -> list[Pool]:
        """Pools of volume services that are up."""
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        async with self.db.session() as session:
            return list(await session.scalars(
                select(Pool).join(Service, (Service.host == Pool.backend)
                                  & (Service.binary == VOLUME_BINARY))
                .where(Service.updated_at >= cutoff).order_by(Pool.name)))

    async def availability_zones(self) -> list[tuple[str, bool]]:
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Service).where(
                Service.binary == VOLUME_BINARY)))
        zones: dict[str, bool] = {}
        for row in rows:
            zones[row.availability_zone] = zones.get(row.availability_zone, False) or (
                self.service_is_up(row) and not row.disabled)
        return sorted(zones.items())

    # ------------------------------------------------------------ user messages
    async def list_messages(self, context: RequestContext, filters: dict[str, str],
                            ) -> list[Message]:
        stmt = select(Message).where(Message.expires_at > utcnow()).order_by(
            Message.created_at.desc(), Message.id)
        if not is_admin(context):
            stmt = stmt.where(Message.project_id == (context.project_id or ""))
        for name in ("resource_uuid", "resource_type", "event_id", "request_id",
                     "message_level"):
            if name in filters:
                stmt = stmt.where(getattr(Message, name) == filters[name])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def message_for(self, session: Any, context: RequestContext,
                          message_id: str) -> Message:
        row = await session.get(Message, message_id)
        if row is None or (not is_admin(context) and row.project_id != context.project_id):
            raise errors.MessageNotFound(message_id=message_id)
        return row  # type: ignore[no-any-return]

    async def show_message(self, context: RequestContext, message_id: str) -> Message:
        async with self.db.session() as session:
            return await self.message_for(session, context, message_id)

    async def delete_message(self, context: RequestContext, message_id: str) -> None:
        async with self.db.session() as session:
            await self.message_for(session, context, message_id)
            await session.execute(delete(Message).where(Message.id == message_id))
