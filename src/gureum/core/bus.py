"""The message bus: RPC call/cast to a topic, and notifications to every subscriber.

Two implementations with one interface: `InProcessBus` (the embedded default) and
`AmqpBus` (RabbitMQ, AMQP 0-9-1). Payloads are JSON on both, so no Python object is ever
shared between roles: the in-process bus round-trips every payload through JSON too.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]
Listener = Callable[[dict[str, Any]], Awaitable[None]]


class RemoteError(Exception):
    """An RPC handler on the other side raised; carries its class name and message."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(f"{kind}: {message}")

    @classmethod
    def from_exception(cls, exc: Exception) -> RemoteError:
        """What the caller sees of a handler's failure (a RemoteError raised on the server
        side, e.g. NoSuchMethod, keeps its own kind)."""
        if isinstance(exc, RemoteError):
            return cls(exc.kind, exc.message)
        return cls(type(exc).__name__, str(exc))


class BusTimeout(Exception):
    pass


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def call(self, topic: str, method: str, timeout: float = 60.0,
                   **kwargs: Any) -> Any: ...

    async def cast(self, topic: str, method: str, **kwargs: Any) -> None: ...

    async def serve(self, topic: str, handlers: dict[str, Handler]) -> None: ...

    async def notify(self, publisher: str, event_type: str, payload: dict[str, Any]) -> None: ...

    async def subscribe(self, pattern: str, listener: Listener) -> None:
        """Every subscriber gets every notification whose event_type matches the glob."""
        ...


def notification(publisher: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The envelope oslo.messaging's notifier puts around a payload."""
    return {
        "message_id": str(uuid.uuid4()),
        "publisher_id": publisher,
        "event_type": event_type,
        "priority": "INFO",
        "payload": payload,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }


def to_wire(value: Any) -> bytes:
    """A message body: JSON (orjson: a network's DHCP state of 10,000 ports crosses in a
    tenth of json's time); TypeError if it is not JSON."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def from_wire(body: bytes | str) -> Any:
    return orjson.loads(body)


def _roundtrip(value: Any) -> Any:
    return from_wire(to_wire(value))


async def dispatch(handlers: dict[str, Handler], method: str, kwargs: dict[str, Any]) -> Any:
    handler = handlers.get(method)
    if handler is None:
        raise RemoteError("NoSuchMethod", f"no handler for {method!r}")
    return await handler(**kwargs)


class InProcessBus:
    """Topics are asyncio queues served by tasks; the semantics match the AMQP bus: a cast
    returns before it runs, a call waits for the one server that takes it."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[tuple[str, dict[str, Any],
                                                    asyncio.Future[Any] | None]]] = {}
        self._listeners: list[tuple[str, Listener]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _queue(self, topic: str) -> asyncio.Queue[Any]:
        return self._queues.setdefault(topic, asyncio.Queue())

    async def call(self, topic: str, method: str, timeout: float = 60.0, **kwargs: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue(topic).put((method, _roundtrip(kwargs), future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise BusTimeout(f"no reply from {topic}.{method} in {timeout}s") from exc

    async def cast(self, topic: str, method: str, **kwargs: Any) -> None:
        await self._queue(topic).put((method, _roundtrip(kwargs), None))

    async def serve(self, topic: str, handlers: dict[str, Handler]) -> None:
        queue = self._queue(topic)

        async def worker() -> None:
            while True:
                method, kwargs, future = await queue.get()
                if future is not None and future.done():
                    continue  # the caller gave up (timed out): as on RabbitMQ, it expired
                try:
                    # The result crosses the bus too: one that is not JSON fails here, on
                    # the server side, as it does on RabbitMQ.
                    result = _roundtrip(await dispatch(handlers, method, kwargs))
                    if future is not None and not future.done():
                        future.set_result(result)
                except Exception as exc:  # a handler's failure must not stop the server
                    if future is not None and not future.done():
                        future.set_exception(RemoteError.from_exception(exc))
                    else:
                        log.exception("cast %s.%s failed", topic, method)

        self._spawn(worker())

    async def notify(self, publisher: str, event_type: str, payload: dict[str, Any]) -> None:
        message = _roundtrip(notification(publisher, event_type, payload))
        for pattern, listener in list(self._listeners):
            if fnmatch.fnmatchcase(event_type, pattern):
                self._spawn(_deliver(listener, message))

    async def subscribe(self, pattern: str, listener: Listener) -> None:
        self._listeners.append((pattern, listener))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _deliver(listener: Listener, message: dict[str, Any]) -> None:
    try:
        await listener(message)
    except Exception:
        log.exception("notification listener failed on %s", message.get("event_type"))


def connect(url: str | None) -> Bus:
    """`None` or `memory://` → the in-process bus; `amqp://…` → RabbitMQ."""
    if not url or url.startswith("memory://"):
        return InProcessBus()
    if url.startswith(("amqp://", "amqps://")):
        from gureum.core.amqp import AmqpBus

        return AmqpBus(url)
    raise ValueError(f"unsupported bus URL {url!r}")
