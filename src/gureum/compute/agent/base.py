"""What every part of the compute agent shares: its bus, host, services and driver; the
bus methods its parts serve (each part names them in `HANDLERS`); its heartbeat, which
reports the host's inventory and now and then finishes what was left half-done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from gureum.clients.image import ImageClient
from gureum.clients.network import NetworkClient
from gureum.clients.volume import VolumeClient
from gureum.compute.config import ComputeSettings, HostSettings
from gureum.compute.drivers.base import ComputeDriver
from gureum.compute.drivers.fake import FakeComputeDriver
from gureum.compute.messages import CONDUCTOR_TOPIC, compute_topic
from gureum.core.bus import Bus, Handler

log = logging.getLogger(__name__)
WORKERS = 4
RESYNC_EVERY = 6  # reports
RPC_TIMEOUT = 30.0


class AgentBase:
    HANDLERS: tuple[str, ...] = ()  # the bus methods a part serves

    def __init__(self, bus: Bus, host: str, settings: ComputeSettings,
                 network: NetworkClient, driver: ComputeDriver | None = None,
                 capacity: HostSettings | None = None,
                 volumes: VolumeClient | None = None,
                 images: ImageClient | None = None) -> None:
        self.bus = bus
        self.host = host
        self.settings = settings
        self.network = network  # the Network service, as nova
        self.volumes = volumes  # the Block Storage service, as nova
        self.images = images  # the Image service, as nova
        self.capacity = capacity or settings.host_defaults
        self.driver: ComputeDriver = driver or FakeComputeDriver(self.capacity)
        self._tasks: list[asyncio.Task[None]] = []
        # (work, server or migration) under way here now: "build", "delete", "action",
        # or a move's step
        self._under_way: set[tuple[str, str]] = set()
        self._aborting: set[str] = set()  # live migrations under way here to stop

    # ------------------------------------------------------------ life
    async def start(self) -> None:
        handlers = self.handlers()
        for _ in range(WORKERS):
            await self.bus.serve(compute_topic(self.host), handlers)
        try:  # registered before start returns, so the scheduler sees the host at once
            await self.report(call=True)
        except Exception as exc:  # the conductor is not up yet: the heartbeat retries
            log.warning("compute agent %s could not register: %s", self.host, exc)
        self._tasks = [asyncio.get_running_loop().create_task(self._heartbeat())]

    def under_way(self, work: str, key: str) -> bool:
        return (work, key) in self._under_way

    @contextlib.contextmanager
    def working(self, work: str, key: str) -> Iterator[None]:
        """Marks `work` on `key` under way here while inside (what the resyncs skip)."""
        self._under_way.add((work, key))
        try:
            yield
        finally:
            self._under_way.discard((work, key))

    async def once(self, work: str, key: str, run: Callable[[], Awaitable[None]]) -> None:
        """`run`, unless the same work on the same thing is under way here already (a
        resync finding it slow, a message delivered twice)."""
        if self.under_way(work, key):
            return
        with self.working(work, key):
            await run()

    def handlers(self) -> dict[str, Handler]:
        """Every part's bus methods."""
        names = {name for cls in type(self).__mro__ for name in cls.__dict__.get("HANDLERS", ())}
        return {name: getattr(self, name) for name in sorted(names)}

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []

    async def _heartbeat(self) -> None:
        reports = 0
        await self._safely(self.resync_after_start)
        while True:
            await asyncio.sleep(self.settings.report_interval)
            reports += 1
            await self._safely(self.report)
            if reports % RESYNC_EVERY == 0:
                await self._safely(self.resync)

    async def _safely(self, step: Any) -> None:
        try:
            await step()
        except Exception as exc:
            log.warning("compute agent %s: %s failed: %s", self.host, step.__name__, exc)

    async def report(self, call: bool = False) -> None:
        resources = await self.driver.host_resources()
        state = {"host": self.host, "zone": self.capacity.availability_zone,
                 "resources": {"vcpus": resources.vcpus, "memory_mb": resources.memory_mb,
                               "local_gb": resources.local_gb,
                               "hypervisor_type": resources.hypervisor_type,
                               "hypervisor_version": resources.hypervisor_version,
                               "cpu_info": resources.cpu_info}}
        if call:
            await self.bus.call(CONDUCTOR_TOPIC, "report_host", timeout=10.0, **state)
        else:
            await self.bus.cast(CONDUCTOR_TOPIC, "report_host", **state)

    async def resync_after_start(self) -> None:
        """Everything under way before this agent started: no message about it is coming
        any more (a message that still comes finds the work done)."""
        await self.resync(older_than=0.0)

    async def resync(self, older_than: float | None = None) -> None:
        raise NotImplementedError  # the composed agent knows every part's leftovers

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await self.bus.call(CONDUCTOR_TOPIC, method, timeout=RPC_TIMEOUT, **kwargs)

    async def _event(self, server_id: str, event: str, request_id: str | None,
                     result: str | None = None, traceback: str | None = None) -> None:
        """An instance action's event begun (no result) or ended here."""
        await self._call("action_event", server_id=server_id, event=event, host=self.host,
                         request_id=request_id, result=result, traceback=traceback)
