"""A project's link to a git remote (any smart-HTTP remote: GitHub, GitLab, Gitea, a bare
repository): link, status, sync now, unlink. Once linked, every version the project gets is
pushed by git-sync in the background, one commit each (``paynto_common.gitsync``).

The remote URL passes the SSRF guard here first (a refused one is a 422 before anything is
stored). A GitHub remote linked without a token pushes with the person's connected GitHub
account (``/api/github``). The token is sealed in the user's secrets and never shown again,
logged or sent anywhere but the remote's own origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import Field, field_validator
from sqlmodel import col, delete, select

from gateway.api.deps import BusDep, DbDep, ProjectDep, SettingsDep, UserDep
from gateway.api.routes.auth import GITHUB_SECRET
from gateway.api.schemas import Body
from gateway.settings import GatewaySettings
from paynto_common.db import Database, GitLink, GitPush, UserSecret, utcnow
from paynto_common.gitsync import request_sync
from paynto_common.safety.urls import FetchPolicy, UrlRefused, check_url, parse_allow_hosts
from paynto_common.vault import delete_secret, put_secret

router = APIRouter()
# The characters of a branch name a link (or a commit to GitHub) may name; see branch_name.
BRANCH_PATTERN = r"^[A-Za-z0-9._/-]+$"


class LinkBody(Body):
    remote_url: str = Field(min_length=1, max_length=2048)
    branch: str = Field(default="main", min_length=1, max_length=200,
                        pattern=BRANCH_PATTERN)
    token: str | None = Field(default=None, max_length=1000)
    # What the token is sent as: GitHub takes any name, GitLab wants "oauth2".
    username: str = Field(default="x-access-token", min_length=1, max_length=100)

    @field_validator("branch")
    @classmethod
    def _a_branch_name(cls, value: str) -> str:
        return branch_name(value)


def branch_name(value: str) -> str:
    """``value`` if git accepts it as a branch name (of the characters BRANCH_PATTERN
    allows), else ValueError: a field validator's check."""
    if (value.startswith(("/", ".", "-")) or value.endswith(("/", ".", ".lock"))
            or ".." in value or "//" in value or "/." in value):
        raise ValueError(f"{value!r} is not a branch name git accepts")
    return value


def secret_name(project_id: str) -> str:
    return f"git:{project_id}"


async def link_out(db: Database, link: GitLink) -> dict[str, Any]:
    async with db.session() as s:
        pushes = (await s.exec(select(GitPush).where(GitPush.project_id == link.project_id)
                               .order_by(col(GitPush.version).desc()).limit(20))).all()
    return {
        "project_id": link.project_id, "remote_url": link.remote_url, "branch": link.branch,
        "has_token": link.secret is not None, "head": link.head,
        "pushed_version": link.pushed_version, "status": link.status, "error": link.error,
        "updated_at": link.updated_at.isoformat(),
        "pushes": [{"version": p.version, "commit": p.commit, "branch": p.branch,
                    "moved": p.moved, "at": p.created_at.isoformat()} for p in pushes],
    }


async def owned_link(db: Database, project_id: str) -> GitLink:
    async with db.session() as s:
        link = await s.get(GitLink, project_id)
    if link is None:
        raise HTTPException(404, f"project {project_id} is not linked to a git remote")
    return link


async def _github_secret(db: Database, user_id: str, remote_url: str,
                         settings: GatewaySettings) -> str | None:
    """A GitHub remote linked without a token uses the GitHub account the person connected
    (signed in with, or gave a token for): the name of that secret, when there is one."""
    github_hosts = {"github.com", urlsplit(settings.github_url).hostname}
    if urlsplit(remote_url).hostname not in github_hosts:
        return None
    async with db.session() as s:
        kept = (await s.exec(select(UserSecret.id).where(
            UserSecret.user_id == user_id, UserSecret.name == GITHUB_SECRET))).first()
    return GITHUB_SECRET if kept is not None else None


@router.put("/api/projects/{project_id}/git")
async def link_project(body: LinkBody, project: ProjectDep, request: Request, bus: BusDep,
                       db: DbDep, settings: SettingsDep, user: UserDep) -> dict[str, Any]:
    """Link (or re-link) the project; its versions not yet on the remote are pushed."""
    parts = urlsplit(body.remote_url)
    if parts.username or parts.password:
        raise HTTPException(422, "give the token in \"token\", not in the URL")
    policy = FetchPolicy(allow_hosts=parse_allow_hosts(settings.git_allow_hosts))
    try:
        await check_url(body.remote_url, policy)
    except UrlRefused as exc:
        raise HTTPException(422, f"{body.remote_url} may not be reached: {exc.reason}") from None
    if body.token:
        await put_secret(db, request.app.state.vault, user.id, secret_name(project.id),
                         body.token)
    github_token = await _github_secret(db, user.id, body.remote_url, settings)
    async with db.session() as s:
        link = await s.get(GitLink, project.id)
        same = link is not None and (link.remote_url, link.branch) == (body.remote_url,
                                                                        body.branch)
        if link is None:
            link = GitLink(project_id=project.id, user_id=user.id, remote_url=body.remote_url)
        if not same:
            # A new remote or branch starts from nothing pushed.
            link.head, link.pushed_version = None, 0
            await s.exec(delete(GitPush).where(col(GitPush.project_id) == project.id))
        link.remote_url, link.branch, link.username = body.remote_url, body.branch, \
            body.username
        link.user_id = user.id
        if body.token:
            link.secret = secret_name(project.id)
        elif not (same and link.secret):
            link.secret = github_token if github_token else None
        link.status, link.error, link.updated_at = "linked", None, utcnow()
        s.add(link)
        await s.commit()
        await s.refresh(link)
    await request_sync(db, bus, project.id)
    return await link_out(db, link)


@router.get("/api/projects/{project_id}/git")
async def link_status(project: ProjectDep, db: DbDep) -> dict[str, Any]:
    return await link_out(db, await owned_link(db, project.id))


@router.post("/api/projects/{project_id}/git/sync", status_code=202)
async def sync_now(project: ProjectDep, bus: BusDep, db: DbDep) -> dict[str, Any]:
    await owned_link(db, project.id)
    return {"job_id": await request_sync(db, bus, project.id)}


@router.delete("/api/projects/{project_id}/git", status_code=204)
async def unlink(project: ProjectDep, db: DbDep, user: UserDep) -> Response:
    """Stop pushing; the remote keeps what it has, the token is forgotten."""
    await owned_link(db, project.id)
    async with db.session() as s:
        await s.exec(delete(GitPush).where(col(GitPush.project_id) == project.id))
        await s.exec(delete(GitLink).where(col(GitLink.project_id) == project.id))
        await s.commit()
    await delete_secret(db, user.id, secret_name(project.id))
    return Response(status_code=204)
