"""The one-trip SQLite driver under SQLAlchemy, on a real database file: the same results as
aiosqlite's own adapter, in fewer trips to the connection's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from paynto_common import sqlite_driver
from paynto_common.db import Database, Job, Project, User


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call made on a connection's thread, by name."""
    made: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    yield made


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                                 module=sqlite_driver.dbapi())
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_rows_counts_and_new_ids_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}])
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(
            text("UPDATE t SET name = 'z' WHERE id = 1 RETURNING id, name"))
        assert returned.mappings().all() == [{"id": 1, "name": "z"}]
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "z"), (2, "b!"), (3, "c!")]


async def test_a_rolled_back_write_is_gone_and_an_error_leaves_the_connection_usable(
        engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        await conn.commit()
        await conn.execute(text("INSERT INTO t (name) VALUES ('dropped')"))
        await conn.rollback()
        with pytest.raises(exc.IntegrityError):
            await conn.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        await conn.rollback()
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["kept"]


async def test_a_read_is_one_trip_and_a_write_two(engine: AsyncEngine,
                                                   trips: list[str]) -> None:
    async with engine.connect() as conn:  # warm: the pool's first connection
        await conn.execute(text("SELECT 1"))
    trips.clear()
    async with engine.connect() as conn:
        await conn.execute(text("SELECT name FROM t"))
    assert len(trips) == 1, trips
    trips.clear()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
    assert len(trips) == 2, trips  # the statement, the commit


async def test_the_database_uses_it_for_a_sqlite_url(tmp_path: Path, trips: list[str]) -> None:
    """Through the ORM as the services use it: a job claimed in one statement and a commit."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}")
    try:
        await db.migrate()
        job = Job(project_id="p1", kind="generate", user_id="u1")
        async with db.session() as s:
            s.add(User(id="u1", name="u1"))
            s.add(Project(id="p1", name="p", owner_id="u1"))
            await s.flush()
            s.add(job)
            await s.commit()
        trips.clear()
        claimed = await db.claim_job(job.id, 1, user_id="u1")
        assert claimed is not None and claimed.attempts == 1
        assert len(trips) == 2, trips
    finally:
        await db.close()
