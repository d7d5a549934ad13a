"""A whole cloud in a background thread, listening on a real loopback port, so tests drive
it over HTTP the way users do (openstacksdk, httpx) while still reaching its bus."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from gureum.app import Cloud
from gureum.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cloud_settings(state_dir: Path, **overrides: Any) -> Settings:
    """Cheap bcrypt for speed; everything else as a user gets it."""
    overrides.setdefault("identity", {"password_hash_rounds": 4})
    # The default guest image is tested on its own (tests/e2e); others need not fetch it.
    overrides["image"] = {"default_guest": False, **overrides.get("image", {})}
    return Settings.load(None, state_dir=state_dir, port=free_port(), **overrides)


class RunningCloud:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cloud = Cloud(settings)
        self.loop = asyncio.new_event_loop()
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return self.settings.base_url

    @property
    def identity_url(self) -> str:
        return f"{self.url}/identity"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # surfaced to the test thread by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        await self.cloud.start()
        self._server = uvicorn.Server(uvicorn.Config(
            self.cloud.asgi(), host=self.settings.host, port=self.settings.port,
            lifespan="off", log_level="warning", access_log=False))
        serving = asyncio.ensure_future(self._server.serve())
        while not self._server.started and not serving.done():
            await asyncio.sleep(0.01)
        self._ready.set()
        await serving
        await self.cloud.stop()

    def start(self) -> RunningCloud:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the cloud's own loop (to reach its bus or manager)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def passwords(self) -> dict[str, str]:
        return json.loads((self.settings.state_dir / "passwords.json").read_text())

    def token(self, user: str = "admin", project: str | None = "admin",
              password: str | None = None, scope: dict[str, Any] | None = None) -> str:
        password = password or self.passwords()[user]
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}}}
        if scope is not None:
            auth["scope"] = scope
        elif project:
            auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
        response = httpx.post(f"{self.identity_url}/v3/auth/tokens", json={"auth": auth})
        assert response.status_code == 201, response.text
        return response.headers["X-Subject-Token"]

    def client(self, token: str | None) -> httpx.Client:
        headers = {"X-Auth-Token": token} if token else {}
        return httpx.Client(base_url=self.identity_url, headers=headers, timeout=30)


def unique(prefix: str) -> str:
    """A name no other test (nor an earlier run on the same cloud) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_type(response: httpx.Response) -> str:
    """The `type` of a neutron error body: neutron's exception name."""
    return str(response.json()["NeutronError"]["type"])
