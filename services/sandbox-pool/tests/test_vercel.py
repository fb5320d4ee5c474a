"""The Vercel Sandbox provider: the provider contract against a loopback fake of Vercel's
Sandbox API (always) and against Vercel itself (when credentials are set), plus what is
particular to Vercel: batched uploads, time-limit extensions, expired sandboxes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from paynto_common.messages import preview_path
from paynto_common.safety.paths import UnsafePathError
from sandbox_pool.provider import (
    ProviderSandbox,
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
from sandbox_pool.testing.fake_vercel import FakeVercel
from sandbox_pool.vercel import DEV_PORT, VercelProvider

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIVE_ENV = ("VERCEL_TOKEN", "VERCEL_TEAM_ID", "VERCEL_PROJECT_ID")


def on_fake(fake: FakeVercel, **options: Any) -> VercelProvider:
    """A provider whose SDK talks to ``fake``."""
    settings: dict[str, Any] = {"timeout": 300.0, "start_timeout": 30.0, **options}
    return VercelProvider(
        token=fake.token, team_id=fake.team_id, project_id=fake.project_id,
        api_url=fake.url, **settings,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeVercel]:
    async with FakeVercel() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def provider(fake: FakeVercel) -> AsyncIterator[VercelProvider]:
    vercel = on_fake(fake)
    await vercel.check()
    try:
        yield vercel
    finally:
        await vercel.aclose()


class TestVercelFakeContract(ProviderContract):
    pass


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live_provider() -> AsyncIterator[VercelProvider]:
    missing = [name for name in LIVE_ENV if not os.environ.get(name)]
    if missing:
        pytest.skip(f"Vercel Sandbox credentials not set ({', '.join(missing)})")
    vercel = VercelProvider(
        token=os.environ["VERCEL_TOKEN"],
        team_id=os.environ["VERCEL_TEAM_ID"],
        project_id=os.environ["VERCEL_PROJECT_ID"],
        timeout=600.0,
    )
    await vercel.check()
    try:
        yield vercel
    finally:
        await vercel.aclose()


@pytest.mark.live
class TestVercelLiveContract(ProviderContract, DevServerContract):
    @pytest.fixture
    def provider(self, live_provider: VercelProvider) -> VercelProvider:
        return live_provider


def name_of(sandbox: ProviderSandbox) -> str:
    assert sandbox.remote_id is not None
    return sandbox.remote_id


def server_starts(fake: FakeVercel) -> int:
    return sum(1 for command, args in fake.commands
               if command == "node" and args[:1] == ["serve.mjs"])


async def test_the_template_goes_up_in_one_request_and_writes_in_one_each(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    before = fake.write_requests
    sandbox_id = new_id()
    sandbox = await provider.create(sandbox_id, preview_path(sandbox_id))
    try:
        assert fake.write_requests == before + 1
        files = fake.files(name_of(sandbox))
        assert (files / "serve.mjs").is_file()
        assert (files / "index.html").is_file()
        assert (files / "node_modules" / "vite" / "package.json").is_file()
        assert sandbox.endpoint == fake.sandbox(name_of(sandbox)).routes[DEV_PORT]

        written = await sandbox.write_files({
            "src/App.jsx": "import Card from './Card.jsx'\nimport './app.css'\n"
                           "export default function App() { return <Card /> }\n",
            "src/Card.jsx": APP.format(marker="card"),
            "src/app.css": "h1 { color: red }\n",
            "./public/logo.svg": "<svg/>",
        })
        assert written == ["src/app.css", "public/logo.svg", "src/Card.jsx", "src/App.jsx"]
        assert fake.write_requests == before + 2
        assert fake.written[-4:] == written
        assert await sandbox.write_files({}) == []
        assert fake.write_requests == before + 2
    finally:
        await sandbox.destroy()


async def test_unsafe_paths_never_reach_vercel(fake: FakeVercel, provider: VercelProvider) -> None:
    async with made(provider, start=False) as sandbox:
        writes, requests = fake.write_requests, len(fake.requests)
        for bad in ("../outside.js", "/etc/passwd", "node_modules/react/index.js",
                    "package.json", "vite.config.js", "src/../../x.js", ".paynto-packages.json"):
            with pytest.raises(UnsafePathError):
                await sandbox.write_files({"src/Fine.jsx": "x", bad: "alert(1)"})
        assert (fake.write_requests, len(fake.requests)) == (writes, requests)
        assert not (fake.files(name_of(sandbox)) / "src" / "Fine.jsx").exists()


async def test_keep_alive_extends_the_time_limit_only_by_what_is_missing(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    async with made(provider, start=False) as sandbox:
        session = fake.sandbox(name_of(sandbox)).session.id

        def extensions() -> list[float]:
            return [seconds for sid, seconds in fake.extensions if sid == session]

        await sandbox.keep_alive(60)  # the sandbox was made with 300 s
        assert extensions() == []
        await sandbox.keep_alive(900)
        [extended] = extensions()
        assert 600 <= extended <= 900 + 15
        await sandbox.keep_alive(900)
        assert len(extensions()) == 1


async def test_an_expired_sandbox_is_gone(fake: FakeVercel, provider: VercelProvider) -> None:
    async with made(provider) as sandbox:
        assert await sandbox.alive()
        fake.expire(name_of(sandbox))
        assert not await sandbox.alive()
        with pytest.raises(SandboxGoneError):
            await provider.connect(sandbox.id, sandbox.remote_id, sandbox.base_path)
        with pytest.raises(SandboxGoneError):
            await sandbox.write_files({"src/App.jsx": APP.format(marker="late")})
        with pytest.raises(SandboxGoneError):
            await sandbox.keep_alive(3600)
        with pytest.raises(SandboxGoneError):
            await sandbox.ensure_packages(["left-pad"])
        with pytest.raises(SandboxGoneError):
            await sandbox.start()
        assert not await sandbox.alive()
    # destroy() (by made) took an already stopped sandbox without complaint.
    with pytest.raises(SandboxGoneError):
        await provider.connect(sandbox.id, sandbox.remote_id, sandbox.base_path)


async def test_a_deleted_or_unknown_sandbox_is_gone(provider: VercelProvider) -> None:
    with pytest.raises(SandboxGoneError):
        await provider.connect("c1", "sbx_never_made", preview_path("c1"))
    with pytest.raises(SandboxGoneError):
        await provider.connect("c1", None, preview_path("c1"))


async def test_check_needs_credentials_vercel_accepts(fake: FakeVercel) -> None:
    for missing in ("token", "team_id", "project_id"):
        settings: dict[str, Any] = {
            "token": fake.token, "team_id": fake.team_id, "project_id": fake.project_id,
            missing: None,
        }
        unconfigured = VercelProvider(api_url=fake.url, **settings)
        requests = len(fake.requests)
        with pytest.raises(SandboxUnavailableError, match="VERCEL_"):
            await unconfigured.check()
        with pytest.raises(SandboxUnavailableError):
            await unconfigured.create("c1", preview_path("c1"))
        assert len(fake.requests) == requests
        await unconfigured.aclose()
    refused = VercelProvider(
        token="wrong", team_id=fake.team_id, project_id=fake.project_id, api_url=fake.url
    )
    with pytest.raises(SandboxUnavailableError, match="refused"):
        await refused.check()
    await refused.aclose()


async def test_packages_install_once_with_output_and_restart_a_running_server(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    async with made(provider) as sandbox:
        starts = server_starts(fake)
        lines: list[str] = []
        assert await sandbox.ensure_packages(["left-pad", "react"], lines.append) == ["left-pad"]
        assert any("added 1 packages" in line for line in lines)
        assert fake.installs[-1] == (name_of(sandbox), ("left-pad",))
        assert server_starts(fake) == starts + 1
        assert await sandbox.alive()

        installs = len(fake.installs)
        assert await sandbox.ensure_packages(["left-pad@^1"]) == []
        assert len(fake.installs) == installs
        # Earlier --no-save packages are named again, or npm would remove them.
        assert await sandbox.ensure_packages(["is-odd"]) == ["is-odd"]
        assert fake.installs[-1] == (name_of(sandbox), ("left-pad", "is-odd"))
        assert server_starts(fake) == starts + 2
        assert await sandbox.alive()


async def test_installing_into_a_stopped_sandbox_starts_nothing(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    async with made(provider, start=False) as sandbox:
        starts = server_starts(fake)
        assert await sandbox.ensure_packages(["clsx"]) == ["clsx"]
        assert server_starts(fake) == starts
        assert not await sandbox.alive()


async def test_connect_adopts_the_running_server_and_its_packages(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    async with made(provider) as sandbox:
        await sandbox.ensure_packages(["left-pad"])
        other = on_fake(fake)
        try:
            again = await other.connect(sandbox.id, sandbox.remote_id, sandbox.base_path)
            assert again.endpoint == sandbox.endpoint
            assert again.extra_packages == ["left-pad"]
            assert await again.alive()
            starts = server_starts(fake)
            await again.start()  # already running: nothing to do
            assert server_starts(fake) == starts
            status, _ = await fetch(again, "src/App.jsx")
            assert status == 200
        finally:
            await other.aclose()


async def test_a_server_that_cannot_start_reports_its_output(
    fake: FakeVercel, provider: VercelProvider
) -> None:
    async with made(provider, start=False) as sandbox:
        vite = fake.files(name_of(sandbox)) / "node_modules" / "vite" / "package.json"
        vite.unlink()
        with pytest.raises(SandboxStartError) as caught:
            await sandbox.start()
        assert any("Cannot find package 'vite'" in line for line in caught.value.log_tail)
        assert not await sandbox.alive()


async def test_the_fake_runs_no_other_command(fake: FakeVercel, provider: VercelProvider) -> None:
    async with made(provider, start=False) as sandbox:
        box = await provider.client.get_sandbox(name=name_of(sandbox))
        assert box.current_session is not None
        result = await box.current_session.run_process(
            "sh", ["-c", "echo owned > /tmp/x"], capture_output=True
        )
        assert result.returncode == 127
        assert "not supported" in (result.stderr or "")
