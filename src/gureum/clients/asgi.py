"""An httpx transport to an ASGI app in the same process that streams both ways.

httpx's own ASGITransport collects the whole response body before answering: fine for
JSON, not for a GiB of image data on its way into a volume. This one runs the app in a
task and hands the body over chunk by chunk through a small queue (back pressure: the app
waits while the reader is behind)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

Message = dict[str, Any]
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

QUEUE_DEPTH = 4
_DONE = object()


class _Body(httpx.AsyncByteStream):
    def __init__(self, queue: asyncio.Queue[Any], task: asyncio.Task[None]) -> None:
        self._queue = queue
        self._task = task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._queue.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task


class _Exchange:
    """One request's receive and send, as the app sees them."""

    def __init__(self, body: AsyncIterator[bytes]) -> None:
        self.body = body
        self.request_done = False
        self.started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = (
            asyncio.get_running_loop().create_future())
        self.queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_DEPTH)

    async def receive(self) -> Message:
        if self.request_done:
            await asyncio.Event().wait()  # no disconnect while the app still answers
        try:
            chunk = await self.body.__anext__()
        except StopAsyncIteration:
            self.request_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started.set_result((message["status"], list(message.get("headers", []))))
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self.queue.put(bytes(message["body"]))
            if not message.get("more_body", False):
                await self.queue.put(_DONE)

    async def run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        except BaseException as exc:
            if not self.started.done():
                self.started.set_exception(exc)
            else:
                await self.queue.put(exc)
            raise
        if not self.started.done():
            self.started.set_exception(RuntimeError("the app answered nothing"))


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": request.method, "scheme": request.url.scheme,
            "path": request.url.path, "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query, "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "server": (request.url.host, request.url.port), "client": self.client,
        }
        exchange = _Exchange(request.stream.__aiter__())  # type: ignore[union-attr]
        task = asyncio.get_running_loop().create_task(exchange.run(self.app, scope))
        try:
            status, headers = await exchange.started
        except BaseException:
            with contextlib.suppress(BaseException):
                await task
            raise
        return httpx.Response(status, headers=headers, stream=_Body(exchange.queue, task))
