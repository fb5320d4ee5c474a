"""What the sandbox pool's tests share: the node_modules cache, the check that bubblewrap can
sandbox here, and managers of "replicas" over real NATS KV, real SQLite and real local
sandboxes (the ``bus`` and ``db`` fixtures of the repository's conftest.py).

Sandbox roots live under the repository's ``.data/`` (not /tmp, which every sandbox hides
anyway), with short names: a sandbox's socket path must fit in 107 bytes.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from paynto_common.bus import Bus
from paynto_common.db import Database, Project
from sandbox_pool.local import LocalProvider
from sandbox_pool.manager import PoolOptions, SandboxManager
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.provider import SandboxUnavailableError
from sandbox_pool.registry import Registry

REPO = Path(__file__).resolve().parents[3]

Sandboxing = Callable[[LocalProvider], Awaitable[None]]
MakeManager = Callable[..., Awaitable[SandboxManager]]
NewProject = Callable[[], Awaitable[str]]


@pytest.fixture(scope="session")
def node_modules() -> NodeModulesCache:
    """The shared node_modules cache, kept between runs (and shared with the system tests):
    ``PAYNTO_TEST_DEPS``, else ``.data/test-deps``."""
    return NodeModulesCache(Path(os.environ.get("PAYNTO_TEST_DEPS",
                                                REPO / ".data" / "test-deps")))


@pytest.fixture(scope="session")
def sandboxing() -> Sandboxing:
    """Checks a local provider can sandbox here: where bubblewrap cannot, the test is skipped
    (and fails in CI)."""

    async def check(provider: LocalProvider) -> None:
        try:
            await provider.check()
        except SandboxUnavailableError as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"bubblewrap cannot sandbox here: {exc}")

    return check


@pytest.fixture
def root() -> Iterator[Path]:
    """A sandbox root for one test, removed afterwards."""
    path = REPO / ".data" / f"p-{secrets.token_hex(3)}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture
async def managers(bus: Bus, db: Database, root: Path, node_modules: NodeModulesCache,
                   sandboxing: Sandboxing) -> AsyncIterator[MakeManager]:
    """Makes the manager of a replica: ``await managers("name", ttl=..., **PoolOptions)``.

    Each has its own registry view and its own local provider over one sandbox root, as two
    sandbox-pool processes on one host have.
    """
    made: list[SandboxManager] = []

    async def make(replica: str, ttl: float = 3.0, **options: float) -> SandboxManager:
        provider = LocalProvider(root / "sandboxes", node_modules, owner_id=replica)
        await sandboxing(provider)
        registry = Registry(bus.js, bus.subjects.sandbox_bucket, replica, ttl)
        await registry.open()
        await registry.heartbeat()
        manager = SandboxManager(db, provider, registry, PoolOptions(**options))  # type: ignore[arg-type]
        made.append(manager)
        return manager

    await node_modules.ensure()
    try:
        yield make
    finally:
        for manager in made:
            await manager.close()


@pytest.fixture
def new_project(db: Database) -> NewProject:
    """Makes a project row and returns its id."""

    async def make() -> str:
        async with db.session() as s:
            project = Project(name="pool test")
            s.add(project)
            await s.commit()
            return project.id

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that needs the shared node_modules runs a real sandbox (npm, Vite, bubblewrap):
    # the slow tier, left out by `make test-fast`.
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and "node_modules" in getattr(
                item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
