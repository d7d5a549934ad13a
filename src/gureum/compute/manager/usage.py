"""What projects used over a period (os-simple-tenant-usage): each server's hours
between its launch and its end (or the period's), times its vCPUs, RAM and disk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from gureum.compute.manager.base import ManagerBase
from gureum.compute.models import Server
from gureum.core.db import utcnow


@dataclass(frozen=True)
class ServerUsage:
    server: Server
    hours: float


class Usage(ManagerBase):
    async def usage(self, start: datetime, stop: datetime, project_id: str | None = None,
                    ) -> dict[str, list[ServerUsage]]:
        """Per project, the servers that ran some time within [start, stop]."""
        stmt = select(Server).where(
            Server.launched_at.is_not(None), Server.launched_at < stop,
            or_(Server.terminated_at.is_(None), Server.terminated_at > start))
        if project_id is not None:
            stmt = stmt.where(Server.project_id == project_id)
        async with self.db.session() as session:
            rows = list(await session.scalars(stmt.order_by(Server.launched_at, Server.id)))
        found: dict[str, list[ServerUsage]] = {}
        for row in rows:
            assert row.launched_at is not None
            began = max(row.launched_at, start)
            ended = min(row.terminated_at or stop, stop)
            hours = max((ended - began).total_seconds(), 0.0) / 3600
            found.setdefault(row.project_id, []).append(ServerUsage(row, hours))
        return found


def server_usage(usage: ServerUsage) -> dict[str, Any]:
    row, hours = usage.server, usage.hours
    assert row.launched_at is not None
    ended = row.terminated_at
    uptime = ((ended or utcnow()) - row.launched_at).total_seconds()
    return {"instance_id": row.id, "name": row.name, "hours": hours,
            "memory_mb": row.memory_mb, "vcpus": row.vcpus,
            "local_gb": row.root_gb + int(row.flavor.get("ephemeral") or 0),
            "tenant_id": row.project_id, "flavor": row.flavor.get("name", ""),
            "started_at": row.launched_at.isoformat(),
            "ended_at": ended.isoformat() if ended else None,
            "state": "terminated" if row.deleted else row.vm_state, "uptime": int(uptime)}


def tenant_usage(project_id: str, usages: list[ServerUsage], start: datetime,
                 stop: datetime, detailed: bool) -> dict[str, Any]:
    servers = [server_usage(u) for u in usages]
    body: dict[str, Any] = {
        "tenant_id": project_id, "start": start.isoformat(), "stop": stop.isoformat(),
        "total_hours": sum(s["hours"] for s in servers),
        "total_vcpus_usage": sum(s["hours"] * s["vcpus"] for s in servers),
        "total_memory_mb_usage": sum(s["hours"] * s["memory_mb"] for s in servers),
        "total_local_gb_usage": sum(s["hours"] * s["local_gb"] for s in servers)}
    if detailed:
        body["server_usages"] = servers
    return body
