"""The Bus contract, run over every implementation: the in-process bus always, RabbitMQ
when GUREUM_TEST_RABBIT_URL names a broker (scripts/services starts one)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from gureum.core.amqp import binding_key
from gureum.core.bus import Bus, BusTimeout, InProcessBus, RemoteError, connect

RABBIT_URL = os.environ.get("GUREUM_TEST_RABBIT_URL")

NewBus = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["memory", "amqp"])
async def new_bus(request: pytest.FixtureRequest) -> AsyncIterator[NewBus]:
    """Makes buses as separate roles would hold them: one shared bus in-process (roles in
    one process share it), a connection of its own each on RabbitMQ."""
    if request.param == "amqp" and not RABBIT_URL:
        pytest.skip("GUREUM_TEST_RABBIT_URL is not set (eval \"$(scripts/services start)\")")
    started: list[Bus] = []
    shared = InProcessBus()

    async def make() -> Bus:
        bus = shared if request.param == "memory" else connect(RABBIT_URL)
        if bus not in started:
            await bus.start()
            started.append(bus)
        return bus

    yield make
    for bus in started:
        await bus.stop()


@pytest.fixture()
def topic() -> str:
    """Unique per test, so durable RabbitMQ queues left by other runs never interfere."""
    return f"test-{uuid.uuid4().hex[:12]}"


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_call_returns_the_handlers_result(new_bus: NewBus, topic: str) -> None:
    server, client = await new_bus(), await new_bus()

    async def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    await server.serve(topic, {"add": add})
    assert await client.call(topic, "add", a=2, b=3, timeout=10) == {"sum": 5}


async def test_call_to_a_failing_handler_raises_remote_error(new_bus: NewBus,
                                                             topic: str) -> None:
    server, client = await new_bus(), await new_bus()

    async def explode() -> None:
        raise KeyError("volume-1")

    await server.serve(topic, {"explode": explode})
    with pytest.raises(RemoteError) as caught:
        await client.call(topic, "explode", timeout=10)
    assert caught.value.kind == "KeyError"
    assert "volume-1" in str(caught.value)


async def test_call_of_an_unknown_method_names_it(new_bus: NewBus, topic: str) -> None:
    server, client = await new_bus(), await new_bus()

    async def known() -> None:
        return None

    await server.serve(topic, {"known": known})
    with pytest.raises(RemoteError) as caught:
        await client.call(topic, "unknown", timeout=10)
    assert caught.value.kind == "NoSuchMethod"
    assert "unknown" in str(caught.value)


async def test_a_result_that_is_not_json_is_a_remote_error(new_bus: NewBus,
                                                           topic: str) -> None:
    server, client = await new_bus(), await new_bus()

    async def leak() -> object:
        return object()

    await server.serve(topic, {"leak": leak})
    with pytest.raises(RemoteError) as caught:
        await client.call(topic, "leak", timeout=10)
    assert caught.value.kind == "TypeError"


async def test_call_with_no_server_times_out(new_bus: NewBus, topic: str) -> None:
    client = await new_bus()
    started = asyncio.get_running_loop().time()
    with pytest.raises(BusTimeout):
        await client.call(topic, "anything", timeout=0.3)
    assert asyncio.get_running_loop().time() - started < 5


async def test_cast_returns_before_the_handler_runs(new_bus: NewBus, topic: str) -> None:
    server, client = await new_bus(), await new_bus()
    release = asyncio.Event()
    done: list[str] = []

    async def work(item: str) -> None:
        await release.wait()
        done.append(item)

    await server.serve(topic, {"work": work})
    assert await client.cast(topic, "work", item="a") is None
    assert done == []
    release.set()
    await eventually(lambda: done == ["a"])


async def test_a_cast_made_before_any_server_waits_for_one(new_bus: NewBus,
                                                          topic: str) -> None:
    client = await new_bus()
    await client.cast(topic, "work", item="early")
    done: list[str] = []

    async def work(item: str) -> None:
        done.append(item)

    server = await new_bus()
    await server.serve(topic, {"work": work})
    await eventually(lambda: done == ["early"])


async def test_a_call_whose_caller_gave_up_is_never_worked_on(new_bus: NewBus,
                                                             topic: str) -> None:
    client = await new_bus()
    with pytest.raises(BusTimeout):
        await client.call(topic, "work", item="stale", timeout=0.2)
    await asyncio.sleep(0.1)
    done: list[str] = []

    async def work(item: str) -> str:
        done.append(item)
        return item

    server = await new_bus()
    await server.serve(topic, {"work": work})
    assert await client.call(topic, "work", item="fresh", timeout=10) == "fresh"
    assert done == ["fresh"]


async def test_a_handler_may_call_another_topic(new_bus: NewBus, topic: str) -> None:
    """As a conductor does for an agent: the server is itself a client of the same bus."""
    bus, client = await new_bus(), await new_bus()

    async def lookup(key: str) -> str:
        return key.upper()

    async def front(key: str) -> str:
        return str(await bus.call(f"{topic}-db", "lookup", key=key, timeout=10)) + "!"

    await bus.serve(f"{topic}-db", {"lookup": lookup})
    await bus.serve(topic, {"front": front})
    assert await client.call(topic, "front", key="abc", timeout=10) == "ABC!"


async def test_servers_of_one_topic_share_the_work(new_bus: NewBus, topic: str) -> None:
    first, second, client = await new_bus(), await new_bus(), await new_bus()
    handled: Counter[int] = Counter()
    by_server: Counter[str] = Counter()

    def handler(name: str) -> Callable[..., Awaitable[int]]:
        async def work(n: int) -> int:
            await asyncio.sleep(0.01)  # a real handler waits on I/O; let the other one in
            handled[n] += 1
            by_server[name] += 1
            return n
        return work

    await first.serve(topic, {"work": handler("first")})
    await second.serve(topic, {"work": handler("second")})
    results = await asyncio.gather(*(client.call(topic, "work", n=n, timeout=10)
                                     for n in range(40)))
    for n in range(40, 60):
        await client.cast(topic, "work", n=n)
    await eventually(lambda: len(handled) == 60)
    await asyncio.sleep(0.2)  # a duplicate delivery would show up by now
    assert results == list(range(40))
    assert set(handled) == set(range(60))
    assert set(handled.values()) == {1}, "a message was handled more than once"
    assert by_server["first"] > 0 and by_server["second"] > 0, by_server


async def test_notify_reaches_every_matching_subscriber(new_bus: NewBus) -> None:
    service = f"svc{uuid.uuid4().hex[:8]}"
    publisher = await new_bus()
    subscribers = [await new_bus() for _ in range(4)]
    seen: dict[str, list[dict[str, Any]]] = {}
    patterns = [f"{service}.*", f"{service}.user.*", f"{service}.project.created",
                f"other{service}.*"]
    for bus, pattern in zip(subscribers, patterns, strict=True):
        seen[pattern] = []

        async def listener(message: dict[str, Any], pattern: str = pattern) -> None:
            seen[pattern].append(message)

        await bus.subscribe(pattern, listener)

    await publisher.notify("identity", f"{service}.user.created", {"resource_info": "u1"})
    await publisher.notify("identity", f"{service}.project.created", {"resource_info": "p1"})
    await eventually(lambda: len(seen[f"{service}.*"]) == 2
                     and len(seen[f"{service}.user.*"]) == 1
                     and len(seen[f"{service}.project.created"]) == 1)
    await asyncio.sleep(0.2)  # give a wrong delivery the time to arrive

    def events(pattern: str) -> list[str]:
        return sorted(m["event_type"] for m in seen[pattern])

    assert events(f"{service}.*") == [f"{service}.project.created", f"{service}.user.created"]
    assert events(f"{service}.user.*") == [f"{service}.user.created"]
    assert events(f"{service}.project.created") == [f"{service}.project.created"]
    assert events(f"other{service}.*") == []
    message = seen[f"{service}.user.*"][0]
    assert message["publisher_id"] == "identity"
    assert message["payload"] == {"resource_info": "u1"}
    assert message["priority"] == "INFO"
    assert message["message_id"] and message["timestamp"]


async def test_two_subscribers_on_one_bus_both_hear(new_bus: NewBus) -> None:
    bus = await new_bus()
    event = f"svc{uuid.uuid4().hex[:8]}.thing.deleted"
    heard: list[str] = []

    async def one(message: dict[str, Any]) -> None:
        heard.append("one")

    async def two(message: dict[str, Any]) -> None:
        heard.append("two")

    await bus.subscribe(event.split(".")[0] + ".*", one)
    await bus.subscribe(event, two)
    await bus.notify("test", event, {})
    await eventually(lambda: sorted(heard) == ["one", "two"])


async def test_a_failing_listener_does_not_stop_the_subscription(new_bus: NewBus) -> None:
    bus = await new_bus()
    event = f"svc{uuid.uuid4().hex[:8]}.thing.updated"
    heard: list[int] = []

    async def flaky(message: dict[str, Any]) -> None:
        heard.append(message["payload"]["n"])
        if message["payload"]["n"] == 1:
            raise RuntimeError("listener bug")

    await bus.subscribe(event, flaky)
    await bus.notify("test", event, {"n": 1})
    await bus.notify("test", event, {"n": 2})
    await eventually(lambda: heard == [1, 2])


async def test_payloads_must_be_json(new_bus: NewBus, topic: str) -> None:
    server, client = await new_bus(), await new_bus()
    received: list[Any] = []

    async def take(value: Any) -> Any:
        received.append(value)
        return value

    await server.serve(topic, {"take": take})
    with pytest.raises(TypeError):
        await client.call(topic, "take", value=object(), timeout=1)
    with pytest.raises(TypeError):
        await client.cast(topic, "take", value={1, 2})
    with pytest.raises(TypeError):
        await client.notify("test", "test.thing.created", {"when": object()})
    # Tuples arrive as lists, as they would after any JSON hop.
    assert await client.call(topic, "take", value=(1, "a"), timeout=10) == [1, "a"]
    assert received == [[1, "a"]]


@pytest.mark.parametrize(("pattern", "key"), [
    ("identity.user.created", "identity.user.created"),
    ("identity.*", "identity.#"),
    ("identity.user.*", "identity.user.#"),
    ("*.created", "#"),
    ("identity.user.creat?d", "identity.user.#"),
    ("identity.[up]*", "identity.#"),
])
def test_binding_keys_are_at_least_as_wide_as_the_glob(pattern: str, key: str) -> None:
    assert binding_key(pattern) == key
