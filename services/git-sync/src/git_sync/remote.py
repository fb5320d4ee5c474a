"""Pushing a project version to any git remote over smart HTTP (GitHub, GitLab, Gitea, a bare
repository behind ``git http-backend``), with dulwich, never with a force update.

Every request goes through the SSRF guard: dulwich's HTTP client is given a transport that
sends each request with :func:`paynto_common.safety.urls.guarded_client` on the caller's
event loop (dulwich itself is synchronous and runs in a thread). The token travels in an
``Authorization`` header to the remote's own origin only, never in the URL, a log or an
error.

A push puts the version's files in one commit on top of the branch's head. When the branch
is not where the last push left it (someone pushed, or it was reset), the commit goes to a new
branch instead and :attr:`Pushed.moved` says so: the person's work on the remote is never
overwritten.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from dulwich.client import AbstractHttpGitClient
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import MemoryRepo

from paynto_common.safety.urls import FetchPolicy, Resolver, UrlRefused, check_url, guarded_client

ZERO = ObjectID(b"0" * 40)
# Git's file mode for a regular file.
FILE_MODE = 0o100644
DIR_MODE = 0o040000


class RemoteError(Exception):
    """The remote refused or failed; ``status`` says how in HTTP's words (401 the token, 404
    no repository there, 409 the branch moved while pushing, 502 anything else)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Remote:
    """Where to push: an http(s) repository URL without credentials, and the token."""

    url: str
    token: str | None = None
    # What the token is sent as (GitHub takes any name; GitLab wants "oauth2").
    username: str = "x-access-token"

    def __repr__(self) -> str:  # never the token
        return f"Remote({self.url!r})"


@dataclass(frozen=True)
class Pushed:
    branch: str
    commit: str
    # The branch had moved since the last push: the commit went to ``branch``, a new one.
    moved: bool = False
    parent: str | None = None
    # The branch's head already was this version (a push whose record was lost): nothing
    # was pushed.
    already: bool = False


class _Response:
    """What dulwich reads of an HTTP answer (the shape of its urllib3 one)."""

    def __init__(self, status: int, headers: httpx.Headers, url: str, asked: str) -> None:
        self.status = status
        self.headers = headers
        self.content_type = headers.get("content-type")
        self.redirect_location = url if url != asked else ""

    def close(self) -> None:
        pass


class GuardedGitClient(AbstractHttpGitClient):
    """dulwich's smart-HTTP client with every request sent through the SSRF guard, on
    ``loop`` (dulwich runs in another thread and waits for each answer)."""

    MAX_REDIRECTS = 5

    def __init__(self, base_url: str, remote: Remote, *, loop: asyncio.AbstractEventLoop,
                 client: httpx.AsyncClient, timeout: float) -> None:
        super().__init__(base_url)
        self._remote = remote
        self._loop = loop
        self._client = client
        self._timeout = timeout
        parts = urlsplit(remote.url)
        self._origin = (parts.scheme, parts.netloc)

    def _auth(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        if self._remote.token is None or (parts.scheme, parts.netloc) != self._origin:
            return {}  # a redirect elsewhere gets no credential
        pair = f"{self._remote.username}:{self._remote.token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    async def _send(self, url: str, headers: dict[str, str], body: bytes | None
                    ) -> tuple[int, httpx.Headers, bytes, str]:
        for _ in range(self.MAX_REDIRECTS + 1):
            request = self._client.build_request(
                "POST" if body is not None else "GET", url, content=body,
                headers={**headers, **self._auth(url), "Pragma": "no-cache"})
            response = await self._client.send(request)
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location and body is None:
                url = urljoin(url, location)
                continue
            return response.status_code, response.headers, response.content, url
        raise RemoteError(f"more than {self.MAX_REDIRECTS} redirects from the remote")

    def _http_request(self, url: str, headers: dict[str, str] | None = None,
                      data: bytes | Iterator[bytes] | None = None,
                      raise_for_status: bool = True) -> tuple[Any, Callable[[int], bytes]]:
        body = data if data is None or isinstance(data, bytes) else b"".join(data)
        future = asyncio.run_coroutine_threadsafe(self._send(url, dict(headers or {}), body),
                                                  self._loop)
        status, resp_headers, content, final = future.result(self._timeout)
        if raise_for_status:
            if status == 404:
                raise NotGitRepository()
            if status in (401, 403):
                raise RemoteError("the remote refused the credentials (check the token and "
                                  "its permission to push)", 401)
            if status != 200:
                raise RemoteError(f"the remote answered {status}")
        return _Response(status, resp_headers, final, url), io.BytesIO(content).read


def _tree(repo: MemoryRepo, files: Mapping[str, str]) -> ObjectID:
    """Store ``files`` (path → text) as blobs and trees; the root tree's id."""
    root: dict[str, Any] = {}
    for path, text in files.items():
        parts = [p for p in path.split("/") if p]
        if not parts or any(p in (".", "..", ".git") for p in parts):
            raise RemoteError(f"refused to push the path {path!r}", 422)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise RemoteError(f"{path!r} is under a file of the same name", 422)
        node[parts[-1]] = text

    def store(node: dict[str, Any]) -> ObjectID:
        tree = Tree()
        for name, value in node.items():
            if isinstance(value, dict):
                tree.add(name.encode(), DIR_MODE, store(value))
            else:
                blob = Blob.from_string(value.encode())
                repo.object_store.add_object(blob)
                tree.add(name.encode(), FILE_MODE, blob.id)
        repo.object_store.add_object(tree)
        return tree.id

    return store(root)


def _commit(repo: MemoryRepo, tree: ObjectID, parent: ObjectID | None, message: str,
            author: str) -> Commit:
    commit = Commit()
    commit.tree = tree
    commit.parents = [parent] if parent else []
    commit.author = commit.committer = author.encode()
    commit.author_time = commit.commit_time = int(time.time())
    commit.author_timezone = commit.commit_timezone = 0
    commit.encoding = b"UTF-8"
    commit.message = message.encode()
    repo.object_store.add_object(commit)
    return commit


def _push(client: GuardedGitClient, path: str, branch: str, files: Mapping[str, str],
          message: str, author: str, expected: str | None,
          new_branch: Callable[[str], str], marker: str | None) -> Pushed:
    """The blocking part (dulwich), in a thread."""
    ref = Ref(f"refs/heads/{branch}".encode())
    refs = client.get_refs(path.encode()).refs
    head = refs.get(ref)
    repo = MemoryRepo()
    if head is not None:
        # The head commit (only it, not the history): the new commit's parent.
        client.fetch(path.encode(), repo, determine_wants=lambda _refs, depth=None: [head],
                     depth=1)
        last = repo[head]
        if marker and isinstance(last, Commit) and marker.encode() in last.message:
            return Pushed(branch=branch, commit=head.decode(), already=True,
                          parent=last.parents[0].decode() if last.parents else None)
    moved = head is not None and head.decode() != expected
    target = new_branch(branch) if moved else branch
    target_ref = Ref(f"refs/heads/{target}".encode())
    commit = _commit(repo, _tree(repo, files), head, message, author)

    def update(current: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        if current.get(target_ref, ZERO) not in ((head if not moved else ZERO), ZERO):
            raise RemoteError(f"{target} moved while pushing", 409)
        return {target_ref: commit.id}

    pack: Any = repo.generate_pack_data  # its signature is a superset of what send_pack needs
    result = client.send_pack(path.encode(), update, pack)
    failed = (getattr(result, "ref_status", None) or {}).get(target_ref)
    if failed:
        raise RemoteError(f"the remote refused the update of {target}: {failed}", 409)
    return Pushed(branch=target, commit=commit.id.decode(), moved=moved,
                  parent=head.decode() if head else None)


def _new_branch(branch: str) -> str:
    return f"paynto/{branch}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


async def push_files(remote: Remote, branch: str, files: Mapping[str, str], message: str, *,
                     author: str, expected: str | None, policy: FetchPolicy,
                     resolver: Resolver | None = None, timeout: float = 60.0,
                     new_branch: Callable[[str], str] = _new_branch,
                     marker: str | None = None) -> Pushed:
    """Commit ``files`` (the whole tree) on ``branch`` of ``remote`` and push it.

    ``expected`` is where the last push left the branch (None: never pushed). A branch that
    is elsewhere is not touched: the commit goes to ``new_branch(branch)``, on top of it.
    ``marker``, a line ``message`` holds: when the branch's head already holds it, this very
    commit was pushed before (and its record lost, a worker killed in between) and nothing
    is pushed again.
    Raises UrlRefused for a URL the guard refuses (before any request), RemoteError with
    the reason (never the token) otherwise."""
    parts = urlsplit(remote.url)
    if parts.username or parts.password:
        raise UrlRefused(remote.url.split("@")[-1], "credentials belong in the token, not in "
                                                    "the URL")
    await check_url(remote.url, policy, resolver)
    base = f"{parts.scheme}://{parts.netloc}/"
    async with guarded_client(policy, resolver) as client:
        git = GuardedGitClient(base, remote, loop=asyncio.get_running_loop(), client=client,
                               timeout=timeout)
        try:
            return await asyncio.to_thread(_push, git, parts.path, branch, dict(files),
                                           message, author, expected, new_branch, marker)
        except NotGitRepository:
            raise RemoteError(f"no git repository at {remote.url}", 404) from None
        except (GitProtocolError, HangupException) as exc:
            text = str(exc).replace(remote.token, "***") if remote.token else str(exc)
            raise RemoteError(f"the push failed: {text}") from None
        except httpx.HTTPError as exc:
            raise RemoteError(f"{remote.url} could not be reached "
                              f"({type(exc).__name__})") from None
