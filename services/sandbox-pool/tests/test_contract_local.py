"""The provider contract, against the local (bubblewrap) provider."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from sandbox_pool.deps import DepsCache
from sandbox_pool.local import LocalProvider
from sandbox_pool.provider import SandboxUnavailableError
from sandbox_pool.testing.contract import DevServerContract, ProviderContract

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def provider() -> AsyncIterator[LocalProvider]:
    data = REPO / ".data" / f"c-{secrets.token_hex(3)}"
    deps = DepsCache(Path(os.environ.get("PAYNTO_DEPS_CACHE", REPO / ".data" / "test-deps")))
    local = LocalProvider(data / "sandboxes", deps)
    try:
        await local.check()
    except SandboxUnavailableError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"bubblewrap cannot sandbox here: {exc}")
    await deps.ensure()
    try:
        yield local
    finally:
        await local.aclose()
        shutil.rmtree(data, ignore_errors=True)


class TestLocalContract(ProviderContract, DevServerContract):
    pass
