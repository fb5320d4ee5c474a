"""The one-trip SQLite driver under SQLAlchemy, on a real database file: the same results as
aiosqlite's own adapter, in fewer trips to the connection's thread."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from paynto_common import sqlite_driver
from paynto_common.db import COMMIT_NOW, Database, Job, Project, User, insert_of


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
        assert trips == ["_run"]  # the UPDATE and its COMMIT together (COMMIT_NOW)
    finally:
        await db.close()


def _other_writer_gets_the_lock(path: Path) -> bool:
    """Whether another connection (another process, as far as SQLite knows) can take the
    file's write lock at once, without waiting."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


async def test_commit_now_commits_with_the_statement_and_frees_the_lock(
        tmp_path: Path, trips: list[str]) -> None:
    """A write with COMMIT_NOW holds SQLite's write lock for the statement only: before the
    session commits, the row is committed and another writer gets the lock. Without it the
    lock is held until the commit."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}")
    path = tmp_path / "paynto.db"
    try:
        await db.migrate()
        async with db.session() as s:
            s.add(User(id="u1", name="u1"))
            await s.commit()
        async with db.session() as s:
            await s.exec(insert_of(Project(id="held", name="p", owner_id="u1")))
            assert not _other_writer_gets_the_lock(path)
            await s.commit()
        trips.clear()
        async with db.session() as s:
            await s.exec(insert_of(Project(id="freed", name="p", owner_id="u1")),
                         execution_options=COMMIT_NOW)
            assert _other_writer_gets_the_lock(path)
            seen = sqlite3.connect(path).execute(
                "SELECT count(*) FROM project WHERE id = 'freed'").fetchone()
            assert seen == (1,)  # committed, not only unlocked
            await s.commit()
        assert trips == ["_run"]  # the session's commit had nothing left to do
        # A write refused with COMMIT_NOW commits nothing, and the session goes on.
        async with db.session() as s:
            with pytest.raises(exc.IntegrityError):
                await s.exec(insert_of(Project(id="freed", name="again", owner_id="u1")),
                             execution_options=COMMIT_NOW)
            await s.rollback()
            names = (await s.exec(text("SELECT name FROM project ORDER BY id"))).all()
        assert [tuple(n) for n in names] == [("p",), ("p",)]
    finally:
        await db.close()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_a_database_in_memory_opens_without_a_pool(url: str) -> None:
    """A file's connections are pooled (64 kept); one in memory has a single connection,
    which takes no pool size."""
    db = Database(url)
    try:
        assert await db.ping()
    finally:
        await db.close()


async def test_a_file_database_keeps_its_connections(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}")
    try:
        assert db.engine.pool.size() == 64
    finally:
        await db.close()
