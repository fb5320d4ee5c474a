"""The provider contract, against the local (bubblewrap) provider."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from sandbox_pool.local import LocalProvider
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.testing.contract import DevServerContract, ProviderContract

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def provider(node_modules: NodeModulesCache,
                   sandboxing: Callable[[LocalProvider], Awaitable[None]]
                   ) -> AsyncIterator[LocalProvider]:
    data = REPO / ".data" / f"c-{secrets.token_hex(3)}"
    local = LocalProvider(data / "sandboxes", node_modules)
    await sandboxing(local)
    await node_modules.ensure()
    try:
        yield local
    finally:
        await local.aclose()
        shutil.rmtree(data, ignore_errors=True)


class TestLocalContract(ProviderContract, DevServerContract):
    pass
