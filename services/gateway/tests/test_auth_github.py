"""Signing in with GitHub, end to end: a browser (an httpx client that follows real redirects)
goes from the gateway to a GitHub double on loopback and back; then its session cookie is who
it is, until it signs out or the session expires. A forged state, a replayed callback and a
code without its PKCE verifier are refused; the GitHub token is stored only encrypted; no code,
token, cookie or key is logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from sqlmodel import col, func, select, update

from gateway.api.routes.auth import CALLBACK_PATH
from gateway.app import create_app
from gateway.auth import session_cookie_name
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.bus import Bus
from paynto_common.db import AuthSession, Database, OAuthAttempt, Project, User, UserSecret, utcnow
from paynto_common.testing.github import GitHubDouble
from paynto_common.vault import Vault

PUBLIC_URL = "http://paynto.test"
LOGIN = "/api/auth/github/login"


@pytest.fixture
def public_url() -> str:
    """Where browsers reach the gateway (a test parametrizes it to try https)."""
    return PUBLIC_URL


@pytest_asyncio.fixture
async def github(public_url: str) -> AsyncIterator[GitHubDouble]:
    async with GitHubDouble(public_url + CALLBACK_PATH).running() as double:
        yield double


@pytest.fixture
def secrets_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def settings(settings: GatewaySettings, github: GitHubDouble, public_url: str,
             secrets_key: str) -> GatewaySettings:
    return settings.model_copy(update={
        "auth_mode": "required", "public_url": public_url,
        "github_url": github.url, "github_api_url": github.url,
        "github_client_id": github.client_id,
        "github_client_secret": SecretStr(github.client_secret),
        "session_secret": SecretStr("a session secret for the test"),
        "secrets_key": SecretStr(secrets_key),
    })


def new_browser(app: FastAPI, public_url: str,
                cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    """A browser: the gateway in-process at ``public_url``, everything else (the GitHub
    double) over real loopback HTTP, one cookie jar, redirects followed."""
    return httpx.AsyncClient(base_url=public_url, follow_redirects=True, trust_env=False,
                             mounts={public_url: httpx.ASGITransport(app=app)},
                             cookies=cookies)


@pytest_asyncio.fixture
async def browser(app: FastAPI, public_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with new_browser(app, public_url) as client:
        yield client


def database(app: FastAPI) -> Database:
    db: Database = app.state.db
    return db


async def sign_in(browser: httpx.AsyncClient, next_path: str = "/") -> httpx.Response:
    r = await browser.get(LOGIN, params={"next": next_path})
    assert r.status_code == 200, r.text
    return r


async def to_callback(browser: httpx.AsyncClient) -> str:
    """Start a sign-in and let GitHub answer, but stop before the callback: its URL."""
    start = await browser.get(LOGIN, follow_redirects=False)
    assert start.status_code == 302
    at_github = await browser.get(start.headers["location"], follow_redirects=False)
    assert at_github.status_code == 302
    callback = at_github.headers["location"]
    assert callback.startswith(PUBLIC_URL + CALLBACK_PATH + "?")
    return callback


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=str(httpx.QueryParams(query))).geturl()


async def count(db: Database, row: type[AuthSession] | type[OAuthAttempt]) -> int:
    async with db.session() as s:
        return (await s.exec(select(func.count()).select_from(row))).one()


async def test_sign_in_with_real_redirects(app: FastAPI, browser: httpx.AsyncClient,
                                           github: GitHubDouble, settings: GatewaySettings,
                                           bus: Bus) -> None:
    github.add_user("octocat", "The Octocat")
    r = await sign_in(browser, "/?from=login")

    login, authorize, callback = r.history
    assert login.url.path == LOGIN and callback.url.path == CALLBACK_PATH
    assert authorize.url.host == "127.0.0.1" and authorize.url.path == "/login/oauth/authorize"
    asked = authorize.url.params
    assert asked["client_id"] == github.client_id
    assert asked["redirect_uri"] == PUBLIC_URL + CALLBACK_PATH
    assert asked["scope"] == "read:user repo" and asked["code_challenge_method"] == "S256"
    assert asked["code_challenge"] and asked["state"]
    assert str(r.url) == PUBLIC_URL + "/?from=login"
    assert github.exchanges == ["ok"]

    me = await browser.get("/api/auth/me")
    assert me.status_code == 200
    body = me.json()
    assert body["name"] == "octocat" and body["github_login"] == "octocat"
    assert body["role"] == "user" and body["auth_mode"] == "required"

    # What the browser makes is the signed-in user's, and nobody else's.
    project = (await browser.post("/api/projects", json={"name": "site"})).json()
    async with database(app).session() as s:
        row = await s.get(Project, project["id"])
    assert row is not None and row.owner_id == body["id"]
    github.add_user("hubot")
    async with new_browser(app, PUBLIC_URL) as other:
        await sign_in(other)
        assert (await other.get("/api/auth/me")).json()["name"] == "hubot"
        assert (await other.get(f"/api/projects/{project['id']}")).status_code == 404
    async with new_browser(app, PUBLIC_URL) as stranger:
        assert (await stranger.get("/api/auth/me")).status_code == 401
        assert (await stranger.get("/api/projects")).status_code == 401


async def test_the_session_cookie_is_httponly_lax_and_lives_as_long_as_the_session(
    browser: httpx.AsyncClient, github: GitHubDouble, settings: GatewaySettings,
) -> None:
    github.add_user("octocat")
    callback = (await sign_in(browser)).history[-1]
    cookie = next(c for c in callback.headers.get_list("set-cookie")
                  if c.startswith("paynto_session="))
    attributes = {part.strip().split("=")[0].lower(): part.strip().partition("=")[2]
                  for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/" and "domain" not in attributes
    assert int(attributes["max-age"]) == int(settings.session_ttl_hours * 3600)
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back


@pytest.mark.parametrize("public_url", ["https://paynto.test"])
async def test_over_https_the_cookie_is_secure_and_host_only(
    app: FastAPI, public_url: str, github: GitHubDouble, settings: GatewaySettings,
) -> None:
    github.add_user("octocat")
    async with new_browser(app, public_url) as browser:
        r = await browser.get(LOGIN)
        assert r.status_code == 200 and str(r.url) == public_url + "/"
        cookies = r.history[-1].headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("__Host-paynto_session="))
        assert "secure" in session.lower() and "domain=" not in session.lower()
        assert session_cookie_name(settings) == "__Host-paynto_session"
        assert (await browser.get("/api/auth/me")).json()["name"] == "octocat"


async def test_each_sign_in_is_a_new_session_and_ends_the_one_before(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble, public_url: str,
) -> None:
    github.add_user("octocat")
    await sign_in(browser)
    first = browser.cookies["paynto_session"]
    await sign_in(browser)
    second = browser.cookies["paynto_session"]
    assert first != second
    assert (await browser.get("/api/auth/me")).status_code == 200
    async with new_browser(app, public_url, cookies={"paynto_session": first}) as old:
        assert (await old.get("/api/auth/me")).status_code == 401
    # The same GitHub account is the same user each time.
    async with database(app).session() as s:
        assert len((await s.exec(select(User).where(User.github_id.is_not(None)))).all()) == 1


async def test_sign_out_ends_the_session(app: FastAPI, browser: httpx.AsyncClient,
                                         github: GitHubDouble, public_url: str) -> None:
    github.add_user("octocat")
    await sign_in(browser)
    secret = browser.cookies["paynto_session"]
    r = await browser.post("/api/auth/logout")
    assert r.status_code == 204
    assert 'paynto_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers[
        "set-cookie"]
    assert "paynto_session" not in browser.cookies
    assert (await browser.get("/api/auth/me")).status_code == 401
    # The secret itself is worth nothing now, wherever a copy of it is.
    async with new_browser(app, public_url, cookies={"paynto_session": secret}) as copy:
        assert (await copy.get("/api/auth/me")).status_code == 401
    # Signing out without a session is fine.
    assert (await browser.post("/api/auth/logout")).status_code == 204


async def test_an_expired_session_is_refused(app: FastAPI, browser: httpx.AsyncClient,
                                             github: GitHubDouble) -> None:
    github.add_user("octocat")
    await sign_in(browser)
    assert (await browser.get("/api/auth/me")).status_code == 200
    async with database(app).session() as s:
        await s.exec(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()
    r = await browser.get("/api/auth/me")
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]


async def test_a_forged_state_is_refused(app: FastAPI, browser: httpx.AsyncClient,
                                         github: GitHubDouble) -> None:
    github.add_user("octocat")
    callback = await to_callback(browser)
    r = await browser.get(with_query(callback, state="forged"))
    assert r.status_code == 400 and "did not start in this browser" in r.json()["detail"]
    assert "paynto_session" not in browser.cookies

    # A state forged together with its cookie (as if the attacker could set one) finds no
    # sign-in attempt.
    browser.cookies.set("paynto_oauth", "forged", domain="paynto.test")
    r = await browser.get(with_query(callback, state="forged"))
    assert r.status_code == 400 and "sign in again" in r.json()["detail"]
    assert "paynto_session" not in browser.cookies
    assert await count(database(app), AuthSession) == 0
    assert github.exchanges == []  # no code was spent on GitHub


async def test_a_callback_from_another_browser_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble, public_url: str,
) -> None:
    # Login CSRF: an attacker starts a sign-in with their own GitHub account and sends the
    # victim the callback link; the victim's browser must not become the attacker's.
    github.add_user("mallory")
    callback = await to_callback(browser)
    async with new_browser(app, public_url) as victim:
        r = await victim.get(callback)
        assert r.status_code == 400
        assert (await victim.get("/api/auth/me")).status_code == 401
    assert await count(database(app), AuthSession) == 0


async def test_a_replayed_callback_is_refused(app: FastAPI, browser: httpx.AsyncClient,
                                              github: GitHubDouble) -> None:
    github.add_user("octocat")
    callback = await to_callback(browser)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    assert (await browser.get(callback)).status_code == 200
    assert await count(database(app), AuthSession) == 1

    r = await browser.get(callback)
    assert r.status_code == 400
    # Even with the attempt's cookie back, the attempt is gone: it was used.
    browser.cookies.set("paynto_oauth", state, domain="paynto.test")
    r = await browser.get(callback)
    assert r.status_code == 400 and "finished already" in r.json()["detail"]
    assert await count(database(app), AuthSession) == 1
    assert github.exchanges == ["ok"]


async def test_an_attempt_older_than_ten_minutes_is_refused(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble,
) -> None:
    github.add_user("octocat")
    callback = await to_callback(browser)
    async with database(app).session() as s:
        await s.exec(update(OAuthAttempt)
                     .values(created_at=utcnow() - timedelta(minutes=10, seconds=1)))
        await s.commit()
    r = await browser.get(callback)
    assert r.status_code == 400 and "10 minutes" in r.json()["detail"]
    assert github.exchanges == []
    # The next sign-in clears the stale attempt away.
    await sign_in(browser)
    assert await count(database(app), OAuthAttempt) == 0


async def test_the_code_is_exchanged_with_the_attempts_pkce_verifier(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble,
) -> None:
    github.add_user("octocat")
    callback = await to_callback(browser)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    async with database(app).session() as s:
        await s.exec(update(OAuthAttempt).values(code_verifier="x" * 64))
        await s.commit()
    r = await browser.get(callback)
    assert r.status_code == 400
    assert "bad_verification_code" in r.json()["detail"] and code not in r.text
    assert github.exchanges == ["bad_verification_code"]
    assert await count(database(app), AuthSession) == 0


async def test_only_a_local_path_is_a_place_to_go_back_to(browser: httpx.AsyncClient,
                                                          github: GitHubDouble) -> None:
    github.add_user("octocat")
    for elsewhere in ("//evil.test/x", "https://evil.test/", "/\\evil.test", "evil"):
        r = await sign_in(browser, elsewhere)
        assert str(r.url) == PUBLIC_URL + "/", elsewhere


async def test_a_cancelled_sign_in_is_a_clear_400(app: FastAPI, browser: httpx.AsyncClient,
                                                  github: GitHubDouble) -> None:
    github.add_user("octocat")
    github.deny = True
    r = await browser.get(LOGIN)
    assert r.status_code == 400 and "access_denied" in r.json()["detail"]
    assert await count(database(app), AuthSession) == 0


@pytest.fixture
def wrong_secret(settings: GatewaySettings) -> GatewaySettings:
    return settings.model_copy(update={"github_client_secret": SecretStr("not-the-secret")})


async def test_a_misconfigured_app_is_a_502_that_names_no_secret(
    wrong_secret: GatewaySettings, bus: Bus, github: GitHubDouble,
) -> None:
    github.add_user("octocat")
    gateway = create_app(wrong_secret, bus=bus)
    async with gateway.router.lifespan_context(gateway), \
            new_browser(gateway, PUBLIC_URL) as browser:
        r = await browser.get(LOGIN)
    assert r.status_code == 502
    detail = r.json()["detail"]
    assert "incorrect_client_credentials" in detail and "GITHUB_CLIENT_SECRET" in detail
    code = r.url.params["code"]
    assert "not-the-secret" not in r.text and code not in r.text


async def test_without_a_github_app_sign_in_answers_503(settings: GatewaySettings, bus: Bus,
                                                        github: GitHubDouble) -> None:
    bare = settings.model_copy(update={"github_client_id": "", "github_client_secret": None})
    gateway = create_app(bare, bus=bus)
    async with gateway.router.lifespan_context(gateway), \
            new_browser(gateway, PUBLIC_URL) as browser:
        r = await browser.get(LOGIN)
    assert r.status_code == 503 and "GITHUB_CLIENT_ID" in r.json()["detail"]
    assert r.history == []


async def test_required_mode_without_a_secrets_key_does_not_start(
    settings: GatewaySettings, bus: Bus,
) -> None:
    keyless = settings.model_copy(update={"secrets_key": None})
    gateway = create_app(keyless, bus=bus)
    with pytest.raises(RuntimeError, match="SECRETS_KEY") as refused:
        async with gateway.router.lifespan_context(gateway):
            pass
    assert "Fernet.generate_key()" in str(refused.value)


async def test_the_github_token_is_stored_only_encrypted(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble, secrets_key: str,
    tmp_path: Path,
) -> None:
    github.add_user("octocat")
    await sign_in(browser)
    (token,) = github.tokens
    user_id = (await browser.get("/api/auth/me")).json()["id"]
    async with database(app).session() as s:
        (row,) = (await s.exec(select(UserSecret))).all()
    assert row.user_id == user_id and row.name == "github"
    assert token not in row.ciphertext
    assert Vault(secrets_key).open(row.ciphertext) == token
    files = [p for p in tmp_path.iterdir() if p.name.startswith("paynto.db")]
    assert files
    for path in files:
        assert token.encode() not in path.read_bytes()


async def test_a_github_login_names_a_new_user_and_follows_renames(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble,
) -> None:
    db = database(app)
    await accounts.create_user(db, "octocat")  # someone else, made by an admin
    person = github.add_user("octocat")
    await sign_in(browser)
    me = (await browser.get("/api/auth/me")).json()
    assert me["name"] == "octocat-2" and me["github_login"] == "octocat"

    person.login = "octocat-renamed"
    await sign_in(browser)
    again = (await browser.get("/api/auth/me")).json()
    assert again["id"] == me["id"] and again["name"] == "octocat-2"
    assert again["github_login"] == "octocat-renamed"
    async with db.session() as s:
        found = (await s.exec(select(User).where(col(User.github_id) == person.id))).one()
    assert found.id == me["id"]


async def test_no_code_token_cookie_or_key_is_logged(
    app: FastAPI, browser: httpx.AsyncClient, github: GitHubDouble, secrets_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    github.add_user("octocat")
    caplog.set_level(logging.DEBUG)
    # Services quiet their HTTP clients (configure_logging); here they speak, to be read.
    caplog.set_level(logging.DEBUG, logger="httpx2")
    r = await sign_in(browser)
    await browser.get("/api/auth/me")
    await browser.post("/api/auth/logout")
    callback = r.history[-1].url.params
    secrets = [callback["code"], callback["state"], *github.tokens,
               r.history[-1].cookies["paynto_session"], secrets_key, github.client_secret]
    # The test's browser (httpx, httpcore) logs the URLs it visits, as a browser keeps its
    # history; the gateway (its GitHub client is httpx2, httpcore2) is what must keep quiet.
    lines = [record.getMessage() for record in caplog.records
             if record.name.split(".")[0] not in ("httpx", "httpcore")]
    assert any(line.startswith("HTTP Request: POST") for line in lines)  # the gateway's
    for line in lines:
        for secret in secrets:
            assert secret not in line, line


async def test_the_flow_on_postgres(settings: GatewaySettings, bus: Bus, github: GitHubDouble,
                                    postgres_url: str) -> None:
    # Taking an attempt is one DELETE ... RETURNING, with its age checked in SQL: both must
    # hold on the production database too.
    on_postgres = settings.model_copy(update={"database_url": postgres_url})
    github.add_user("octocat")
    gateway = create_app(on_postgres, bus=bus)
    async with gateway.router.lifespan_context(gateway), \
            new_browser(gateway, PUBLIC_URL) as browser:
        callback = await to_callback(browser)
        assert (await browser.get(callback)).status_code == 200
        assert (await browser.get("/api/auth/me")).json()["name"] == "octocat"
        state = parse_qs(urlsplit(callback).query)["state"][0]
        browser.cookies.set("paynto_oauth", state, domain="paynto.test")
        assert (await browser.get(callback)).status_code == 400

        stale = await to_callback(browser)
        async with database(gateway).session() as s:
            await s.exec(update(OAuthAttempt)
                         .values(created_at=utcnow() - timedelta(minutes=11)))
            await s.commit()
        assert (await browser.get(stale)).status_code == 400
        assert (await browser.post("/api/auth/logout")).status_code == 204
        assert (await browser.get("/api/auth/me")).status_code == 401
        assert github.exchanges == ["ok"]



@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The spans finished from now on (the tracer provider is the process's)."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the first test of the process to trace
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_no_code_or_state_is_traced(app: FastAPI, browser: httpx.AsyncClient,
                                          github: GitHubDouble,
                                          spans: InMemorySpanExporter) -> None:
    github.add_user("octocat")
    r = await sign_in(browser)
    callback = r.history[-1].url.params
    traced = [span for span in spans.get_finished_spans()
              if (span.attributes or {}).get("http.route") == CALLBACK_PATH]
    assert traced
    for span in traced:
        text = str(dict(span.attributes or {}))
        assert callback["code"] not in text and callback["state"] not in text, (
            "the app must instrument FastAPI with "
            "server_request_hook=gateway.api.routes.auth.redact_query_in_trace")
        assert "code=REDACTED" in text
