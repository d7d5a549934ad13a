"""Group commit: calls that would each take the same lock, one after another, run
together instead.

Creates that serialise on one lock (ports on one network: its addresses) spend most of
their time on what every such transaction repeats (begin, the same reads, commit, the
notification after). `Batches.submit(key, item)` queues the item; one task per key takes
everything queued so far and hands it to `run(key, items)` in one call, which answers
one result (or exception) per item. A lone call runs at once, as before; under load each
transaction serves all the callers that arrived while the previous one ran."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741 (the item, as K is the key)
R = TypeVar("R")


class Batches(Generic[K, I, R]):
    def __init__(self, run: Callable[[K, list[I]], Awaitable[list[R | Exception]]],
                 limit: int = 64) -> None:
        self._run = run
        self._limit = limit
        self._queued: dict[K, list[tuple[I, asyncio.Future[R]]]] = {}
        self._workers: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, item: I) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queued.setdefault(key, []).append((item, future))
        if key not in self._workers:
            # Its own task: a caller that goes away (a client hung up) does not take the
            # batch, and everyone else's answer, with it.
            self._workers[key] = asyncio.create_task(self._drain(key))
        return await future

    async def _drain(self, key: K) -> None:
        batch: list[tuple[I, asyncio.Future[R]]] = []
        try:
            while queued := self._queued.pop(key, None):
                batch, rest = queued[:self._limit], queued[self._limit:]
                if rest:
                    self._queued[key] = rest
                try:
                    outcomes = await self._run(key, [item for item, _ in batch])
                except Exception as exc:  # the batch as a whole failed: all of it did
                    outcomes = [exc] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller was cancelled
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            del self._workers[key]
            # Cancelled (the process is stopping): nobody may wait for ever.
            for _, future in [*batch, *self._queued.pop(key, [])]:
                if not future.done():
                    future.cancel()
