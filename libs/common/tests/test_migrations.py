"""Schema migrations on real SQLite and Postgres: a database of the previous release, with
rows in it, is upgraded with nothing lost; the migrated schema is exactly the models'; two
processes starting at once take turns."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, col, select

from paynto_common import migrations
from paynto_common.db import (
    LOCAL_USER_ID,
    ApiToken,
    AuthSession,
    Database,
    Job,
    ModelCall,
    OAuthAttempt,
    Project,
    User,
    UserSecret,
)
from paynto_common.settings import async_database_url

# What the previous release's ``SQLModel.metadata.create_all`` ran (its models, compiled for
# each database): {timestamp} and {serial} are the only words the two dialects differ in.
PREVIOUS_RELEASE_DDL = """
CREATE TABLE project (
    id VARCHAR NOT NULL, name VARCHAR NOT NULL, owner_id VARCHAR,
    created_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id));
CREATE INDEX ix_project_owner_id ON project (owner_id);
CREATE TABLE version (
    id {serial} NOT NULL, project_id VARCHAR NOT NULL, number INTEGER NOT NULL,
    job_id VARCHAR, files JSON NOT NULL, model VARCHAR, created_at {timestamp} NOT NULL,
    PRIMARY KEY (id), UNIQUE (project_id, number), UNIQUE (job_id),
    FOREIGN KEY(project_id) REFERENCES project (id));
CREATE INDEX ix_version_project_id ON version (project_id);
CREATE TABLE job (
    id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL, prompt TEXT, model VARCHAR, response TEXT, error TEXT,
    attempts INTEGER NOT NULL, result JSON,
    created_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(project_id) REFERENCES project (id));
CREATE INDEX ix_job_project_id ON job (project_id);
CREATE TABLE modelcall (
    id {serial} NOT NULL, job_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL, purpose VARCHAR NOT NULL, prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL, cost_usd FLOAT NOT NULL,
    created_at {timestamp} NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(project_id) REFERENCES project (id));
CREATE INDEX ix_modelcall_job_id ON modelcall (job_id);
CREATE INDEX ix_modelcall_project_id ON modelcall (project_id);
CREATE TABLE sandbox (
    id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, provider VARCHAR NOT NULL,
    status VARCHAR NOT NULL, endpoint VARCHAR, version INTEGER,
    created_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(project_id) REFERENCES project (id));
CREATE INDEX ix_sandbox_project_id ON sandbox (project_id);
CREATE TABLE "plan" (
    id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, job_id VARCHAR NOT NULL,
    prompt TEXT NOT NULL, model VARCHAR, blueprint JSON NOT NULL, state VARCHAR NOT NULL,
    run_id VARCHAR, limits JSON NOT NULL,
    created_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(project_id) REFERENCES project (id), UNIQUE (job_id));
CREATE INDEX ix_plan_project_id ON "plan" (project_id);
CREATE TABLE ticket (
    id VARCHAR NOT NULL, plan_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL,
    "key" VARCHAR NOT NULL, position INTEGER NOT NULL, title VARCHAR NOT NULL,
    type VARCHAR NOT NULL, priority VARCHAR NOT NULL, complexity VARCHAR NOT NULL,
    depends_on JSON NOT NULL, acceptance TEXT NOT NULL, description TEXT NOT NULL,
    files JSON NOT NULL, state VARCHAR NOT NULL, job_id VARCHAR, version INTEGER,
    error TEXT, updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id), UNIQUE (plan_id, "key"),
    FOREIGN KEY(plan_id) REFERENCES "plan" (id), FOREIGN KEY(project_id) REFERENCES project (id));
CREATE INDEX ix_ticket_project_id ON ticket (project_id);
CREATE INDEX ix_ticket_plan_id ON ticket (plan_id);
CREATE INDEX ix_ticket_job_id ON ticket (job_id);
"""

DIALECT_WORDS = {
    "sqlite": {"timestamp": "DATETIME", "serial": "INTEGER"},
    "postgresql": {"timestamp": "TIMESTAMP WITH TIME ZONE", "serial": "SERIAL"},
}

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind in turn, as a service's (async) URL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}"
    return async_database_url(request.getfixturevalue("postgres_url"), tmp_path)


@contextmanager
def connected(url: str) -> Iterator[sa.Connection]:
    """A blocking connection in a transaction, committed at the end."""
    engine = sa.create_engine(migrations.sync_url(url), poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def made_by_previous_release(url: str) -> None:
    """What the previous release's start left: its tables, no ``alembic_version``."""
    with connected(url) as conn:
        ddl = PREVIOUS_RELEASE_DDL.format(**DIALECT_WORDS[conn.dialect.name])
        for statement in filter(str.strip, ddl.split(";")):
            conn.exec_driver_sql(statement)


def at_revision_0001(url: str) -> None:
    migrations.migrate(url, "0001")


def schema_differences(conn: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


def revision(url: str) -> str | None:
    with connected(url) as conn:
        return migrations.current_revision(conn)


def table_names(url: str) -> set[str]:
    with connected(url) as conn:
        return set(sa.inspect(conn).get_table_names())


# The previous release's rows, written as that release wrote them (no model of this one).
project_t = sa.table("project", sa.column("id", sa.String), sa.column("name", sa.String),
                     sa.column("owner_id", sa.String),
                     sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("updated_at", sa.DateTime(timezone=True)))
version_t = sa.table("version", sa.column("project_id", sa.String),
                     sa.column("number", sa.Integer), sa.column("job_id", sa.String),
                     sa.column("files", sa.JSON),
                     sa.column("created_at", sa.DateTime(timezone=True)))
job_t = sa.table("job", sa.column("id", sa.String), sa.column("project_id", sa.String),
                 sa.column("kind", sa.String), sa.column("status", sa.String),
                 sa.column("prompt", sa.Text), sa.column("attempts", sa.Integer),
                 sa.column("result", sa.JSON),
                 sa.column("created_at", sa.DateTime(timezone=True)),
                 sa.column("updated_at", sa.DateTime(timezone=True)))
modelcall_t = sa.table("modelcall", sa.column("job_id", sa.String),
                       sa.column("project_id", sa.String), sa.column("model", sa.String),
                       sa.column("purpose", sa.String), sa.column("prompt_tokens", sa.Integer),
                       sa.column("completion_tokens", sa.Integer),
                       sa.column("cost_usd", sa.Float),
                       sa.column("created_at", sa.DateTime(timezone=True)))
sandbox_t = sa.table("sandbox", sa.column("id", sa.String), sa.column("project_id", sa.String),
                     sa.column("provider", sa.String), sa.column("status", sa.String),
                     sa.column("endpoint", sa.String), sa.column("version", sa.Integer),
                     sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("updated_at", sa.DateTime(timezone=True)))
plan_t = sa.table("plan", sa.column("id", sa.String), sa.column("project_id", sa.String),
                  sa.column("job_id", sa.String), sa.column("prompt", sa.Text),
                  sa.column("blueprint", sa.JSON), sa.column("state", sa.String),
                  sa.column("limits", sa.JSON),
                  sa.column("created_at", sa.DateTime(timezone=True)),
                  sa.column("updated_at", sa.DateTime(timezone=True)))
ticket_t = sa.table("ticket", sa.column("id", sa.String), sa.column("plan_id", sa.String),
                    sa.column("project_id", sa.String), sa.column("key", sa.String),
                    sa.column("position", sa.Integer), sa.column("title", sa.String),
                    sa.column("type", sa.String), sa.column("priority", sa.String),
                    sa.column("complexity", sa.String), sa.column("depends_on", sa.JSON),
                    sa.column("acceptance", sa.Text), sa.column("description", sa.Text),
                    sa.column("files", sa.JSON), sa.column("state", sa.String),
                    sa.column("job_id", sa.String),
                    sa.column("updated_at", sa.DateTime(timezone=True)))


def fill_like_previous_release(url: str) -> None:
    """Projects without an owner (the default) and owned by a name an auth proxy sent
    (``USER_HEADER``), with versions, jobs, model calls, a sandbox, a plan and its tickets."""
    times = {"created_at": T0, "updated_at": T0}
    with connected(url) as conn:
        conn.execute(project_t.insert(), [
            {"id": "p-mine", "name": "coffee", "owner_id": None, **times},
            {"id": "p-ann", "name": "ann's", "owner_id": "ann", **times},
            {"id": "p-ann2", "name": "ann's other", "owner_id": "ann", **times},
            {"id": "p-bob", "name": "bob's", "owner_id": "bob", **times},
        ])
        conn.execute(job_t.insert(), [
            {"id": "j-mine", "project_id": "p-mine", "kind": "generate", "status": "complete",
             "prompt": "a coffee roastery", "attempts": 1, "result": {"version": 1}, **times},
            {"id": "j-ann", "project_id": "p-ann", "kind": "plan", "status": "complete",
             "prompt": "a bakery", "attempts": 1, "result": None, **times},
            {"id": "j-bob", "project_id": "p-bob", "kind": "generate", "status": "error",
             "prompt": "a bike shop", "attempts": 3, "result": None, **times},
        ])
        conn.execute(version_t.insert(), [
            {"project_id": "p-mine", "number": 1, "job_id": "j-mine",
             "files": {"src/App.tsx": "export default 1"}, "created_at": T0},
            {"project_id": "p-ann", "number": 1, "job_id": None,
             "files": {"src/App.tsx": "export default 2"}, "created_at": T0},
        ])
        conn.execute(modelcall_t.insert(), [
            {"job_id": "j-mine", "project_id": "p-mine", "model": "openai/gpt-4.1-mini",
             "purpose": "answer", "prompt_tokens": 100, "completion_tokens": 50,
             "cost_usd": 0.25, "created_at": T0},
            {"job_id": "j-ann", "project_id": "p-ann", "model": "openai/gpt-4.1-mini",
             "purpose": "plan", "prompt_tokens": 10, "completion_tokens": 5,
             "cost_usd": 0.5, "created_at": T0},
        ])
        conn.execute(sandbox_t.insert(), [
            {"id": "s-mine", "project_id": "p-mine", "provider": "local", "status": "running",
             "endpoint": "unix:/tmp/x.sock", "version": 1, **times},
        ])
        conn.execute(plan_t.insert(), [
            {"id": "plan-ann", "project_id": "p-ann", "job_id": "j-ann", "prompt": "a bakery",
             "blueprint": {"title": "Bakery"}, "state": "planned",
             "limits": {"project_usd": 0}, **times},
        ])
        conn.execute(ticket_t.insert(), [
            {"id": f"t-{key}", "plan_id": "plan-ann", "project_id": "p-ann", "key": key,
             "position": n, "title": f"part {n}", "type": "ui", "priority": "high",
             "complexity": "S", "depends_on": deps, "acceptance": "it shows",
             "description": "", "files": ["src/App.tsx"], "state": "backlog",
             "job_id": None, "updated_at": T0}
            for n, (key, deps) in enumerate([("T1", []), ("T2", ["T1"])], start=1)
        ])


@pytest.mark.parametrize("made_by", [at_revision_0001, made_by_previous_release],
                         ids=["at-0001", "pre-alembic"])
async def test_a_previous_release_database_is_upgraded_with_its_rows(url: str,
                                                                     made_by: Any) -> None:
    made_by(url)
    fill_like_previous_release(url)
    db = Database(url)
    try:
        await db.migrate()
        assert revision(url) == migrations.head()

        async with db.session() as s:
            users = {u.id: (u.name, u.role) for u in (await s.exec(select(User))).all()}
            # The local user, and one user per name the auth proxy stored as an owner.
            assert users == {LOCAL_USER_ID: ("local", "admin"), "ann": ("ann", "user"),
                             "bob": ("bob", "user")}
            owners = {p.id: p.owner_id for p in (await s.exec(select(Project))).all()}
            assert owners == {"p-mine": LOCAL_USER_ID, "p-ann": "ann", "p-ann2": "ann",
                              "p-bob": "bob"}
            jobs = {j.id: j for j in (await s.exec(select(Job))).all()}
            assert {i: j.user_id for i, j in jobs.items()} == {
                "j-mine": LOCAL_USER_ID, "j-ann": "ann", "j-bob": "bob"}
            assert jobs["j-mine"].result == {"version": 1}
            assert jobs["j-bob"].attempts == 3
            assert jobs["j-mine"].created_at == T0
            calls = (await s.exec(select(ModelCall).order_by(col(ModelCall.id)))).all()
            assert [(c.job_id, c.user_id, c.cost_usd) for c in calls] == [
                ("j-mine", LOCAL_USER_ID, 0.25), ("j-ann", "ann", 0.5)]
        latest = await db.latest_version("p-mine")
        assert latest is not None and latest.files == {"src/App.tsx": "export default 1"}
        with connected(url) as conn:
            tickets = conn.execute(sa.select(ticket_t.c.key, ticket_t.c.depends_on)
                                   .order_by(ticket_t.c.position)).all()
            assert [tuple(t) for t in tickets] == [("T1", []), ("T2", ["T1"])]
            plan = conn.execute(sa.select(plan_t.c.blueprint)).scalar_one()
            assert plan == {"title": "Bakery"}
            assert conn.execute(sa.select(sandbox_t.c.endpoint)).scalar_one() == \
                "unix:/tmp/x.sock"
            assert schema_differences(conn, SQLModel.metadata) == []

        # The new tables take rows; a model call no longer needs its project to exist.
        async with db.session() as s:
            s.add(ApiToken(user_id="ann", token_hash="h1", prefix="pnt_abc"))
            s.add(AuthSession(user_id="bob", secret_hash="h2",
                              expires_at=T0 + timedelta(days=30)))
            s.add(OAuthAttempt(state_hash="h3", code_verifier="v"))
            s.add(UserSecret(user_id="ann", name="github", ciphertext="c"))
            s.add(ModelCall(job_id="gone", project_id="deleted", user_id="ann", model="m",
                            purpose="answer", cost_usd=1.0))
            await s.commit()
        async with db.session() as s:
            token = (await s.exec(select(ApiToken))).one()
            assert (token.user_id, token.prefix) == ("ann", "pnt_abc")
            assert (await s.exec(select(UserSecret))).one().ciphertext == "c"
    finally:
        await db.close()


async def test_a_migrated_empty_database_is_exactly_the_models(url: str) -> None:
    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.close()
    assert revision(url) == migrations.head()
    with connected(url) as conn:
        assert schema_differences(conn, SQLModel.metadata) == []
        assert conn.execute(sa.text("SELECT id, role FROM \"user\"")).all() == [
            (LOCAL_USER_ID, "admin")]


async def test_a_database_older_than_the_previous_release_gets_the_tables_it_lacks(
        url: str) -> None:
    # create_all added missing tables on each start: a database from before plans existed,
    # never started by the previous release, has none of them.
    made_by_previous_release(url)
    with connected(url) as conn:
        conn.exec_driver_sql("DROP TABLE ticket")
        conn.exec_driver_sql('DROP TABLE "plan"')
    with connected(url) as conn:
        conn.execute(project_t.insert().values(id="p", name="old", owner_id=None,
                                               created_at=T0, updated_at=T0))
    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.close()
    with connected(url) as conn:
        assert schema_differences(conn, SQLModel.metadata) == []
        assert conn.execute(sa.select(project_t.c.owner_id)).scalar_one() == LOCAL_USER_ID


def described(differences: list[Any]) -> set[str]:
    """Alembic's differences as short words: ``add_table user``, ``add_column job.user_id``."""
    words = set()
    for diff in differences:
        kind, *rest = diff if isinstance(diff, tuple) else diff[0]
        if kind in {"add_table", "remove_table"}:
            words.add(f"{kind} {rest[0].name}")
        elif kind in {"add_column", "remove_column"}:
            words.add(f"{kind} {rest[1]}.{rest[2].name}")
        elif kind in {"add_index", "remove_index"}:
            words.add(f"{kind} {rest[0].name}")
        elif kind in {"add_fk", "remove_fk"}:
            fk = rest[0]
            words.add(f"{kind} {fk.table.name}.{','.join(fk.column_keys)}")
        else:
            words.add(f"{kind} {rest}")
    return words


async def test_the_comparison_sees_a_model_change_without_its_migration(url: str) -> None:
    # The guard against a model changed without a migration: the models revisions ahead of
    # the database (0002's accounts, 0003's scrapes, 0004's batches, 0005's git sync, 0006's
    # publishing, 0007's index of a project's jobs by time), every change of theirs is seen.
    at_revision_0001(url)
    with connected(url) as conn:
        assert described(schema_differences(conn, SQLModel.metadata)) == {
            "add_table user", "add_table apitoken", "add_table authsession",
            "add_table oauthattempt", "add_table usersecret", "add_index ix_apitoken_user_id",
            "add_index ix_authsession_user_id", "add_index ix_usersecret_user_id",
            "add_column job.user_id", "add_index ix_job_user_id",
            "add_column modelcall.user_id", "add_index ix_modelcall_user_id",
            "remove_fk modelcall.project_id",
            "add_table scrape", "add_index ix_scrape_user_id", "add_index ix_scrape_project_id",
            "add_table batch", "add_index ix_batch_user_id", "add_table batchitem",
            "add_index ix_batchitem_batch_id", "add_table gitlink", "add_index ix_gitlink_user_id",
            "add_table gitpush", "add_index ix_gitpush_project_id",
            "add_table site", "add_index ix_site_user_id", "add_table publish",
            "add_index ix_publish_project_id", "add_table publishfile", "add_table deploy",
            "add_index ix_job_project_id_created_at",
        }


async def test_revision_0001_is_the_schema_the_previous_release_made(
        url: str, tmp_path: Path) -> None:
    at_revision_0001(url)
    if url.startswith("sqlite"):
        old_url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        made_by_previous_release(old_url)
        old = sa.MetaData()
        with connected(old_url) as conn:
            old.reflect(conn)
    else:
        # One database per test: the old schema goes in a schema of its own beside it, read
        # back as the default one.
        with connected(url) as conn:
            conn.exec_driver_sql("CREATE SCHEMA old")
            conn.exec_driver_sql("SET LOCAL search_path TO old")
            ddl = PREVIOUS_RELEASE_DDL.format(**DIALECT_WORDS["postgresql"])
            for statement in filter(str.strip, ddl.split(";")):
                conn.exec_driver_sql(statement)
            old = sa.MetaData()
            old.reflect(conn)
    with connected(url) as conn:
        assert schema_differences(conn, old) == []


async def test_two_processes_starting_at_once_migrate_once(url: str) -> None:
    first, second = Database(url), Database(url)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
    finally:
        await first.close()
        await second.close()
    assert revision(url) == migrations.head()
    with connected(url) as conn:
        assert schema_differences(conn, SQLModel.metadata) == []
        assert conn.execute(sa.text("SELECT count(*) FROM \"user\"")).scalar_one() == 1


async def _until(condition: Any, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def _sqlite_lock_waiters(lock_file: Path) -> int:
    """Processes blocked on an flock of ``lock_file`` (Linux lists them in /proc/locks)."""
    inode = f":{os.stat(lock_file).st_ino} "
    with open("/proc/locks") as locks:
        return sum(1 for line in locks if "->" in line and "FLOCK" in line and inode in line)


async def test_a_migration_waits_for_the_one_holding_the_lock(url: str) -> None:
    db = Database(url)
    try:
        if url.startswith("sqlite"):
            if not Path("/proc/locks").exists():
                pytest.skip("no /proc/locks to see a waiting lock in")
            database = sa.make_url(url).database
            assert database is not None
            lock_file = Path(database + ".migrate.lock")
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                migrating = asyncio.create_task(db.migrate())
                await _until(lambda: _sqlite_lock_waiters(lock_file) == 1)
                assert not migrating.done() and table_names(url) == set()
            finally:
                os.close(fd)
        else:
            engine = sa.create_engine(migrations.sync_url(url), poolclass=sa.NullPool)
            try:
                with engine.connect() as holder, engine.connect() as watcher:
                    holder.execute(sa.text("SELECT pg_advisory_lock(:k)"),
                                   {"k": migrations.PG_LOCK_KEY})
                    holder.commit()

                    def waiting() -> bool:
                        # A bigint key shows as its two halves; only this database's.
                        count = watcher.execute(sa.text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND NOT granted AND classid = :high AND objid = :low AND "
                            "database = (SELECT oid FROM pg_database "
                            "WHERE datname = current_database())"),
                            {"high": migrations.PG_LOCK_KEY >> 32,
                             "low": migrations.PG_LOCK_KEY & 0xFFFFFFFF}).scalar_one()
                        watcher.rollback()
                        return bool(count == 1)

                    migrating = asyncio.create_task(db.migrate())
                    await _until(waiting)
                    assert not migrating.done() and table_names(url) == set()
                    holder.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                                   {"k": migrations.PG_LOCK_KEY})
                    holder.commit()
            finally:
                engine.dispose()
        await asyncio.wait_for(migrating, 60)
        assert revision(url) == migrations.head()
    finally:
        await db.close()


async def test_migrating_again_changes_nothing(url: str) -> None:
    db = Database(url)
    try:
        await db.migrate()
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        sa.event.listen(sa.Engine, "before_cursor_execute", record)
        try:
            await db.migrate()
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", record)
    finally:
        await db.close()
    assert statements, "the second migrate should have looked at the database"
    writes = [s for s in statements
              if s.lstrip().split(None, 1)[0].upper()
              in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert revision(url) == migrations.head()


def test_revisions_are_one_chain_numbered_by_their_files() -> None:
    from alembic.script import ScriptDirectory

    scripts = list(ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions())
    for script in scripts:
        assert script.path is not None
        assert Path(script.path).name.startswith(f"{script.revision}_")
        previous = int(script.revision) - 1
        assert script.down_revision == (f"{previous:04d}" if previous else None)
    # What a database needing nothing is at, read from the file names alone, is the head.
    assert migrations.newest_revision_file() == migrations.head() == scripts[0].revision


def test_a_start_with_nothing_to_migrate_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}"
    migrations.migrate(url)
    check = ("import asyncio, sys; from paynto_common.db import Database; "
             f"asyncio.run(Database({url!r}).migrate()); "
             "assert 'alembic' not in sys.modules, 'loaded'")
    subprocess.run([sys.executable, "-c", check], check=True, timeout=120)


async def test_a_failed_migration_leaves_the_database_as_it_was(url: str) -> None:
    at_revision_0001(url)
    fill_like_previous_release(url)
    # Something 0002 cannot create over, after it has created other tables already.
    with connected(url) as conn:
        conn.exec_driver_sql("CREATE TABLE oauthattempt (state_hash VARCHAR PRIMARY KEY)")
    db = Database(url)
    try:
        with pytest.raises(sa.exc.DatabaseError):
            await db.migrate()
    finally:
        await db.close()
    assert revision(url) == "0001"
    assert "user" not in table_names(url)
    with connected(url) as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("job")}
        assert "user_id" not in columns
        owners = conn.execute(sa.select(project_t.c.owner_id)
                              .where(project_t.c.id == "p-mine")).scalar_one()
        assert owners is None


async def test_opening_a_database_another_process_is_writing_waits_for_it(
        tmp_path: Path) -> None:
    """Switching a new SQLite file to WAL needs an exclusive lock; with another process
    inside a write transaction SQLite refuses at once, without its busy timeout (what made
    two services starting together on a fresh file fail now and then). Opening waits its
    turn instead."""
    import sqlite3
    import threading

    path = tmp_path / "paynto.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE held (i INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO held VALUES (1)")
    refused = sqlite3.connect(path, timeout=5, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        refused.execute("PRAGMA journal_mode=WAL")  # what opening did before
    refused.close()

    db = Database(f"sqlite+aiosqlite:///{path}")
    released = threading.Event()

    def release() -> None:
        writer.execute("COMMIT")
        released.set()

    timer = threading.Timer(0.3, release)
    timer.start()
    try:
        async with db.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            held = (await conn.exec_driver_sql("SELECT count(*) FROM held")).scalar_one()
    finally:
        timer.join()
        await db.close()
        writer.close()
    assert released.is_set()
    assert (mode, held) == ("wal", 1)
