"""The person's GitHub account: connect it (signing in with GitHub does; so does giving a
token), list and create repositories, commit a project's version to one, and import one as a
new project.

The GitHub token is the user's secret ``github`` (:data:`gateway.api.routes.auth.GITHUB_SECRET`,
sealed by the vault). It goes to ``GITHUB_API_URL`` only, in a header, and into no answer, log
line or error: GitHub's refusals are told in their own words (:class:`GitHubError` never holds
the token).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select

from gateway.api.deps import DbDep, SettingsDep, UserDep, owned_project
from gateway.api.routes.auth import GITHUB_SECRET, VaultDep
from gateway.api.routes.git import BRANCH_PATTERN, branch_name
from gateway.api.schemas import ID_PATTERN, MAX_INT, TOKEN_PATTERN, Body, ProjectOut
from gateway.settings import GatewaySettings
from paynto_common.db import Database, Project, User, Version
from paynto_common.github import GitHubClient, GitHubError, Repo
from paynto_common.gitsync import commit_message
from paynto_common.vault import Vault, delete_secret, get_secret, put_secret

log = logging.getLogger(__name__)
router = APIRouter()

# owner/name as GitHub allows them.
REPO_PATTERN = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"
NOT_CONNECTED = "connect GitHub first (sign in with GitHub, or PUT /api/github/token)"
STALE_TOKEN = "GitHub refused the stored token; connect again"
# GitHub's prefix of the tokens its OAuth apps hand out (a sign-in); others were given.
OAUTH_PREFIX = "gho_"
GITHUB_TIMEOUT_S = 30.0
REPOS_PER_PAGE = 30


class GitHubStatus(BaseModel):
    connected: bool
    login: str | None
    via: Literal["oauth", "token"] | None
    # Why a stored token does not work now, when it does not.
    reason: str | None = None


class TokenBody(Body):
    # A personal access token (classic or fine-grained) with the repo scope.
    token: str = Field(min_length=1, max_length=1000, pattern=TOKEN_PATTERN)


class RepoCreate(Body):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    private: bool = True
    description: str | None = Field(default=None, max_length=350)


class CommitBody(Body):
    project_id: str = Field(pattern=ID_PATTERN)
    repo: str = Field(max_length=200, pattern=REPO_PATTERN)
    branch: str = Field(default="main", min_length=1, max_length=200, pattern=BRANCH_PATTERN)
    # The version to commit; the latest when left out.
    version: int | None = Field(default=None, ge=1, le=MAX_INT)
    message: str | None = Field(default=None, min_length=1, max_length=10_000)

    @field_validator("branch")
    @classmethod
    def _a_branch_name(cls, value: str) -> str:
        return branch_name(value)


class CommitOut(BaseModel):
    commit: str
    branch: str
    # The branch had moved meanwhile: the commit is on ``branch``, a new one.
    moved: bool
    html_url: str
    version: int


class ImportBody(Body):
    repo: str = Field(max_length=200, pattern=REPO_PATTERN)
    # A branch, tag or commit; the default branch when left out.
    ref: str | None = Field(default=None, min_length=1, max_length=200,
                            pattern=BRANCH_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=200)


# -- the connection ----------------------------------------------------------------------


@router.get("/api/github", response_model=GitHubStatus)
async def github_status(user: UserDep, db: DbDep, vault: VaultDep,
                        settings: SettingsDep) -> GitHubStatus:
    """Whether the person's GitHub account is connected, as whom, and whether it still
    works."""
    token = await get_secret(db, vault, user.id, GITHUB_SECRET)
    if token is None:
        return GitHubStatus(connected=False, login=None, via=None)
    via = _via(token)
    try:
        async with _client(token, settings) as gh:
            me = await gh.user()
    except GitHubError as exc:
        if exc.status == 401:
            return GitHubStatus(connected=False, login=None, via=via, reason=STALE_TOKEN)
        return GitHubStatus(connected=True, login=None, via=via,
                            reason=f"GitHub did not say who the token is: {exc.message}")
    return GitHubStatus(connected=True, login=me.login, via=via)


@router.put("/api/github/token", response_model=GitHubStatus)
async def connect_token(body: TokenBody, user: UserDep, db: DbDep, vault: VaultDep,
                        settings: SettingsDep) -> GitHubStatus:
    """Connect GitHub with a token the person made (checked with GitHub first)."""
    try:
        async with _client(body.token, settings) as gh:
            me = await gh.user()
    except GitHubError as exc:
        if exc.status == 401:
            raise HTTPException(422, "GitHub refused this token") from None
        raise _failure(exc) from None
    await put_secret(db, vault, user.id, GITHUB_SECRET, body.token)
    log.info("user %s connected GitHub account %s with a token", user.id, me.login)
    return GitHubStatus(connected=True, login=me.login, via=_via(body.token))


@router.delete("/api/github/token", status_code=204)
async def disconnect(user: UserDep, db: DbDep) -> Response:
    """Forget the person's GitHub token (GitHub keeps it valid until they revoke it there)."""
    await delete_secret(db, user.id, GITHUB_SECRET)
    return Response(status_code=204)


# -- repositories ------------------------------------------------------------------------


@router.get("/api/github/repos", response_model=list[Repo])
async def list_repos(request: Request, response: Response, user: UserDep, db: DbDep,
                     vault: VaultDep, settings: SettingsDep,
                     page: Annotated[int, Query(ge=1, le=1000)] = 1) -> list[Repo]:
    """The person's repositories, recently updated first; a ``Link`` header names the next
    page when there is one (as GitHub's own does)."""
    async with _github(db, vault, user, settings) as gh:
        listed = await gh.list_repos(page=page, per_page=REPOS_PER_PAGE)
    if listed.next_page is not None:
        following = request.url.include_query_params(page=listed.next_page)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return listed.repos


@router.post("/api/github/repos", status_code=201, response_model=Repo)
async def create_repo(body: RepoCreate, user: UserDep, db: DbDep, vault: VaultDep,
                      settings: SettingsDep) -> Repo:
    """A new repository of the person's (with a README: GitHub needs a first commit to
    build on)."""
    async with _github(db, vault, user, settings, repo=body.name) as gh:
        repo = await gh.create_repo(body.name, private=body.private,
                                    description=body.description)
    log.info("user %s created GitHub repository %s", user.id, repo.full_name)
    return repo


# -- commit and import -------------------------------------------------------------------


@router.post("/api/github/commit", response_model=CommitOut)
async def commit_version(body: CommitBody, user: UserDep, db: DbDep, vault: VaultDep,
                         settings: SettingsDep) -> CommitOut:
    """Commit a version of the person's project (the latest by default) to ``branch`` of a
    repository: its files as the whole tree, on top of the branch, never forced."""
    project = await owned_project(db, body.project_id, user)
    version = await _version(db, project.id, body.version)
    message = body.message or await _message(db, project, version)
    owner, name = body.repo.split("/", 1)
    async with _github(db, vault, user, settings, repo=body.repo) as gh:
        done = await gh.commit_files(owner, name, body.branch, version.files, message)
    log.info("project %s version %d committed to GitHub %s %s as %s%s", project.id,
             version.number, body.repo, done.branch, done.commit[:12],
             " (the branch had moved)" if done.moved else "")
    return CommitOut(commit=done.commit, branch=done.branch, moved=done.moved,
                     html_url=done.html_url, version=version.number)


@router.post("/api/github/import", status_code=201, response_model=ProjectOut)
async def import_repo(body: ImportBody, user: UserDep, db: DbDep, vault: VaultDep,
                      settings: SettingsDep) -> Project:
    """A new project of the person's whose version 1 is the repository's text files (what
    Paynto owns, such as package.json and the Vite config, and installed or built folders are
    left out)."""
    owner, name = body.repo.split("/", 1)
    async with _github(db, vault, user, settings, repo=body.repo) as gh:
        read = await gh.read_files(owner, name, body.ref)
    if not read.files:
        raise HTTPException(422, f"{body.repo} has no text files Paynto can use")
    project = Project(name=body.name or name, owner_id=user.id)
    async with db.session() as s:
        s.add(project)
        await s.flush()
        s.add(Version(project_id=project.id, number=1, files=read.files,
                      model=f"imported from github {body.repo}@{read.commit[:7]}"))
        await s.commit()
        await s.refresh(project)
    log.info("user %s imported GitHub %s@%s as project %s (%d files, %d left out)", user.id,
             body.repo, read.commit[:12], project.id, len(read.files), len(read.skipped))
    return project


# -- helpers -----------------------------------------------------------------------------


def _client(token: str, settings: GatewaySettings) -> GitHubClient:
    return GitHubClient(token, settings.github_api_url, timeout=GITHUB_TIMEOUT_S)


def _via(token: str) -> Literal["oauth", "token"]:
    return "oauth" if token.startswith(OAUTH_PREFIX) else "token"


@contextlib.asynccontextmanager
async def _github(db: Database, vault: Vault, user: User, settings: GatewaySettings, *,
                  repo: str | None = None) -> AsyncIterator[GitHubClient]:
    """A client with the person's stored token (409 when there is none); GitHub's refusals
    inside the block become the answers they call for (:func:`_failure`)."""
    token = await get_secret(db, vault, user.id, GITHUB_SECRET)
    if token is None:
        raise HTTPException(409, NOT_CONNECTED)
    with _refusals(repo):
        async with _client(token, settings) as gh:
            yield gh


@contextlib.contextmanager
def _refusals(repo: str | None) -> Iterator[None]:
    try:
        yield
    except GitHubError as exc:
        raise _failure(exc, repo) from None


def _failure(exc: GitHubError, repo: str | None = None) -> HTTPException:
    """The answer for a GitHub refusal: a token GitHub no longer takes is the person's to
    renew (409), a repository it does not show is 404, its validation 422 (in its words); the
    rest is GitHub failing us (502)."""
    if exc.status == 401:
        return HTTPException(409, STALE_TOKEN)
    if exc.status == 404:
        named = f"the GitHub repository {repo}" if repo else "what was asked for"
        return HTTPException(404, f"{named} was not found on GitHub (or the connected "
                                  "account may not see it)")
    if exc.status in (409, 422):
        return HTTPException(exc.status, exc.message)
    return HTTPException(502, f"GitHub failed: {exc.message}")


async def _version(db: Database, project_id: str, number: int | None) -> Version:
    async with db.session() as s:
        query = select(Version).where(Version.project_id == project_id)
        query = (query.where(Version.number == number) if number is not None
                 else query.order_by(col(Version.number).desc()).limit(1))
        found = (await s.exec(query)).first()
    if found is None:
        raise HTTPException(404, f"project {project_id} has no version "
                                 f"{number if number is not None else 'yet'}")
    return found


async def _message(db: Database, project: Project, version: Version) -> str:
    """The request that made the version (its first line the title), as git-sync writes
    its commits, then which Paynto version this is."""
    return await commit_message(
        db, version, f"Paynto project {project.name!r} ({project.id}), version {version.number}")
