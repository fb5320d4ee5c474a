"""Tenancy: two users, every route of the API (read from the app's route table, so a new route
cannot be forgotten), each trying the other's ids — all 404, the answer an id that does not
exist gets — and nothing of the owner's changed by the attempts. SSE streams and the preview
proxy are in the table too (the preview by hand: it is not in the OpenAPI schema)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlmodel import select
from starlette.routing import BaseRoute

from gateway.auth import PreviewSigner
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.db import (
    Batch,
    BatchItem,
    Database,
    Job,
    JobStatus,
    Plan,
    Project,
    Sandbox,
    Scrape,
    Ticket,
    User,
    Version,
)

# Routes that name no resource of anyone's (they act on the caller's own account, or on
# nothing stored): checked on their own below. A new route lands here only by a decision.
UNOWNED = {
    ("GET", "/api/projects"), ("POST", "/api/projects"), ("GET", "/api/models"),
    ("GET", "/api/usage"), ("GET", "/api/auth/me"), ("GET", "/api/auth/tokens"),
    ("POST", "/api/auth/tokens"), ("GET", "/api/admin/users"),
    # The steps of signing in and out: for anyone (test_auth_github.py).
    ("GET", "/api/auth/github/login"), ("GET", "/api/auth/github/callback"),
    ("POST", "/api/auth/logout"),
    # Reading a site makes a scrape of the caller's own (its id then names it).
    ("POST", "/api/scrape-website"), ("POST", "/api/scrape-screenshot"),
    ("POST", "/api/extract-brand-styles"),
    # A batch is made for, and listed to, the caller.
    ("POST", "/api/batches"), ("GET", "/api/batches"),
    # The caller's own GitHub account (POST /api/github/commit names a project: walked).
    ("GET", "/api/github"), ("PUT", "/api/github/token"), ("DELETE", "/api/github/token"),
    ("GET", "/api/github/repos"), ("POST", "/api/github/repos"),
    ("POST", "/api/github/import"),
    # The caller's own tokens for Vercel and Netlify.
    ("GET", "/api/account/deploy-tokens"), ("PUT", "/api/account/deploy-tokens/{provider}"),
    ("DELETE", "/api/account/deploy-tokens/{provider}"),
}
# Sample values for the fields of request bodies and queries that are not ids.
SAMPLES: dict[str, Any] = {
    "prompt": "a bakery", "response": "<file path=\"src/App.jsx\">x</file>", "model": None,
    "packages": ["left-pad"], "name": "renamed", "title": "a ticket", "version": 1,
    "url": "https://example.com/", "urls": ["https://example.com/"],
    "remote_url": "https://example.com/site.git", "auto_publish": True,
    "repo": "octocat/site", "token": "ghp_not-a-real-token",
}


@dataclass
class Owner:
    user: User
    token: str
    token_id: str
    project: str
    plan: str
    job: str
    sandbox: str
    scrape: str
    batch: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def ids(self) -> dict[str, str]:
        return {"project_id": self.project, "plan_id": self.plan, "job_id": self.job,
                "token_id": self.token_id, "sandbox_id": self.sandbox, "key": "T1",
                "number": "1", "scrape_id": self.scrape, "batch_id": self.batch,
                "provider": "vercel"}


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, namespace: str, sqlite_url: str) -> GatewaySettings:
    return GatewaySettings(data_dir=tmp_path, database_url=sqlite_url, redis_url=redis_url,
                           bus_namespace=namespace, rate_limit_jobs_per_minute=0,
                           auth_mode="required", session_secret="s" * 32,
                           secrets_key=Fernet.generate_key().decode(), sandbox_wait_seconds=1)


async def make_owner(db: Database, name: str) -> Owner:
    """A user with a token and one of everything: a project with a version, a job, a plan
    with a ticket, a running sandbox."""
    user = await accounts.create_user(db, name)
    issued = await accounts.issue_token(db, user.id, "cli")
    async with db.session() as s:
        project = Project(name=f"{name}'s site", owner_id=user.id)
        s.add(project)
        await s.flush()
        s.add(Version(project_id=project.id, number=1, files={"src/App.jsx": name}))
        job = Job(project_id=project.id, kind="generate", user_id=user.id,
                  status=JobStatus.RUNNING)
        plan = Plan(project_id=project.id, job_id=f"plan-{project.id}", prompt="p")
        sandbox = Sandbox(project_id=project.id, provider="local", status="running",
                          endpoint="http://127.0.0.1:9")
        scrape = Scrape(user_id=user.id, project_id=project.id, url="https://example.com/",
                        pages=[{"url": "https://example.com/",
                                "final_url": "https://example.com/"}],
                        screenshot=b"\x89PNG\r\n\x1a\n")
        batch = Batch(user_id=user.id, name="sites")
        s.add_all([job, plan, sandbox, scrape, batch])
        await s.flush()
        s.add(Ticket(plan_id=plan.id, project_id=project.id, key="T1", position=0,
                     title="hero", type="component", priority="high", complexity="S"))
        await s.commit()
        s.add(BatchItem(batch_id=batch.id, position=0, url="https://example.com/"))
        await s.commit()
        return Owner(user, issued.token, issued.id, project.id, plan.id, job.id, sandbox.id,
                     scrape.id, batch.id)


def _walk(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _walk(included.routes)  # a router included lazily (FastAPI >= 0.16x)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    routes = [(method, route) for route in _walk(app.routes)
              if route.path.startswith("/api/") for method in sorted(route.methods)]
    assert len(routes) > 40, "the route table looks empty: is the API included?"
    return routes


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of a route and of every dependency it has."""
    names = {p.name for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def request_for(route: APIRoute, ids: dict[str, str]) -> tuple[str, dict[str, Any], Any]:
    """The route's path with ``ids`` filled in, its query and its body, naming those ids."""
    path = route.path
    for name in re.findall(r"{(\w+)(?::\w+)?}", route.path):
        assert name in ids, f"{route.path}: no sample id for path parameter {name}"
        path = re.sub(r"{" + name + r"(?::\w+)?}", ids[name], path)
    query = {name: ids[name] for name in _query_names(route.dependant) if name in ids}
    body = None
    if route.body_field is not None:
        model = route.body_field.field_info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        body = {}
        for field, info in model.model_fields.items():
            if field in ids:
                body[field] = ids[field]
            elif field in SAMPLES:
                body[field] = SAMPLES[field]
            else:
                assert not info.is_required(), (
                    f"{route.path}: add a sample value for body field {field!r}")
    return path, query, body


# Path parameters that name a kind of thing (a deploy provider), nobody's resource.
KINDS = {"provider"}


def names_a_resource(route: APIRoute, ids: dict[str, str]) -> bool:
    params = set(re.findall(r"{(\w+)(?::\w+)?}", route.path))
    if params and params <= KINDS:
        return False
    path, query, body = request_for(route, ids)
    return path != route.path or bool(query) or bool(body and "project_id" in body)


async def snapshot(db: Database, owner: Owner) -> dict[str, Any]:
    async with db.session() as s:
        project = await s.get(Project, owner.project)
        job = await s.get(Job, owner.job)
        plan = await s.get(Plan, owner.plan)
        ticket = (await s.exec(select(Ticket).where(Ticket.plan_id == owner.plan))).one()
    return {"project": project and project.model_dump(), "job": job and job.model_dump(),
            "plan": plan and plan.model_dump(), "ticket": ticket.model_dump(),
            "tokens": [t.revoked_at for t in await accounts.tokens_of(db, owner.user.id)]}


async def test_every_route_answers_404_for_another_users_ids(
        app: FastAPI, client: httpx.AsyncClient, db: Database) -> None:
    alice = await make_owner(db, "alice")
    bob = await make_owner(db, "bob")
    before = await snapshot(db, alice)
    checked = []
    unowned = set()
    for method, route in api_routes(app):
        if not names_a_resource(route, alice.ids()):
            unowned.add((method, route.path))
            continue
        path, query, body = request_for(route, alice.ids())
        answer = await client.request(method, path, params=query, json=body,
                                      headers=bob.headers)
        assert answer.status_code == 404, (
            f"{method} {path} as another user: {answer.status_code} {answer.text[:200]}")
        assert "unknown" in answer.json()["detail"], (method, path, answer.text)
        checked.append((method, route.path))
    assert unowned == UNOWNED, "a route that names no resource: decide how it is checked"
    # Every kind of id was tried, SSE streams included.
    assert ("GET", "/api/jobs/{job_id}/events") in checked
    assert ("GET", "/api/projects/{project_id}/events") in checked
    assert ("POST", "/api/jobs/{job_id}/cancel") in checked
    assert ("DELETE", "/api/projects/{project_id}") in checked
    assert len(checked) > 35
    assert await snapshot(db, alice) == before, "another user's requests changed something"


async def test_the_owner_reaches_what_the_other_cannot(
        app: FastAPI, client: httpx.AsyncClient, db: Database) -> None:
    """The control of the matrix: the same ids answer the owner (so the 404s above are about
    the owner, not about ids that never worked)."""
    alice = await make_owner(db, "alice")
    for method, route in api_routes(app):
        if method != "GET" or route.path.endswith("/events"):
            continue  # writes, and streams that wait for events, are proven elsewhere
        if not names_a_resource(route, alice.ids()):
            continue
        path, query, _ = request_for(route, alice.ids())
        answer = await client.get(path, params=query, headers=alice.headers)
        assert answer.status_code != 404 or "unknown" not in answer.text, (
            f"GET {path} as its owner: {answer.status_code} {answer.text[:200]}")


async def test_lists_and_usage_show_only_ones_own(client: httpx.AsyncClient,
                                                  db: Database) -> None:
    alice = await make_owner(db, "alice")
    bob = await make_owner(db, "bob")
    listed = (await client.get("/api/projects", headers=bob.headers)).json()
    assert [p["id"] for p in listed] == [bob.project]
    created = await client.post("/api/projects", json={"name": "new"}, headers=bob.headers)
    assert created.status_code == 201
    assert created.json()["id"] not in {
        p["id"] for p in (await client.get("/api/projects", headers=alice.headers)).json()}
    usage = (await client.get("/api/usage", headers=bob.headers)).json()
    assert usage["user"] == bob.user.id
    refused = await client.get("/api/usage", params={"of": alice.user.id},
                               headers=bob.headers)
    assert refused.status_code == 403


async def test_no_credentials_answer_401_on_every_api_route(app: FastAPI,
                                                            client: httpx.AsyncClient,
                                                            db: Database) -> None:
    alice = await make_owner(db, "alice")
    for method, route in api_routes(app):
        if route.path.startswith("/api/auth/github/") or route.path == "/api/auth/logout":
            continue  # the steps of signing in (and out) are for anyone
        path, query, body = request_for(route, alice.ids())
        answer = await client.request(method, path, params=query, json=body)
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_preview_needs_a_link_signed_for_its_owner(app: FastAPI,
                                                         client: httpx.AsyncClient,
                                                         db: Database) -> None:
    alice = await make_owner(db, "alice")
    bob = await make_owner(db, "bob")
    signer: PreviewSigner = app.state.preview_signer
    page = f"/preview/{alice.sandbox}/"
    # No link, another user's credentials, a link of the other user's own project, a forged
    # link: all the same 404 as a sandbox that does not exist.
    assert (await client.get(page)).status_code == 404
    assert (await client.get(page, headers=bob.headers)).status_code == 404
    assert (await client.get(page, params={"preview_token": signer.sign(
        bob.user.id, bob.project, alice.sandbox)})).status_code == 404
    assert (await client.get(page, params={"preview_token": signer.sign(
        bob.user.id, alice.project, alice.sandbox)})).status_code == 404
    forged = signer.sign(alice.user.id, alice.project, alice.sandbox)[:-2] + "AA"
    assert (await client.get(page, params={"preview_token": forged})).status_code == 404
    other = PreviewSigner(b"k" * 32, 60).sign(alice.user.id, alice.project, alice.sandbox)
    assert (await client.get(page, params={"preview_token": other})).status_code == 404
    expired = PreviewSigner(signer._key, -1).sign(alice.user.id, alice.project, alice.sandbox)
    assert (await client.get(page, params={"preview_token": expired})).status_code == 404
    # The owner's link passes the check and reaches for the sandbox (whose server is not
    # there in this test: 502, not 404), leaving a cookie for reloads scoped to the preview.
    link = signer.sign(alice.user.id, alice.project, alice.sandbox)
    admitted = await client.get(page, params={"preview_token": link})
    assert admitted.status_code == 502, admitted.text


async def test_signed_links_in_answers_are_the_callers(app: FastAPI,
                                                       client: httpx.AsyncClient,
                                                       db: Database) -> None:
    alice = await make_owner(db, "alice")
    status = (await client.get("/api/sandbox-status", params={"project_id": alice.project},
                               headers=alice.headers)).json()
    url = status["preview_url"]
    assert url.startswith(f"/preview/{alice.sandbox}/?preview_token=")
    signer: PreviewSigner = app.state.preview_signer
    assert signer.verify(url.split("preview_token=", 1)[1], alice.sandbox) == (
        alice.user.id, alice.project)
