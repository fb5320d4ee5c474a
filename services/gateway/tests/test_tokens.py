"""Personal API tokens: made by their user and shown once, listed without the secret, used as
``Authorization: Bearer``, revoked with effect on the very next request; and the admins' list of
users, which others may not read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from gateway.app import create_app
from gateway.client_address import parse_networks
from gateway.settings import GatewaySettings
from paynto_common import accounts, ledger
from paynto_common.bus import Bus
from paynto_common.db import Database, Project, Role


@pytest.fixture
def settings(settings: GatewaySettings) -> GatewaySettings:
    return settings.model_copy(update={
        "auth_mode": "required", "session_secret": SecretStr("a session secret"),
        "secrets_key": SecretStr(Fernet.generate_key().decode())})


@pytest_asyncio.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        yield client


def database(app: FastAPI) -> Database:
    db: Database = app.state.db
    return db


async def user_with_token(app: FastAPI, name: str, role: str = Role.USER) -> dict[str, str]:
    """A user and the first token an admin gives them (``paynto admin create-user``):
    headers that authenticate as them."""
    user = await accounts.create_user(database(app), name, role)
    issued = await accounts.issue_token(database(app), user.id, "first")
    return {"Authorization": f"Bearer {issued.token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_is_shown_once_and_works_as_bearer(app: FastAPI,
                                                         http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    r = await http.post("/api/auth/tokens", json={"name": "laptop CLI"}, headers=alice)
    assert r.status_code == 201
    made = r.json()
    assert set(made) == {"id", "token", "prefix"}
    assert made["token"].startswith(accounts.TOKEN_PREFIX)
    assert made["token"].startswith(made["prefix"]) and len(made["prefix"]) < len(made["token"])

    me = await http.get("/api/auth/me", headers=bearer(made["token"]))
    assert me.status_code == 200 and me.json()["name"] == "alice"

    listed = await http.get("/api/auth/tokens", headers=alice)
    assert listed.status_code == 200
    rows = listed.json()
    assert [row["name"] for row in rows] == ["first", "laptop CLI"]
    for row in rows:
        assert set(row) == {"id", "name", "prefix", "created_at", "last_used_at",
                            "revoked_at"}
    assert made["token"] not in listed.text
    assert accounts.digest(made["token"]) not in listed.text
    assert next(r for r in rows if r["id"] == made["id"])["last_used_at"] is not None


async def test_a_revoked_token_stops_working_at_once(app: FastAPI,
                                                     http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    made = (await http.post("/api/auth/tokens", json={"name": "ci"}, headers=alice)).json()
    assert (await http.get("/api/projects", headers=bearer(made["token"]))).status_code == 200

    assert (await http.delete(f"/api/auth/tokens/{made['id']}",
                              headers=alice)).status_code == 204
    r = await http.get("/api/projects", headers=bearer(made["token"]))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    listed = (await http.get("/api/auth/tokens", headers=alice)).json()
    assert next(row for row in listed if row["id"] == made["id"])["revoked_at"] is not None
    # Revoking it again changes nothing; the other token still works.
    assert (await http.delete(f"/api/auth/tokens/{made['id']}",
                              headers=alice)).status_code == 204
    assert (await http.get("/api/auth/me", headers=alice)).status_code == 200


async def test_a_token_can_revoke_itself(app: FastAPI, http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    (mine,) = (await http.get("/api/auth/tokens", headers=alice)).json()
    assert (await http.delete(f"/api/auth/tokens/{mine['id']}",
                              headers=alice)).status_code == 204
    assert (await http.get("/api/auth/me", headers=alice)).status_code == 401


async def test_another_users_token_is_unknown(app: FastAPI, http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    bob = await user_with_token(app, "bob")
    (bobs,) = (await http.get("/api/auth/tokens", headers=bob)).json()

    r = await http.delete(f"/api/auth/tokens/{bobs['id']}", headers=alice)
    assert r.status_code == 404
    assert (await http.delete("/api/auth/tokens/nope", headers=alice)).status_code == 404
    assert (await http.get("/api/auth/me", headers=bob)).json()["name"] == "bob"
    assert [row["name"] for row in (await http.get("/api/auth/tokens",
                                                   headers=alice)).json()] == ["first"]


async def test_tokens_need_a_signed_in_caller(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/auth/tokens")).status_code == 401
    assert (await http.post("/api/auth/tokens", json={"name": "x"})).status_code == 401
    r = await http.get("/api/auth/me", headers=bearer(accounts.TOKEN_PREFIX + "made-up"))
    assert r.status_code == 401
    r = await http.get("/api/auth/me", headers={"Authorization": "Basic YTpi"})
    assert r.status_code == 401


async def test_a_token_name_is_short(app: FastAPI, http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    r = await http.post("/api/auth/tokens", json={"name": "x" * 101}, headers=alice)
    assert r.status_code == 422
    r = await http.post("/api/auth/tokens", json={}, headers=alice)
    assert r.status_code == 201


async def test_a_token_name_with_a_nul_character_is_refused(app: FastAPI,
                                                            http: httpx.AsyncClient) -> None:
    """Postgres stores no NUL character: a 422 naming the field on either database (it was
    stored on SQLite and a 500 on Postgres)."""
    alice = await user_with_token(app, "alice")
    r = await http.post("/api/auth/tokens", json={"name": "laptop\x00"}, headers=alice)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    listed = (await http.get("/api/auth/tokens", headers=alice)).json()
    assert [row["name"] for row in listed] == ["first"]


async def test_only_admins_list_users(app: FastAPI, http: httpx.AsyncClient) -> None:
    alice = await user_with_token(app, "alice")
    root = await user_with_token(app, "root", Role.ADMIN)
    r = await http.get("/api/admin/users", headers=alice)
    assert r.status_code == 403 and r.json()["detail"] == "admins only"

    project = (await http.post("/api/projects", json={"name": "site"}, headers=alice)).json()
    await http.post("/api/projects", json={"name": "another"}, headers=alice)
    await ledger.record(database(app), "job-1", project["id"], "gpt-x", "answer", 100, 50, 0.25)

    r = await http.get("/api/admin/users", headers=root)
    assert r.status_code == 200
    users = {row["name"]: row for row in r.json()}
    assert users["alice"]["projects"] == 2 and users["alice"]["cost_usd"] == pytest.approx(0.25)
    assert users["root"]["projects"] == 0 and users["root"]["cost_usd"] == 0
    assert users["root"]["role"] == "admin" and users["alice"]["role"] == "user"
    assert set(users["alice"]) == {"id", "name", "role", "github_login", "created_at",
                                   "projects", "cost_usd"}
    async with database(app).session() as s:
        row = await s.get(Project, project["id"])
    assert row is not None and row.owner_id == users["alice"]["id"]


async def test_me_in_local_mode_is_the_local_user(settings: GatewaySettings, bus: Bus) -> None:
    local = settings.model_copy(update={"auth_mode": "local"})
    gateway = create_app(local, bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as http:
        me = (await http.get("/api/auth/me")).json()
        assert me["id"] == "local" and me["auth_mode"] == "local"
        made = (await http.post("/api/auth/tokens", json={"name": "script"})).json()
        revoked = await http.delete(f"/api/auth/tokens/{made['id']}")
        assert revoked.status_code == 204
        # A credential that is present but wrong is refused even here.
        r = await http.get("/api/auth/me", headers=bearer(made["token"]))
        assert r.status_code == 401


async def test_behind_trusted_proxies_only_they_may_name_the_user(
        settings: GatewaySettings, bus: Bus) -> None:
    behind = settings.model_copy(update={"user_header": "X-Forwarded-User",
                                         "trusted_proxies": parse_networks(["10.0.0.0/8"])})
    app = create_app(behind, bus=bus)
    async with app.router.lifespan_context(app):
        async def me(peer: str) -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(peer, 4321))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get("/api/auth/me", headers={"X-Forwarded-User": "ada"})

        via_proxy = await me("10.1.2.3")
        assert via_proxy.status_code == 200 and via_proxy.json()["name"] == "ada"
        # The same header straight from a client past the proxies names no one.
        assert (await me("203.0.113.9")).status_code == 401
