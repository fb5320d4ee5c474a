"""The person's GitHub account through the real gateway (its app, a real SQLite database)
against the GitHub double on loopback: connecting with a token, listing and creating
repositories, committing a project's versions (a moved branch left alone), importing a
repository as a new project, and the refusals (not connected, a token GitHub refuses, another
user's project). The GitHub token appears in no answer and no log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr

from gateway.api.routes.auth import CALLBACK_PATH, GITHUB_SECRET
from gateway.api.routes.github import NOT_CONNECTED, STALE_TOKEN
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.db import Database, Job, Project, Version
from paynto_common.testing.github import GitHubDouble, GitHubUser
from paynto_common.vault import Vault, put_secret


@pytest_asyncio.fixture
async def github() -> AsyncIterator[GitHubDouble]:
    async with GitHubDouble("http://paynto.test" + CALLBACK_PATH).running() as double:
        yield double


@pytest.fixture
def settings(settings: GatewaySettings, github: GitHubDouble) -> GatewaySettings:
    return settings.model_copy(update={
        "auth_mode": "required", "session_secret": SecretStr("a session secret"),
        "secrets_key": SecretStr(Fernet.generate_key().decode()),
        "github_url": github.url, "github_api_url": github.url})


@dataclass
class Person:
    """A Paynto user (by their API token) and their GitHub account and token."""

    id: str
    headers: dict[str, str]
    github: GitHubUser
    token: str


def database(app: FastAPI) -> Database:
    db: Database = app.state.db
    return db


async def person(app: FastAPI, github: GitHubDouble, name: str) -> Person:
    user = await accounts.create_user(database(app), name)
    issued = await accounts.issue_token(database(app), user.id, "cli")
    account = github.add_user(name, sign_in=False)
    return Person(user.id, {"Authorization": f"Bearer {issued.token}"}, account,
                  github.issue_token(account))


@pytest_asyncio.fixture
async def alice(app: FastAPI, github: GitHubDouble) -> Person:
    return await person(app, github, "alice")


async def connect(client: httpx.AsyncClient, who: Person) -> None:
    r = await client.put("/api/github/token", json={"token": who.token}, headers=who.headers)
    assert r.status_code == 200, r.text


async def make_project(app: FastAPI, who: Person, versions: list[dict[str, str]],
                       prompts: dict[int, str] | None = None) -> str:
    """A project of ``who``'s with these versions (1, 2, ...); ``prompts``: the request of
    the job that made a version."""
    async with database(app).session() as s:
        project = Project(name="Bakery", owner_id=who.id)
        s.add(project)
        await s.flush()
        for number, files in enumerate(versions, start=1):
            job_id = None
            if prompts and number in prompts:
                job = Job(project_id=project.id, kind="generate", user_id=who.id,
                          prompt=prompts[number], status="complete")
                s.add(job)
                await s.flush()
                job_id = job.id
            s.add(Version(project_id=project.id, number=number, files=files, job_id=job_id))
        await s.commit()
        return project.id


async def test_connect_with_a_token_and_disconnect(client: httpx.AsyncClient,
                                                   alice: Person) -> None:
    status = await client.get("/api/github", headers=alice.headers)
    assert status.json() == {"connected": False, "login": None, "via": None, "reason": None}

    put = await client.put("/api/github/token", json={"token": alice.token},
                           headers=alice.headers)
    assert put.status_code == 200
    assert put.json() == {"connected": True, "login": "alice", "via": "token", "reason": None}
    status = await client.get("/api/github", headers=alice.headers)
    assert status.json()["connected"] and status.json()["login"] == "alice"

    assert (await client.delete("/api/github/token", headers=alice.headers)).status_code == 204
    assert not (await client.get("/api/github", headers=alice.headers)).json()["connected"]


async def test_a_token_github_refuses_is_not_stored(client: httpx.AsyncClient,
                                                    alice: Person) -> None:
    r = await client.put("/api/github/token", json={"token": "ghp_made-up"},
                         headers=alice.headers)
    assert r.status_code == 422 and r.json()["detail"] == "GitHub refused this token"
    assert not (await client.get("/api/github", headers=alice.headers)).json()["connected"]


async def test_a_sign_in_token_shows_as_oauth_and_a_revoked_one_as_disconnected(
        app: FastAPI, client: httpx.AsyncClient, github: GitHubDouble, alice: Person) -> None:
    # What signing in stores: GitHub's OAuth token ("gho_..."), as the user's github secret.
    oauth_token = "gho_" + "x" * 36
    github.tokens[oauth_token] = alice.github
    vault: Vault = app.state.vault
    await put_secret(database(app), vault, alice.id, GITHUB_SECRET, oauth_token)
    status = (await client.get("/api/github", headers=alice.headers)).json()
    assert status == {"connected": True, "login": "alice", "via": "oauth", "reason": None}

    del github.tokens[oauth_token]  # revoked on GitHub
    status = (await client.get("/api/github", headers=alice.headers)).json()
    assert status["connected"] is False and status["reason"] == STALE_TOKEN
    listed = await client.get("/api/github/repos", headers=alice.headers)
    assert listed.status_code == 409 and listed.json()["detail"] == STALE_TOKEN


async def test_without_a_connection_every_call_is_409(app: FastAPI, client: httpx.AsyncClient,
                                                      alice: Person) -> None:
    project = await make_project(app, alice, [{"index.html": "x"}])
    calls = [
        ("GET", "/api/github/repos", None),
        ("POST", "/api/github/repos", {"name": "site"}),
        ("POST", "/api/github/commit", {"project_id": project, "repo": "alice/site"}),
        ("POST", "/api/github/import", {"repo": "alice/site"}),
    ]
    for method, path, body in calls:
        r = await client.request(method, path, json=body, headers=alice.headers)
        assert r.status_code == 409 and r.json()["detail"] == NOT_CONNECTED, (path, r.text)


async def test_lists_a_page_at_a_time_and_creates(client: httpx.AsyncClient,
                                                  github: GitHubDouble, alice: Person) -> None:
    for n in range(32):
        github.add_repo(alice.github, f"site-{n:02}", {"index.html": str(n)})
    await connect(client, alice)

    first = await client.get("/api/github/repos", headers=alice.headers)
    assert first.status_code == 200 and len(first.json()) == 30
    assert first.json()[0]["full_name"] == "alice/site-31"  # the recently updated first
    assert first.headers["link"] == '</api/github/repos?page=2>; rel="next"'
    second = await client.get("/api/github/repos", params={"page": 2}, headers=alice.headers)
    assert [r["name"] for r in second.json()] == ["site-01", "site-00"]
    assert "link" not in second.headers

    made = await client.post("/api/github/repos", json={"name": "bakery", "description": "d"},
                             headers=alice.headers)
    assert made.status_code == 201
    assert made.json()["full_name"] == "alice/bakery" and made.json()["private"] is True
    assert github.files_at("alice/bakery", "main") == {"README.md": "# bakery\n\nd\n"}
    again = await client.post("/api/github/repos", json={"name": "bakery"},
                              headers=alice.headers)
    assert again.status_code == 422 and "name already exists" in again.json()["detail"]


async def test_commits_a_projects_versions(app: FastAPI, client: httpx.AsyncClient,
                                           github: GitHubDouble, alice: Person) -> None:
    github.add_repo(alice.github, "bakery", {"README.md": "hi"})
    versions = [{"index.html": "v1", "src/App.jsx": "one"},
                {"index.html": "v2", "src/App.jsx": "two"},
                {"index.html": "v3"}]
    project = await make_project(app, alice, versions,
                                 prompts={2: "Make the hero blue\n\nand bigger"})
    await connect(client, alice)

    answers = []
    for number in (1, 2, None):
        body: dict[str, object] = {"project_id": project, "repo": "alice/bakery"}
        if number is not None:
            body["version"] = number
        r = await client.post("/api/github/commit", json=body, headers=alice.headers)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    assert [a["version"] for a in answers] == [1, 2, 3]  # the latest by default
    assert all(a["branch"] == "main" and not a["moved"] for a in answers)
    history = github.history("alice/bakery", "main")
    assert history[:3] == [a["commit"] for a in reversed(answers)]
    for answer, files in zip(answers, versions, strict=True):
        assert github.files_at("alice/bakery", answer["commit"]) == files
        assert answer["html_url"].endswith(f"/alice/bakery/commit/{answer['commit']}")
    commits = github.repository("alice/bakery").commits
    assert commits[answers[1]["commit"]].message.startswith(
        "Make the hero blue\n\nMake the hero blue\n\nand bigger\n")
    assert commits[answers[0]["commit"]].message.startswith("Version 1\n")

    # Someone pushes to main meanwhile: their commit stays, ours goes to a new branch.
    github.before_next_ref_update(lambda: github.push("alice/bakery", "main", {"x": "theirs"}))
    r = await client.post("/api/github/commit", json={
        "project_id": project, "repo": "alice/bakery", "message": "Ship it"},
        headers=alice.headers)
    moved = r.json()
    assert moved["moved"] is True and moved["branch"].startswith("paynto/main-")
    assert github.files_at("alice/bakery", "main") == {"x": "theirs"}
    assert github.files_at("alice/bakery", moved["branch"]) == versions[2]
    assert commits[moved["commit"]].message == "Ship it"


async def test_commit_refusals(app: FastAPI, client: httpx.AsyncClient, github: GitHubDouble,
                               alice: Person) -> None:
    bob = await person(app, github, "bob")
    project = await make_project(app, alice, [{"index.html": "x"}])
    github.add_repo(alice.github, "bakery", {"README.md": "hi"})
    github.add_repo(bob.github, "private", {"README.md": "hi"})
    await connect(client, alice)
    await connect(client, bob)

    # Another user's project: the same 404 as a project that does not exist.
    theirs = await client.post("/api/github/commit", json={
        "project_id": project, "repo": "bob/private"}, headers=bob.headers)
    assert theirs.status_code == 404 and theirs.json()["detail"] == f"unknown project {project}"
    missing = await client.post("/api/github/commit", json={
        "project_id": project, "repo": "alice/bakery", "version": 9}, headers=alice.headers)
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]
    hidden = await client.post("/api/github/commit", json={
        "project_id": project, "repo": "bob/private"}, headers=alice.headers)
    assert hidden.status_code == 404 and "bob/private" in hidden.json()["detail"]
    assert github.history("bob/private", "main") == github.history("bob/private", "main")[:1]
    for bad in ({"repo": "../etc"}, {"repo": "alice/bakery", "branch": "a..b"},
                {"repo": "alice/bakery", "force": True}):
        r = await client.post("/api/github/commit", json={"project_id": project, **bad},
                              headers=alice.headers)
        assert r.status_code == 422, bad


async def test_imports_a_repository_as_a_new_project(
        client: httpx.AsyncClient, github: GitHubDouble, alice: Person) -> None:
    github.add_repo(alice.github, "landing", {
        "index.html": "<div id=root></div>", "src/App.jsx": "export default () => null",
        "src/hero.png": b"\x89PNG\r\n\x1a\n\x00", "package.json": "{}",
        "node_modules/react/index.js": "x", "dist/index.js": "built",
    })
    sha = github.history("alice/landing", "main")[0]
    await connect(client, alice)

    r = await client.post("/api/github/import", json={"repo": "alice/landing"},
                          headers=alice.headers)
    assert r.status_code == 201, r.text
    project = r.json()
    assert project["name"] == "landing"
    files = await client.get(f"/api/projects/{project['id']}/files", headers=alice.headers)
    assert files.json() == {"files": {"index.html": "<div id=root></div>",
                                      "src/App.jsx": "export default () => null"},
                            "version": 1}
    versions = await client.get(f"/api/projects/{project['id']}/versions",
                                headers=alice.headers)
    assert versions.json()[0]["model"] == f"imported from github alice/landing@{sha[:7]}"

    github.add_repo(alice.github, "images", {"a.png": b"\x00\x01"})
    nothing = await client.post("/api/github/import", json={"repo": "alice/images",
                                                           "name": "pics"},
                                headers=alice.headers)
    assert nothing.status_code == 422 and "no text files" in nothing.json()["detail"]
    unknown = await client.post("/api/github/import", json={"repo": "alice/nope"},
                                headers=alice.headers)
    assert unknown.status_code == 404 and "alice/nope" in unknown.json()["detail"]


async def test_the_token_appears_in_no_answer_and_no_log(
        app: FastAPI, client: httpx.AsyncClient, github: GitHubDouble, alice: Person,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    github.add_repo(alice.github, "bakery", {"README.md": "hi"})
    project = await make_project(app, alice, [{"index.html": "x"}])
    refused_token = "ghp_" + "r3fus3d" * 5
    answers = [
        await client.put("/api/github/token", json={"token": refused_token},
                         headers=alice.headers),
        await client.put("/api/github/token", json={"token": alice.token, "extra": 1},
                         headers=alice.headers),
        await client.put("/api/github/token", json={"token": alice.token},
                         headers=alice.headers),
        await client.get("/api/github", headers=alice.headers),
        await client.get("/api/github/repos", headers=alice.headers),
        await client.post("/api/github/repos", json={"name": "bakery"}, headers=alice.headers),
        await client.post("/api/github/commit", json={"project_id": project,
                                                      "repo": "alice/bakery"},
                          headers=alice.headers),
        await client.post("/api/github/import", json={"repo": "alice/bakery"},
                          headers=alice.headers),
        await client.post("/api/github/import", json={"repo": "alice/missing"},
                          headers=alice.headers),
    ]
    assert [a.status_code for a in answers] == [422, 422, 200, 200, 200, 422, 200, 201, 404]
    del github.tokens[alice.token]  # revoked: GitHub's refusal is answered too
    answers.append(await client.get("/api/github/repos", headers=alice.headers))
    assert answers[-1].status_code == 409
    for answer in answers:
        seen = answer.text + str(answer.headers)
        assert alice.token not in seen and refused_token not in seen
    assert "committed to GitHub alice/bakery" in caplog.text  # the log was captured
    assert alice.token not in caplog.text and refused_token not in caplog.text


async def test_a_token_no_http_header_can_carry_is_refused(client: httpx.AsyncClient,
                                                          alice: Person) -> None:
    """A token is sent on as ``Authorization``: one with a character outside printable ASCII
    is a 422 naming it, not a 500 from the HTTP client that could not send it."""
    for token in (alice.token + "\u00e9", "ghp two"):
        r = await client.put("/api/github/token", json={"token": token}, headers=alice.headers)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "token"]
    assert not (await client.get("/api/github", headers=alice.headers)).json()["connected"]
