"""GitHub's REST API, the part Paynto uses: who the token is, the person's repositories
(list, create), committing a project version through the Git Data API, and reading a
repository's text files to import them.

A commit is made the way git-sync pushes one (``git_sync.remote``): the version's files as one
whole tree (a file the version no longer has is gone from the commit), one commit on top of the
branch's head, the branch moved only forward. When GitHub refuses the move because the branch
went elsewhere meanwhile (someone pushed), nothing is forced: the commit goes to a new branch
``paynto/<branch>-<utc time>`` and :attr:`Committed.moved` says so.

``api_url`` is operator configuration (GitHub or GitHub Enterprise), trusted like the other
service URLs, so the client is a plain httpx client. The token travels in the
``Authorization`` header only, and never into an error's text or a repr.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from paynto_common.safety.paths import is_forbidden

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "Author", "Committed", "GitHubAccount", "GitHubClient", "GitHubError", "Repo", "RepoFiles",
    "RepoPage",
]

API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT_S = 30.0
# Folders an import leaves out at any depth: installed packages, git's own, build output.
SKIPPED_DIRS = frozenset({"node_modules", ".git", "dist"})
# Git's modes of regular files (plain, executable); links and submodules are not imported.
FILE_MODES = frozenset({"100644", "100755"})
# Blob reads in flight at once during an import.
BLOB_CONCURRENCY = 8
# Names tried for a moved branch (two commits in one second want the same one).
BRANCH_TRIES = 5


class GitHubError(Exception):
    """GitHub refused or failed. ``status`` is GitHub's HTTP status (502 when GitHub could not
    be reached or answered nonsense); ``message`` says why in GitHub's words where it gave
    some. Never holds the token."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"GitHubError({self.status}, {self.message!r})"


class GitHubAccount(BaseModel):
    """What Paynto reads of ``GET /user``."""

    model_config = ConfigDict(extra="ignore")
    id: int
    login: str
    name: str | None = None


class Repo(BaseModel):
    """A repository as Paynto shows it (``owner`` is the owner's login)."""

    model_config = ConfigDict(extra="ignore")
    full_name: str
    name: str
    owner: str
    private: bool
    default_branch: str | None = None
    html_url: str
    clone_url: str
    updated_at: datetime | None = None
    description: str | None = None

    @field_validator("owner", mode="before")
    @classmethod
    def _owner_login(cls, value: Any) -> Any:
        """GitHub gives the owner as an object; its login is what names it."""
        return value.get("login") if isinstance(value, dict) else value


@dataclass(frozen=True)
class RepoPage:
    """One page of the person's repositories, and the next page's number when there is one."""

    repos: list[Repo]
    next_page: int | None


@dataclass(frozen=True)
class Author:
    """Who a commit names as its author (GitHub names the token's owner when left out)."""

    name: str
    email: str


@dataclass(frozen=True)
class Committed:
    """Where a commit landed."""

    commit: str
    branch: str
    # The branch had moved meanwhile: the commit went to ``branch``, a new one.
    moved: bool
    html_url: str
    parent: str | None = None


@dataclass(frozen=True)
class RepoFiles:
    """A repository's text files at one commit, and the paths left out (with why)."""

    commit: str
    files: dict[str, str]
    skipped: dict[str, str] = field(default_factory=dict)


class GitHubClient:
    """An authenticated client of GitHub's REST API; use as ``async with``."""

    def __init__(self, token: str, api_url: str = "https://api.github.com", *,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"), timeout=timeout, trust_env=False,
            headers={"Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": API_VERSION, "User-Agent": "paynto",
                     "Authorization": f"Bearer {token}"})

    def __repr__(self) -> str:  # never the token
        return f"GitHubClient({str(self._http.base_url)!r})"

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the account and its repositories -------------------------------------------------

    async def user(self) -> GitHubAccount:
        """Whose the token is (401 when GitHub refuses it)."""
        return _parse(GitHubAccount, await self._json("GET", "/user"))

    async def list_repos(self, page: int = 1, per_page: int = 30) -> RepoPage:
        """The repositories the person may push to or see, the recently updated first."""
        response = await self._send("GET", "/user/repos", params={
            "sort": "updated", "affiliation": "owner,collaborator,organization_member",
            "page": page, "per_page": per_page})
        data = _body(response)
        if not isinstance(data, list):
            raise GitHubError(502, "GitHub's list of repositories was not a list")
        next_link = response.links.get("next", {}).get("url")
        next_page = None
        if next_link:
            number = httpx.URL(next_link).params.get("page")
            next_page = int(number) if number and number.isdigit() else page + 1
        return RepoPage([_parse(Repo, item) for item in data], next_page)

    async def create_repo(self, name: str, private: bool = True,
                          description: str | None = None) -> Repo:
        """A new repository of the person's, with a first commit (a README): GitHub's Git
        Data API refuses to work on an empty repository."""
        body: dict[str, Any] = {"name": name, "private": private, "auto_init": True}
        if description:
            body["description"] = description
        return _parse(Repo, await self._json("POST", "/user/repos", json=body))

    async def repo(self, owner: str, name: str) -> Repo:
        return _parse(Repo, await self._json("GET", _repo_path(owner, name)))

    # -- committing ---------------------------------------------------------------------

    async def commit_files(self, owner: str, name: str, branch: str, files: Mapping[str, str],
                           message: str, author: Author | None = None) -> Committed:
        """Commit ``files`` (path → text: the whole tree) on ``branch``, on top of its head.

        A branch that does not exist yet starts from the default branch's head. When the
        branch moves between reading its head and updating it, it is not forced: the commit
        goes to a new branch ``paynto/<branch>-<utc time>`` (``moved``)."""
        if not files:
            raise GitHubError(422, "there are no files to commit")
        for path in files:
            _check_commit_path(path)
        base = _repo_path(owner, name)
        head = await self._head(base, branch)
        new_branch = head is None
        if head is None:
            default = (await self.repo(owner, name)).default_branch
            if not default:
                raise GitHubError(409, f"{owner}/{name} has no default branch to start from")
            head = await self._head(base, default)
            if head is None:
                raise GitHubError(409, f"{owner}/{name} has no commit on {default} to start "
                                       "from")
        tree = await self._json("POST", f"{base}/git/trees", json={"tree": [
            {"path": path, "mode": "100644", "type": "blob", "content": text}
            for path, text in sorted(files.items())]})
        commit_body: dict[str, Any] = {"message": message, "tree": _sha(tree),
                                       "parents": [head]}
        if author is not None:
            commit_body["author"] = {"name": author.name, "email": author.email}
        commit = await self._json("POST", f"{base}/git/commits", json=commit_body)
        sha = _sha(commit)
        html_url = str(commit.get("html_url") or "")
        if new_branch:
            # Made by someone else meanwhile: then it is a moved branch.
            landed = await self._create_branch(base, [branch, *_moved_names(branch)], sha)
            return Committed(sha, landed, landed != branch, html_url, head)
        response = await self._send("PATCH", f"{base}/git/refs/heads/{_quote_ref(branch)}",
                                    json={"sha": sha, "force": False}, ok=(200, 422))
        if response.status_code == 200:
            return Committed(sha, branch, False, html_url, head)
        if "fast forward" not in _message(response).lower():
            raise _error(response, self._token)
        # Someone else's commit is on the branch now: never overwrite it.
        moved_to = await self._create_branch(base, _moved_names(branch), sha)
        return Committed(sha, moved_to, True, html_url, head)

    async def _head(self, base: str, branch: str) -> str | None:
        """The commit ``branch`` points at, or None when there is no such branch."""
        response = await self._send("GET", f"{base}/git/ref/heads/{_quote_ref(branch)}",
                                    ok=(200, 404))
        if response.status_code == 404:
            return None
        data = _body(response)
        target = data.get("object") if isinstance(data, dict) else None
        if not isinstance(target, dict) or not isinstance(target.get("sha"), str):
            raise GitHubError(502, "GitHub's answer about a branch was not as expected")
        return str(target["sha"])

    async def _create_branch(self, base: str, names: list[str], sha: str) -> str:
        """Create the first of ``names`` that is free at ``sha``; the name used."""
        for candidate in names:
            response = await self._send("POST", f"{base}/git/refs",
                                        json={"ref": f"refs/heads/{candidate}", "sha": sha},
                                        ok=(201, 422))
            if response.status_code == 201:
                return candidate
            if "already exists" not in _message(response).lower():
                raise _error(response, self._token)
        raise GitHubError(409, f"could not find a free branch name like {names[-1]}")

    # -- importing ----------------------------------------------------------------------

    async def read_files(self, owner: str, name: str, ref: str | None = None, *,
                         max_files: int = 500, max_file_bytes: int = 500_000,
                         max_bytes: int = 5_000_000) -> RepoFiles:
        """The repository's text files at ``ref`` (a branch, tag or commit; the default
        branch when None), for a project to start from.

        Left out (in :attr:`RepoFiles.skipped`): ``node_modules/``, ``.git/`` and ``dist/``
        at any depth, links and submodules, binary files, files larger than
        ``max_file_bytes``, and every path :func:`paynto_common.safety.paths.is_forbidden`
        refuses (``..``, absolute paths, the config files Paynto owns). More than
        ``max_files`` usable files or ``max_bytes`` in all: GitHubError 422."""
        base = _repo_path(owner, name)
        commit = await self._resolve(owner, name, ref)
        commit_data = await self._json("GET", f"{base}/git/commits/{commit}")
        tree_ref = commit_data.get("tree")
        if not isinstance(tree_ref, dict) or not isinstance(tree_ref.get("sha"), str):
            raise GitHubError(502, "GitHub's answer about a commit was not as expected")
        tree = await self._json("GET", f"{base}/git/trees/{tree_ref['sha']}",
                                params={"recursive": "1"})
        if tree.get("truncated"):
            raise GitHubError(422, f"{owner}/{name} is too large to import (GitHub "
                                   "truncated its file list)")
        wanted, skipped = _select(tree.get("tree"), max_file_bytes)
        if len(wanted) > max_files:
            raise GitHubError(422, f"{owner}/{name} has {len(wanted)} files to import, more "
                                   f"than {max_files}")
        total = sum(size for _, _, size in wanted)
        if total > max_bytes:
            raise GitHubError(422, f"{owner}/{name} has {total} bytes of files to import, "
                                   f"more than {max_bytes}")
        gate = asyncio.Semaphore(BLOB_CONCURRENCY)

        async def read(path: str, sha: str) -> tuple[str, str | None]:
            async with gate:
                return path, _text(await self._json("GET", f"{base}/git/blobs/{sha}"))

        files: dict[str, str] = {}
        for path, text in await asyncio.gather(*(read(p, s) for p, s, _ in wanted)):
            if text is None:
                skipped[path] = "binary"
            else:
                files[path] = text
        return RepoFiles(commit, dict(sorted(files.items())), skipped)

    async def _resolve(self, owner: str, name: str, ref: str | None) -> str:
        """The commit ``ref`` names: a branch, a (lightweight) tag, or a commit's sha."""
        base = _repo_path(owner, name)
        if ref is None:
            ref = (await self.repo(owner, name)).default_branch
            if not ref:
                raise GitHubError(409, f"{owner}/{name} is empty")
        for kind in ("heads", "tags"):
            response = await self._send("GET", f"{base}/git/ref/{kind}/{_quote_ref(ref)}",
                                        ok=(200, 404))
            if response.status_code == 200:
                target = _body(response).get("object") or {}
                if target.get("type") == "commit" and isinstance(target.get("sha"), str):
                    return str(target["sha"])
                raise GitHubError(422, f"{ref} does not name a commit")
        if len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower()):
            return ref.lower()
        raise GitHubError(404, f"{owner}/{name} has no branch, tag or commit {ref}")

    # -- HTTP -----------------------------------------------------------------------------

    async def _send(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201),
                    **kwargs: Any) -> httpx.Response:
        """One request; GitHubError unless the status is one of ``ok``."""
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubError(502, f"GitHub could not be reached ({type(exc).__name__})") \
                from None
        if response.status_code not in ok:
            raise _error(response, self._token)
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = _body(await self._send(method, path, **kwargs))
        if not isinstance(data, dict):
            raise GitHubError(502, f"GitHub's answer to {method} {path} was not an object")
        return data


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(502, f"GitHub answered {response.status_code} without JSON") \
            from None


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError:
        raise GitHubError(502, f"GitHub's answer was not a {model.__name__} as expected") \
            from None


def _sha(data: Mapping[str, Any]) -> str:
    sha = data.get("sha")
    if not isinstance(sha, str):
        raise GitHubError(502, "GitHub's answer held no sha")
    return sha


def _message(response: httpx.Response) -> str:
    """GitHub's ``message``, with the detail of its ``errors`` when it gave any."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message") or "")
    details = [str(e.get("message") or e.get("code") or "")
               for e in data.get("errors") or [] if isinstance(e, dict)]
    details = [d for d in details if d]
    return f"{text} ({'; '.join(details)})" if details else text


def _error(response: httpx.Response, token: str) -> GitHubError:
    """The GitHubError for a refusal, in words a person can act on."""
    status = response.status_code
    said = _message(response).replace(token, "***") if token else _message(response)
    if status == 401:
        return GitHubError(401, "GitHub refused the token")
    if status in (403, 429) and (response.headers.get("x-ratelimit-remaining") == "0"
                                 or "rate limit" in said.lower()):
        return GitHubError(status, f"GitHub's API rate limit is used up{_reset(response)}")
    if status == 403:
        return GitHubError(403, f"GitHub refused: {said or 'no permission'} (does the token "
                                "have the repo scope?)")
    if status == 404:
        return GitHubError(404, "not found on GitHub (or the token may not see it)")
    return GitHubError(status, said or f"GitHub answered {status}")


def _reset(response: httpx.Response) -> str:
    reset = response.headers.get("x-ratelimit-reset", "")
    if not reset.isdigit():
        return ""
    at = datetime.fromtimestamp(int(reset), UTC)
    return f" until {at:%H:%M} UTC"


def _repo_path(owner: str, name: str) -> str:
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


def _quote_ref(ref: str) -> str:
    # Slashes stay: a branch "feature/x" is the path heads/feature/x.
    return quote(ref, safe="/")


def _moved_names(branch: str) -> list[str]:
    """Names for a commit whose branch moved: ``paynto/<branch>-<utc time>``, then with a
    number (two commits in one second)."""
    name = f"paynto/{branch}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    return [name] + [f"{name}-{n}" for n in range(2, BRANCH_TRIES + 1)]


def _check_commit_path(path: str) -> None:
    """The paths a commit may hold (as ``git_sync.remote`` checks them)."""
    parts = [p for p in path.split("/") if p]
    if (not parts or path.startswith("/") or "\\" in path
            or any(p in (".", "..", ".git") for p in parts)):
        raise GitHubError(422, f"refused to commit the path {path!r}")


def _select(entries: Any, max_file_bytes: int) -> tuple[list[tuple[str, str, int]],
                                                          dict[str, str]]:
    """Of a recursive tree listing, the blobs to read (path, sha, size), and the rest left
    out with why."""
    wanted: list[tuple[str, str, int]] = []
    skipped: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("type") not in ("blob", "commit"):
            continue  # subtrees: their files are listed too
        path = str(entry.get("path", ""))
        parts = path.split("/")
        if any(part in SKIPPED_DIRS for part in parts[:-1]):
            continue  # whole folders left out, not worth a line each
        reason = is_forbidden(path)
        if reason is not None:
            skipped[path] = reason
        elif entry.get("type") != "blob" or entry.get("mode") not in FILE_MODES:
            skipped[path] = "not a regular file"
        elif int(entry.get("size") or 0) > max_file_bytes:
            skipped[path] = f"larger than {max_file_bytes} bytes"
        else:
            wanted.append((path, str(entry.get("sha")), int(entry.get("size") or 0)))
    return wanted, skipped


def _text(blob: Mapping[str, Any]) -> str | None:
    """A blob's content as text, or None when it is binary."""
    content = blob.get("content")
    if not isinstance(content, str):
        raise GitHubError(502, "GitHub's answer about a file held no content")
    if blob.get("encoding") == "base64":
        try:
            raw = base64.b64decode(content)
        except (binascii.Error, ValueError):
            raise GitHubError(502, "GitHub sent a file that is not base64") from None
    else:
        raw = content.encode()
    if b"\x00" in raw:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None
