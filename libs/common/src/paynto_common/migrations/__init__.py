"""Schema migrations (Alembic), run by every service on start through ``Database.migrate``.

Revisions are hand-written files in ``versions/``, named ``NNNN_what_it_does.py`` with
``revision = "NNNN"``; Alembic is configured here in code, so nothing but this package is
needed at run time. Two processes starting at once never migrate together: on Postgres the
migration's transaction holds an advisory lock, on SQLite a lock file beside the database is
held around it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

# Any fixed number will do, as long as nothing else in the database locks on it; this one is
# "paynto" in ASCII.
PG_LOCK_KEY = 0x7061796E746F

# The tables of the release before migrations existed (revision 0001): a database holding them
# and no ``alembic_version`` was made by ``create_all`` and is adopted, not created again.
PRE_MIGRATION_TABLES = ("project", "version", "job", "modelcall", "sandbox", "plan", "ticket")

_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (there is no alembic.ini). ``env.py`` runs the
    revisions on ``connection``, in the transaction the caller opened."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision, as Alembic reads the revisions' chain."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def newest_revision_file() -> str:
    """The newest revision by its file's number: what a database that needs nothing is at.
    Known without importing Alembic (half a second at every start); a test holds it equal
    to ``head()``."""
    numbers = [m.group(1) for f in (HERE / "versions").iterdir()
               if (m := _REVISION_FILE.match(f.name))]
    return max(numbers)


def current_revision(connection: Connection) -> str | None:
    """The revision the database on ``connection`` is at; None when it has none."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
    # One line, as long as the revisions form a single chain (they do: each names the one
    # before it).
    return versions[0] if len(versions) == 1 else None


def is_current(connection: Connection) -> bool:
    """Whether the database is at the newest revision already (the usual start): a read,
    needing no lock, since another process migrating meanwhile only moves it to the same
    place."""
    return current_revision(connection) == newest_revision_file()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the database on ``connection`` to ``revision``, inside the connection's current
    transaction (the caller begins and commits it, and holds the lock)."""
    from alembic import command

    if current_revision(connection) is None:
        existing = set(inspect(connection).get_table_names()) & set(PRE_MIGRATION_TABLES)
        if existing:
            # Made by create_all before there were migrations: revision 0001 creates only
            # the tables it lacks, so the database is adopted with its rows.
            log.info("database predates migrations (has %s): adopting it as revision 0001",
                     ", ".join(sorted(existing)))
    command.upgrade(alembic_config(connection), revision)


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` (an async or sync SQLAlchemy URL) under a lock that
    other processes migrating the same database wait on. Blocking: ``Database.migrate`` runs
    it in a thread."""
    target = sync_url(url)
    sqlite = target.get_backend_name() == "sqlite"
    engine = _sqlite_engine(target) if sqlite else create_engine(target, poolclass=NullPool)
    try:
        with (_sqlite_lock(target.database) if sqlite else nullcontext(),
              engine.connect() as conn, conn.begin()):
            if conn.dialect.name == "postgresql":
                # Held until this transaction ends, so the migration and its lock commit (or
                # roll back) together; a second process waits here, then finds nothing to do.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            upgrade(conn, revision)
    finally:
        engine.dispose()


def sync_url(url: str | URL) -> URL:
    """The same database through a blocking driver (the services' URLs name async ones)."""
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


@contextmanager
def _sqlite_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        # Only this process sees such a database.
        yield
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".migrate.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the file releases the lock.
        os.close(fd)


def _sqlite_engine(url: URL) -> Engine:
    """An engine whose transactions really are transactions: Python's sqlite3 would commit
    DDL as it goes, so a failed migration would leave half a schema behind. SQLite rolls
    DDL back like anything else when the driver leaves BEGIN and COMMIT to us."""
    from paynto_common.db import _sqlite_pragmas

    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None
        _sqlite_pragmas(dbapi_conn, record)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE: take the write lock now, so services already running wait on the
        # busy timeout instead of failing halfway through.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
