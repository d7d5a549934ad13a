"""The RabbitMQ bus (AMQP 0-9-1, through aio-pika).

RPC: a topic exchange routes `topic` to a shared queue of that name, so several servers of
one topic compete for work; calls carry `reply_to` (a private queue per bus) and a
correlation id. A topic's queue is declared by its first sender as well as by its
servers, so a cast made before any server is up waits for one (as on the in-process bus);
a call's message expires with its timeout, so no server ever works on a call long
abandoned. Notifications: a second topic exchange keyed by event_type; each subscriber
binds its own exclusive queue, so every subscriber sees every event.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from gureum.core.bus import (
    BusTimeout,
    Handler,
    Listener,
    RemoteError,
    dispatch,
    from_wire,
    notification,
    to_wire,
)

log = logging.getLogger(__name__)

RPC_EXCHANGE = "gureum.rpc"
NOTIFY_EXCHANGE = "gureum.notifications"


GLOB_CHARACTERS = frozenset("*?[")


def binding_key(pattern: str) -> str:
    """A glob like `identity.user.*` becomes the AMQP key `identity.user.#`; the consumer
    filters again with the glob, so the key only has to be at least as wide."""
    if not GLOB_CHARACTERS & set(pattern):
        return pattern
    words = []
    for word in pattern.split("."):
        if GLOB_CHARACTERS & set(word):
            break
        words.append(word)
    return ".".join([*words, "#"])


def queue_name(topic: str) -> str:
    return f"gureum.{topic}"


class AmqpBus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._rpc: aio_pika.abc.AbstractExchange | None = None
        self._notify: aio_pika.abc.AbstractExchange | None = None
        self._reply_queue: aio_pika.abc.AbstractQueue | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._topics: set[str] = set()

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.url)
        self._channel = await self._connection.channel()
        await self._channel.set_qos(prefetch_count=32)
        self._rpc = await self._channel.declare_exchange(
            RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        self._notify = await self._channel.declare_exchange(
            NOTIFY_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        self._reply_queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await self._reply_queue.consume(self._on_reply, no_ack=True)

    async def stop(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = self._rpc = self._notify = None
        self._reply_queue = None
        self._topics.clear()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is None or future.done():
            return
        try:
            reply = from_wire(message.body)
            if "error" in reply:
                future.set_exception(RemoteError(reply["error"]["kind"],
                                                 reply["error"]["message"]))
            else:
                future.set_result(reply["result"])
        except (ValueError, KeyError, TypeError) as exc:
            future.set_exception(RemoteError("BadReply", f"unreadable reply: {exc}"))

    async def _topic(self, topic: str) -> aio_pika.abc.AbstractQueue:
        """The topic's shared queue, bound to the RPC exchange (declared once per bus)."""
        assert self._channel is not None and self._rpc is not None, "bus not started"
        queue = await self._channel.declare_queue(queue_name(topic), durable=True)
        if topic not in self._topics:
            await queue.bind(self._rpc, routing_key=topic)
            self._topics.add(topic)
        return queue

    async def _publish(self, topic: str, method: str, kwargs: dict[str, Any],
                       correlation_id: str | None = None,
                       timeout: float | None = None) -> None:
        assert self._rpc is not None and self._reply_queue is not None, "bus not started"
        body = to_wire({"method": method, "kwargs": kwargs})  # TypeError if not JSON
        if topic not in self._topics:
            await self._topic(topic)
        await self._rpc.publish(
            aio_pika.Message(body, content_type="application/json",
                             correlation_id=correlation_id,
                             reply_to=self._reply_queue.name if correlation_id else None,
                             expiration=timeout),
            routing_key=topic)

    async def call(self, topic: str, method: str, timeout: float = 60.0, **kwargs: Any) -> Any:
        correlation_id = str(uuid.uuid4())
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            await self._publish(topic, method, kwargs, correlation_id, timeout)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise BusTimeout(f"no reply from {topic}.{method} in {timeout}s") from exc
        finally:
            self._pending.pop(correlation_id, None)

    async def cast(self, topic: str, method: str, **kwargs: Any) -> None:
        await self._publish(topic, method, kwargs)

    async def serve(self, topic: str, handlers: dict[str, Handler]) -> None:
        queue = await self._topic(topic)

        async def on_request(message: AbstractIncomingMessage) -> None:
            async with message.process(requeue=False):
                method = "?"
                try:
                    request = from_wire(message.body)
                    method = request["method"]
                    result = await dispatch(handlers, method, request["kwargs"])
                    # Encoded here, so a result that is not JSON is the handler's error.
                    body = to_wire({"result": result})
                except Exception as exc:
                    if not message.reply_to:
                        log.exception("cast %s.%s failed", topic, method)
                    error = RemoteError.from_exception(exc)
                    body = to_wire({"error": {"kind": error.kind, "message": error.message}})
                if message.reply_to and self._channel is not None:
                    await self._channel.default_exchange.publish(
                        aio_pika.Message(body, content_type="application/json",
                                         correlation_id=message.correlation_id),
                        routing_key=message.reply_to)

        await queue.consume(on_request)

    async def notify(self, publisher: str, event_type: str, payload: dict[str, Any]) -> None:
        assert self._notify is not None, "bus not started"
        body = to_wire(notification(publisher, event_type, payload))
        await self._notify.publish(aio_pika.Message(body, content_type="application/json"),
                                   routing_key=event_type)

    async def subscribe(self, pattern: str, listener: Listener) -> None:
        assert self._channel is not None and self._notify is not None, "bus not started"
        queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self._notify, routing_key=binding_key(pattern))

        async def on_event(message: AbstractIncomingMessage) -> None:
            async with message.process(ignore_processed=True):
                event = from_wire(message.body)
                if fnmatch.fnmatchcase(event["event_type"], pattern):
                    try:
                        await listener(event)
                    except Exception:
                        log.exception("notification listener failed on %s",
                                      event["event_type"])

        await queue.consume(on_event)
