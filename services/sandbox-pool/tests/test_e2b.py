"""The E2B provider: the provider contract against a loopback fake of E2B (and against E2B itself
when ``E2B_API_KEY`` is set), plus what only this provider does."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from paynto_common.messages import preview_path
from paynto_common.safety.paths import UnsafePathError
from sandbox_pool.e2b import E2BProvider
from sandbox_pool.provider import (
    SandboxError,
    SandboxGoneError,
    SandboxStartError,
    SandboxUnavailableError,
)
from sandbox_pool.testing.contract import (
    APP,
    DevServerContract,
    ProviderContract,
    fetch,
    made,
    new_id,
)
from sandbox_pool.testing.fake_e2b import FakeE2B

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORKDIR = "/home/user/app"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeE2B]:
    async with FakeE2B() as running:
        yield running


def fake_provider(fake: FakeE2B, **options: Any) -> E2BProvider:
    """A provider whose SDK calls and previews all reach ``fake``."""
    return E2BProvider(
        fake.api_key,
        api_url=fake.url,
        sandbox_url=fake.url,
        domain=fake.domain,
        preview_url=fake.preview_url_template,
        **options,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def e2b(fake: FakeE2B) -> AsyncIterator[E2BProvider]:
    provider = fake_provider(fake)
    await provider.check()
    try:
        yield provider
    finally:
        await provider.aclose()


class TestE2BFakeContract(ProviderContract):
    @pytest_asyncio.fixture(loop_scope="module")
    async def provider(self, e2b: E2BProvider) -> E2BProvider:
        return e2b


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live_e2b() -> AsyncIterator[E2BProvider]:
    key = os.environ.get("E2B_API_KEY")
    if not key:
        pytest.skip("E2B_API_KEY is not set: the live E2B contract needs a real key")
    provider = E2BProvider(
        key,
        template=os.environ.get("E2B_TEMPLATE") or "base",
        domain=os.environ.get("E2B_DOMAIN") or None,
        sandbox_timeout=600,
    )
    await provider.check()
    try:
        yield provider
    finally:
        await provider.aclose()


@pytest.mark.live
class TestE2BLiveContract(ProviderContract, DevServerContract):
    @pytest_asyncio.fixture(loop_scope="module")
    async def provider(self, live_e2b: E2BProvider) -> E2BProvider:
        return live_e2b


async def test_create_sends_the_template_in_one_upload_and_installs(
    fake: FakeE2B, e2b: E2BProvider
) -> None:
    uploads = fake.write_requests
    async with made(e2b, start=False) as sandbox:
        assert fake.write_requests == uploads + 1
        assert fake.created[-1]["templateID"] == "base"
        assert fake.created[-1]["metadata"] == {"paynto_sandbox": sandbox.id}
        assert sandbox.remote_id is not None
        files = fake.sandbox(sandbox.remote_id).path(WORKDIR)
        for name in ("package.json", "vite.config.js", "index.html", "serve.mjs", "src/App.jsx"):
            assert (files / name).is_file(), name
        assert fake.installs[-1] == (sandbox.remote_id, ())
        install = [c for rid, c in fake.commands if rid == sandbox.remote_id][-1]
        assert install == "npm install --ignore-scripts --no-audit --no-fund"


async def test_many_files_go_in_one_write_request(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b, start=False) as sandbox:
        files = {f"src/components/Part{i}.jsx": APP.format(marker=f"part-{i}") for i in range(40)}
        before, written = fake.write_requests, len(fake.written)
        order = await sandbox.write_files(files)
        assert fake.write_requests == before + 1
        assert sorted(order) == sorted(files)
        assert fake.written[written:] == [f"{WORKDIR}/{rel}" for rel in order]


async def test_unsafe_paths_never_reach_e2b(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b, start=False) as sandbox:
        before, written = fake.write_requests, len(fake.written)
        for unsafe in ("../outside.js", "/etc/passwd", "node_modules/react/index.js",
                       "package.json", "vite.config.js", "src/../../x.js", "serve.mjs"):
            with pytest.raises(UnsafePathError):
                await sandbox.write_files({"src/Fine.jsx": "ok", unsafe: "alert(1)"})
        assert fake.write_requests == before
        assert fake.written[written:] == []


async def test_keep_alive_sets_the_sandbox_timeout(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b, start=False) as sandbox:
        await sandbox.keep_alive(120.2)
        assert fake.timeouts[-1] == (sandbox.remote_id, 121)


async def test_an_expired_sandbox_is_gone(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b) as sandbox:
        assert await sandbox.alive()
        remote_id = sandbox.remote_id
        assert remote_id is not None
        fake.expire(remote_id)
        assert not await sandbox.alive()
        with pytest.raises(SandboxGoneError):
            await e2b.connect(sandbox.id, remote_id, sandbox.base_path)
        with pytest.raises(SandboxGoneError):
            await sandbox.write_files({"src/App.jsx": APP.format(marker="late")})
        with pytest.raises(SandboxGoneError):
            await sandbox.keep_alive(60)
        with pytest.raises(SandboxGoneError):
            await sandbox.ensure_packages(["left-pad"])
        with pytest.raises(SandboxGoneError):
            await sandbox.restart()
    # destroy() (in made) found it gone and stayed quiet.


async def test_connect_without_an_e2b_id_is_gone(e2b: E2BProvider) -> None:
    with pytest.raises(SandboxGoneError):
        await e2b.connect("c1", None, preview_path("c1"))


async def test_check_needs_an_api_key(fake: FakeE2B) -> None:
    with pytest.raises(SandboxUnavailableError, match="E2B_API_KEY"):
        await E2BProvider(None).check()
    with pytest.raises(SandboxUnavailableError, match="API key"):
        await E2BProvider("e2b_wrong", api_url=fake.url, sandbox_url=fake.url,
                          domain=fake.domain).check()


async def test_packages_install_only_what_is_missing(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b) as sandbox:
        remote_id = sandbox.remote_id
        starts = sum(1 for rid, c in fake.commands if rid == remote_id and "serve.mjs" in c)
        lines: list[str] = []
        assert await sandbox.ensure_packages(["react", "left-pad@^1.3"], lines.append) == [
            "left-pad"
        ]
        assert fake.installs[-1] == (remote_id, ("left-pad@^1.3",))
        assert "fetched left-pad" in lines
        install = [c for rid, c in fake.commands if rid == remote_id and c.startswith("npm")][-1]
        assert "--ignore-scripts" in install.split()
        assert "--no-save" in install.split()
        # The server was running and something was installed: it was restarted, and answers.
        after = sum(1 for rid, c in fake.commands if rid == remote_id and "serve.mjs" in c)
        assert after == starts + 1
        assert await sandbox.alive()

        installs = len(fake.installs)
        assert await sandbox.ensure_packages(["left-pad"]) == []
        assert len(fake.installs) == installs
        # A later install names the earlier --no-save packages again, or npm would prune them.
        assert await sandbox.ensure_packages(["dayjs"]) == ["dayjs"]
        assert fake.installs[-1] == (remote_id, ("left-pad@^1.3", "dayjs"))


async def test_packages_on_a_stopped_server_do_not_start_it(
    fake: FakeE2B, e2b: E2BProvider
) -> None:
    async with made(e2b, start=False) as sandbox:
        assert await sandbox.ensure_packages(["clsx"]) == ["clsx"]
        assert not any(rid == sandbox.remote_id and "serve.mjs" in c for rid, c in fake.commands)
        assert not await sandbox.alive()


async def test_connect_follows_the_running_server(fake: FakeE2B, e2b: E2BProvider) -> None:
    async with made(e2b) as sandbox:
        await sandbox.write_files({"src/App.jsx": APP.format(marker="still-there")})
        again = await e2b.connect(sandbox.id, sandbox.remote_id, sandbox.base_path)
        assert again.endpoint == sandbox.endpoint
        assert await again.alive()
        # start() finds the server running; restart() replaces it (one port, one server).
        await again.start()
        await again.restart()
        assert await again.alive()
        status, module = await fetch(again, "src/App.jsx")
        assert (status, "still-there" in module) == (200, True)
        assert "PAYNTO_READY" in again.logs()


async def test_a_server_that_cannot_start_reports_its_output(fake: FakeE2B) -> None:
    # The template is said to hold node_modules, but this one does not: Vite is missing.
    provider = fake_provider(fake, template="bare", template_has_deps=True, start_timeout=20)
    installs = len(fake.installs)
    async with made(provider, start=False) as sandbox:
        assert len(fake.installs) == installs
        with pytest.raises(SandboxStartError, match="Cannot find package 'vite'"):
            await sandbox.start()
        assert not await sandbox.alive()


async def test_the_default_endpoint_is_e2b_https_host(fake: FakeE2B) -> None:
    provider = E2BProvider(fake.api_key, api_url=fake.url, sandbox_url=fake.url,
                           domain=fake.domain, template_has_deps=True)
    sandbox_id = new_id()
    sandbox = await provider.create(sandbox_id, preview_path(sandbox_id))
    try:
        assert sandbox.endpoint == f"https://5173-{sandbox.remote_id}.{fake.domain}"
    finally:
        await sandbox.destroy()
    assert sandbox.remote_id in fake.kills


async def test_an_unknown_template_is_an_error_not_a_gone_sandbox(fake: FakeE2B) -> None:
    fake.templates = {"base"}
    try:
        provider = fake_provider(fake, template="no-such-template")
        with pytest.raises(SandboxError, match="no-such-template") as caught:
            await provider.create(new_id(), preview_path("x"))
        assert not isinstance(caught.value, SandboxGoneError)
    finally:
        fake.templates = None


async def test_a_bad_preview_url_template_is_refused() -> None:
    with pytest.raises(ValueError, match="preview URL"):
        E2BProvider("key", preview_url="https://{hostname}")
