"""The volume scheduler's batched placing against a real database (SQLite, and PostgreSQL
when GUREUM_TEST_DATABASE_URL is set): volumes placed together in one transaction, by two
schedulers at once, never oversubscribe a pool, and a volume no pool can take fails
alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from gureum.block_storage import service
from gureum.block_storage.config import BlockStorageSettings
from gureum.block_storage.messages import VOLUME_BINARY
from gureum.block_storage.models import Pool, Service, Volume, VolumeType
from gureum.block_storage.scheduler import VolumeScheduler
from gureum.block_storage.scheduler.filters import PoolState
from gureum.core.bus import InProcessBus
from gureum.core.db import Database, utcnow
from tests.e2e.cloudproc import DATABASE_URL, fresh_database

BACKEND = "h@small"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    # fresh_database runs an event loop of its own: entered and left on another thread.
    made = fresh_database()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'volumes.db'}"
    elif DATABASE_URL:
        url = await asyncio.to_thread(made.__enter__)
    else:
        pytest.skip("GUREUM_TEST_DATABASE_URL not set")
    database = Database(url)
    try:
        await database.migrate(service.MIGRATIONS, service.VERSION_TABLE)
        await seed(database)
        yield database
    finally:
        await database.engine.dispose()
        if request.param == "postgresql":
            await asyncio.to_thread(made.__exit__, None, None, None)


async def seed(database: Database) -> None:
    async with database.session() as session:
        session.add(VolumeType(id="t", name="t", extra_specs={}))
        session.add(Service(id="s", binary=VOLUME_BINARY, host=BACKEND, updated_at=utcnow()))
        for name, total in (("a", 10), ("b", 7)):
            session.add(Pool(name=f"{BACKEND}#{name}", backend=BACKEND, total_capacity_gb=total,
                             free_capacity_gb=total, allocated_gb=0, availability_zone="nova"))


async def new_volumes(db: Database, sizes: list[int]) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in sizes]
    async with db.session() as session:
        for volume_id, size in zip(ids, sizes, strict=True):
            session.add(Volume(id=volume_id, project_id="p", size=size, status="creating",
                               availability_zone="nova", volume_type_id="t"))
    return ids


async def test_two_schedulers_batching_claims_never_oversubscribe(db: Database) -> None:
    bus = InProcessBus()
    settings = BlockStorageSettings()
    schedulers = [VolumeScheduler(db, bus, settings, host=f"s{i}") for i in range(2)]
    ids = await new_volumes(db, [3] * 12)  # 36 GiB asked of 17: five fit (3 in a, 2 in b)
    # Each volume's message to both schedulers (as a redelivery would): each batches what
    # it got, and only one may place a volume.
    await asyncio.gather(*(s.create_volume(v) for v in ids for s in schedulers))
    async with db.session() as session:
        pools = {p.name: p for p in await session.scalars(select(Pool))}
        volumes = list(await session.scalars(select(Volume)))
    placed = [v for v in volumes if v.host]
    assert sorted(v.host for v in placed) == [f"{BACKEND}#a"] * 3 + [f"{BACKEND}#b"] * 2
    assert {v.status for v in placed} == {"creating"}
    assert sorted(v.status for v in volumes if not v.host) == ["error"] * 7
    assert pools[f"{BACKEND}#a"].allocated_gb == 9 and pools[f"{BACKEND}#b"].allocated_gb == 6


async def test_a_batch_weighs_pools_as_its_claims_leave_them(db: Database) -> None:
    """The batch's second volume sees the first one's claim: pools fill evenly rather
    than the emptiest taking all, and one volume too large fails alone."""
    scheduler = VolumeScheduler(db, InProcessBus(), BlockStorageSettings(), host="s")
    ids = await new_volumes(db, [2, 2, 2, 50, 2])
    await asyncio.gather(*(scheduler.create_volume(v) for v in ids))
    async with db.session() as session:
        hosts = {v.id: (v.host, v.status) for v in await session.scalars(select(Volume))}
    assert hosts[ids[3]] == (None, "error")
    # a (10 free) takes 2, 2; then b (7) beats a (6); then a (6) beats b (5).
    assert [hosts[v][0] for v in ids if v != ids[3]] == [
        f"{BACKEND}#a", f"{BACKEND}#a", f"{BACKEND}#b", f"{BACKEND}#a"]


async def test_a_batch_that_fails_as_a_whole_is_placed_one_by_one(db: Database) -> None:
    """As when PostgreSQL breaks a deadlock between two schedulers: every volume of the
    failed batch is still placed, each in a transaction of its own."""
    scheduler = VolumeScheduler(db, InProcessBus(), BlockStorageSettings(), host="s")
    claim_batch = scheduler._claim_batch
    tried: list[int] = []

    async def deadlocked(items: list[tuple[str, str | None]]) -> list[Any]:
        tried.append(len(items))
        if len(items) > 1:
            raise RuntimeError("deadlock detected")
        return await claim_batch(items)

    scheduler._claim_batch = deadlocked  # type: ignore[method-assign]
    ids = await new_volumes(db, [1, 1, 1])
    await asyncio.gather(*(scheduler.create_volume(v) for v in ids))
    assert tried == [3, 1, 1, 1]
    async with db.session() as session:
        assert all(v.host for v in await session.scalars(select(Volume)))


async def test_a_batch_raced_by_another_scheduler_gives_back_what_it_lost(
        db: Database) -> None:
    """Between the batch's reads and its claims another scheduler places one of its
    volumes and fills most of a pool: the batch's claim on that pool fails as a whole and
    goes volume by volume, the volume placed elsewhere is left alone, and every pool ends
    with exactly what its volumes hold."""
    scheduler = VolumeScheduler(db, InProcessBus(), BlockStorageSettings(), host="s")
    ids = await new_volumes(db, [3, 3, 3])
    read_pools = scheduler._pools

    async def raced(session: Any) -> list[PoolState]:
        pools = await read_pools(session)
        if len(pools) == 2 and not raced.done:  # type: ignore[attr-defined]
            raced.done = True  # type: ignore[attr-defined]
            async with db.session() as other:
                await other.execute(update(Volume).where(Volume.id == ids[0]).values(
                    host=f"{BACKEND}#b"))
                await other.execute(update(Pool).where(Pool.name == f"{BACKEND}#b").values(
                    allocated_gb=3))
                await other.execute(update(Pool).where(Pool.name == f"{BACKEND}#a").values(
                    allocated_gb=5))
        return pools

    raced.done = False  # type: ignore[attr-defined]
    scheduler._pools = raced  # type: ignore[method-assign]
    await asyncio.gather(*(scheduler.create_volume(v) for v in ids))
    async with db.session() as session:
        hosts = {v.id: v.host for v in await session.scalars(select(Volume))}
        allocated = {p.name: p.allocated_gb for p in await session.scalars(select(Pool))}
    # The stale view put v0, v1 on a and v2 on b; a had no room left for both.
    assert [hosts[v] for v in ids] == [f"{BACKEND}#b", f"{BACKEND}#a", f"{BACKEND}#b"]
    assert allocated == {f"{BACKEND}#a": 5 + 3, f"{BACKEND}#b": 3 + 3}
