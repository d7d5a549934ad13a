"""The database: SQLAlchemy 2 (async) on SQLite by default, PostgreSQL by URL; Alembic
migrations, one environment per service, each with its own version table."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database", "IntegrityError", "insert_if_absent", "transition", "utcnow"]

# Any constant will do: the key of the PostgreSQL advisory lock migrations run under.
MIGRATION_LOCK = int.from_bytes(b"gureum", "big")


def utcnow() -> datetime:
    """Naive UTC, which both SQLite and PostgreSQL store without surprises."""
    return datetime.now(UTC).replace(tzinfo=None)


async def insert_if_absent(session: AsyncSession, model: type[Any], **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL both have it): idempotent
    writes such as PUT of a grant stay idempotent when two race, instead of one failing on
    the primary key."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(**values).on_conflict_do_nothing())


async def transition(session: AsyncSession, model: Any, row_id: str,
                     values: dict[str, Any], **expected: Any) -> bool:
    """UPDATE … SET values WHERE id = row_id AND each expected column has its value (or
    one of them, given a tuple): the state machine's only way to move, so two racing
    requests cannot both win. True when this one did."""
    stmt = update(model).where(model.id == row_id)
    for column, wanted in expected.items():
        attribute = getattr(model, column)
        if isinstance(wanted, tuple):
            stmt = stmt.where(attribute.in_(wanted))
        elif wanted is None:
            stmt = stmt.where(attribute.is_(None))
        else:
            stmt = stmt.where(attribute == wanted)
    result = await session.execute(stmt.values(**values).execution_options(
        synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def async_url(url: str) -> str:
    """Accept the plain URLs people write and pick the async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        # With SQLite each pooled connection is a thread and an open file: keep a fixed set
        # rather than opening and closing them under bursts.
        # orjson reads JSON columns three times faster than json (lists of thousands of rows)
        options: dict[str, Any] = {"pool_size": 32, "max_overflow": 0,
                                   "json_deserializer": orjson.loads}
        if not self.is_sqlite:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        if self.is_sqlite:
            options["connect_args"] = {"async_creator_fn": _connect_sqlite}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def session(self, lock: str | Sequence[str] | None = None,
                      ) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises.

        With `lock` (a key or several), transactions naming the same key run one at a time,
        across processes on PostgreSQL: what a check-then-write (a quota, a free address)
        needs to stay true under races. Keys are taken in sorted order, so two sessions
        asking for the same keys never deadlock."""
        if lock is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        keys = sorted({lock} if isinstance(lock, str) else set(lock))
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self._locks.setdefault(key, asyncio.Lock()))
            session = await stack.enter_async_context(self._sessions())
            await stack.enter_async_context(session.begin())
            if not self.is_sqlite:
                for key in keys:
                    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                          {"key": key})
            yield session

    async def migrate(self, migrations: Path, version_table: str) -> None:
        def upgrade(connection: Connection) -> None:
            config = Config()
            config.set_main_option("script_location", str(migrations))
            config.attributes["connection"] = connection
            config.attributes["version_table"] = version_table
            command.upgrade(config, "head")

        async with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Roles started side by side on a fresh database would each create the
                # tables and all but one fail; under the lock one migrates, the others
                # wait and find the work done. Released when the transaction ends.
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                         {"key": MIGRATION_LOCK})
            await connection.run_sync(upgrade)

    async def close(self) -> None:
        await self.engine.dispose()


class _InlineReads(aiosqlite.Connection):
    """aiosqlite runs every call on the connection's own thread, and on a small VM each
    hop there and back costs ~0.3 ms: a dozen per request was most of a request's time.
    Calls that can never wait on a lock run inline on the event loop instead: making
    cursors, fetching, closing cursors, SELECTs outside a write transaction (in WAL mode a
    reader never waits for a writer) and the end of a transaction that wrote nothing.
    Writes keep the thread, so a writer waiting for another (busy_timeout) never blocks
    the loop that would let the other finish."""

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if connection is not None and _never_waits(connection, fn, args):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]


def _never_waits(connection: sqlite3.Connection, fn: Any, args: tuple[Any, ...]) -> bool:
    owner = getattr(fn, "__self__", None)
    name = getattr(fn, "__name__", "")
    if owner is connection:  # ending a transaction that never wrote takes no lock
        return name == "cursor" or (name in ("commit", "rollback")
                                    and not connection.in_transaction)
    if not isinstance(owner, sqlite3.Cursor):
        return False
    if name in ("fetchone", "fetchmany", "fetchall", "close"):
        return True
    return (name == "execute" and not connection.in_transaction and bool(args)
            and isinstance(args[0], str) and args[0].lstrip()[:6].upper() == "SELECT")


def _connect_sqlite(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """What aiosqlite.connect does, with a connection both threads may use (one at a
    time: SQLAlchemy awaits each call before the next)."""
    kwargs["check_same_thread"] = False
    return _InlineReads(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def run_migrations(context: Any, target_metadata: Any) -> None:
    """The body of every service's alembic env.py: run on the connection we were handed."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
