"""What every part of the conductor shares: the database, the bus, the settings; the
bus methods its parts serve (each names them in `HANDLERS`) and the periodic checks
they run on its heartbeat (`PERIODIC`); faults, service heartbeats, and the generic
state update and event record agents report through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute.config import ComputeSettings
from gureum.compute.manager.base import fault, new_id, record_event
from gureum.compute.messages import CONDUCTOR_BINARY, CONDUCTOR_TOPIC
from gureum.compute.models import ComputeService, Server
from gureum.core.bus import Bus
from gureum.core.db import Database, transition, utcnow

log = logging.getLogger(__name__)
WORKERS = 8


async def report_service(db: Database, binary: str, host: str, zone: str) -> None:
    """A service's heartbeat: its row in os-services, made on first report."""
    async with db.session(lock=service_lock(binary, host)) as session:
        await heartbeat(session, binary, host, zone)


def service_lock(binary: str, host: str) -> str:
    return f"compute-service:{binary}:{host}"


async def heartbeat(session: AsyncSession, binary: str, host: str, zone: str) -> None:
    """The service's row says it reported now (made on its first report); the caller
    holds service_lock."""
    now = utcnow()
    done = await session.execute(update(ComputeService).where(
        ComputeService.binary == binary, ComputeService.host == host).values(updated_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        session.add(ComputeService(uuid=new_id(), binary=binary, host=host,
                                   availability_zone=zone, created_at=now, updated_at=now))


async def every(interval: float, step: Callable[[], Awaitable[None]], what: str) -> None:
    """A service's periodic task (its report, and what it checks then), for ever; a
    failure is logged and the next round tries again."""
    while True:
        await asyncio.sleep(interval)
        try:
            await step()
        except Exception as exc:
            log.warning("%s could not report: %s", what, exc)


class Reporting:
    """A service with a periodic task: started once it serves, cancelled on stop."""

    _task: asyncio.Task[None] | None = None

    def start_reporting(self, interval: float, step: Callable[[], Awaitable[None]],
                        what: str) -> None:
        self._task = asyncio.get_running_loop().create_task(every(interval, step, what))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


class ConductorBase(Reporting):
    HANDLERS: tuple[str, ...] = ("instance_update", "action_event")
    PERIODIC: tuple[str, ...] = ()  # methods run on every heartbeat

    def __init__(self, db: Database, bus: Bus, settings: ComputeSettings,
                 host: str | None = None) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.host = host or settings.host or socket.gethostname()

    async def start(self) -> None:
        handlers = {name: getattr(self, name) for name in self._named("HANDLERS")}
        for _ in range(WORKERS):
            await self.bus.serve(CONDUCTOR_TOPIC, handlers)
        await report_service(self.db, CONDUCTOR_BINARY, self.host, "internal")
        self.start_reporting(self.settings.report_interval, self._heartbeat, "conductor")

    def _named(self, attribute: str) -> list[str]:
        """Every part's names under `attribute`."""
        return sorted({name for cls in type(self).__mro__
                       for name in cls.__dict__.get(attribute, ())})

    async def _heartbeat(self) -> None:
        await report_service(self.db, CONDUCTOR_BINARY, self.host, "internal")
        for name in self._named("PERIODIC"):
            await getattr(self, name)()

    async def instance_update(self, server_id: str, values: dict[str, Any],
                              expected: dict[str, Any] | None = None) -> bool:
        """A conditional update of a server's state (only these columns)."""
        allowed = {"vm_state", "task_state", "power_state", "addresses", "fault",
                   "launched_at"}
        values = {k: v for k, v in values.items() if k in allowed}
        if values.get("fault"):  # the agent says what; the time is the database's
            values["fault"] = fault(str(values["fault"].get("message", "")))
        values["updated_at"] = utcnow()
        async with self.db.session() as session:
            return await transition(session, Server, server_id, values,
                                    **(expected or {}), deleted=False)

    async def action_event(self, server_id: str, event: str, host: str | None,
                           request_id: str | None = None, result: str | None = None,
                           traceback: str | None = None) -> None:
        async with self.db.session() as session:
            await record_event(session, server_id, request_id, event, host, result,
                               traceback)


