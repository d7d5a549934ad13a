"""What every part of the compute control plane shares: the database, the bus, the
settings, the clients of the other services, who sees what, and instance actions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.clients.image import ImageClient
from gureum.clients.network import NetworkClient
from gureum.clients.volume import VolumeClient
from gureum.compute import errors
from gureum.compute.config import ComputeSettings
from gureum.compute.models import InstanceAction, InstanceActionEvent, Server
from gureum.core.bus import Bus
from gureum.core.context import RequestContext
from gureum.core.db import Database, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


def fault(message: str, code: int = 500, details: str = "") -> dict[str, Any]:
    return {"code": code, "message": message[:255], "details": details,
            "created": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}


def is_admin(context: RequestContext) -> bool:
    return context.is_admin or "admin" in context.roles


def quota_lock(project_id: str) -> str:
    return f"compute-quota:{project_id}"


async def record_action(session: AsyncSession, server: Server, action: str,
                        context: RequestContext) -> InstanceAction:
    """An instance action (os-instance-actions), started now by this request."""
    row = InstanceAction(server_id=server.id, request_id=context.request_id, action=action,
                         project_id=context.project_id or server.project_id,
                         user_id=context.user_id or server.user_id)
    session.add(row)
    return row


async def record_event(session: AsyncSession, server_id: str, request_id: str | None,
                       event: str, host: str | None, result: str | None = None,
                       traceback: str | None = None) -> None:
    """Start an event of the server's action of this request, or, with a result, finish
    it (and the action with it when the result is an error or the event ends it)."""
    stmt = select(InstanceAction).where(InstanceAction.server_id == server_id)
    if request_id:
        stmt = stmt.where(InstanceAction.request_id == request_id)
    action = (await session.scalars(stmt.order_by(InstanceAction.id.desc()).limit(1))).first()
    if action is None:
        return
    now = utcnow()
    found = (await session.scalars(select(InstanceActionEvent).where(
        InstanceActionEvent.action_id == action.id, InstanceActionEvent.event == event,
        InstanceActionEvent.finish_time.is_(None)))).first()
    if found is None:
        found = InstanceActionEvent(action_id=action.id, event=event, host=host,
                                    start_time=now)
        session.add(found)
    if result is not None:
        found.result, found.finish_time, found.traceback = result, now, traceback
        if result == "Error":  # the fault's message, which 2.84 shows as details
            found.details = (traceback or "")[:255] or None
        action.finish_time = now
        if result == "Error":
            action.message = "Error"
    action.updated_at = now


class ManagerBase:
    def __init__(self, db: Database, bus: Bus, settings: ComputeSettings,
                 images: ImageClient | None = None,
                 network: NetworkClient | None = None,
                 volumes: VolumeClient | None = None) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.images = images  # the Image service, as nova
        self.network = network  # the Network service, as nova
        self.volumes = volumes  # the Block Storage service, as nova
        # work a request started that outlives it (images of volume-backed servers)
        self.pending_images: set[asyncio.Task[None]] = set()

    async def server_for(self, session: AsyncSession, context: RequestContext,
                         server_id: str, *, deleted: bool = False) -> Server:
        stmt = select(Server).where(Server.id == server_id)
        if not deleted:
            stmt = stmt.where(Server.deleted.is_(False))
        if not is_admin(context):
            stmt = stmt.where(Server.project_id == (context.project_id or ""))
        row = (await session.scalars(stmt)).first()
        if row is None:
            raise errors.ServerNotFound(server_id=server_id)
        return row

    async def show_server(self, context: RequestContext, server_id: str) -> Server:
        async with self.db.session() as session:
            return await self.server_for(session, context, server_id)

    @staticmethod
    def visible(context: RequestContext) -> Any:
        return None if is_admin(context) else Server.project_id == (context.project_id or "")
