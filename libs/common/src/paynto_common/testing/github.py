"""A stand-in for GitHub: a real HTTP server on loopback speaking GitHub's OAuth web flow and
the REST API calls Paynto makes, so sign-in is tested with real redirects and real requests.

It plays both sides GitHub plays: the page a browser is sent to (``/login/oauth/authorize``,
which here answers as if the person signed in to GitHub — :attr:`GitHubDouble.browser_user` —
clicked "Authorize" or, with :attr:`GitHubDouble.deny`, "Cancel"), and the endpoints the server
calls (``/login/oauth/access_token``, ``/user``). One server answers both ``github_url`` and
``github_api_url``: the API paths do not overlap the web ones.

Checked as GitHub checks them: the client id, the redirect URI (the registered callback or a
path under it), the client secret, the PKCE verifier against the challenge; a code works once
(its first use spends it, good or bad). Errors are GitHub's: a token request that fails still
answers 200, with ``{"error": ...}``.

It also keeps repositories in memory and serves the REST calls :mod:`paynto_common.github`
makes, in GitHub's documented shapes: ``/user/repos`` (list, with a ``Link`` header, and
create), ``/repos/{owner}/{repo}``, and the Git Data API (refs, trees, commits, blobs) over
objects whose ids are git's own (the sha-1 of ``blob <size>\0<content>`` and so on). As on
GitHub, every API request needs a token it issued (401 ``Bad credentials``), a repository the
caller may not see is 404, a ref update without ``force`` must be a fast-forward (422
``Update is not a fast forward``), and an empty repository refuses the Git Data API (409).

Tests reach past the API with :meth:`GitHubDouble.issue_token` (a token without the OAuth
dance), :meth:`GitHubDouble.add_repo` and :meth:`GitHubDouble.push` (commits from elsewhere),
:meth:`GitHubDouble.before_next_ref_update` (someone pushes between a client's read of a branch
and its update), and :meth:`GitHubDouble.files_at` / :meth:`GitHubDouble.history` to see what
a branch holds.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from paynto_common.testing.serve import ServedDouble

ERROR_DOCS = "https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
REST_DOCS = "https://docs.github.com/rest"
# Git's modes as the REST API spells them, and as tree objects store them.
BLOB_MODE, TREE_MODE = "100644", "040000"
BLOB_MODES = frozenset({"100644", "100755"})
# GitHub turns every other character of a new repository's name into "-".
REPO_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
# Where the double's clock starts (commit dates and repositories' times tick from here, one
# second per event: deterministic, and ordered as the events were).
EPOCH = 1_700_000_000


@dataclass
class GitHubUser:
    """A GitHub account."""

    id: int
    login: str
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        """What ``GET /user`` answers for it (the fields Paynto reads, and a few more)."""
        return {"id": self.id, "login": self.login, "name": self.name, "type": "User",
                "node_id": f"U_{self.id}", "html_url": f"https://github.com/{self.login}"}


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: a file (``blob``) or a folder (``tree``)."""

    mode: str
    type: str
    name: str
    sha: str


@dataclass(frozen=True)
class GitCommit:
    tree: str
    parents: tuple[str, ...]
    message: str
    # name, email, date (ISO 8601), as the REST API shows them
    author: dict[str, str]
    committer: dict[str, str]


@dataclass
class Repository:
    """A repository: its settings, its refs and its git objects."""

    id: int
    owner: GitHubUser
    name: str
    private: bool = True
    description: str | None = None
    default_branch: str = "main"
    # Who else may see and push to it (user ids).
    collaborators: set[int] = field(default_factory=set)
    # "refs/heads/main" -> commit sha
    refs: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, tuple[TreeEntry, ...]] = field(default_factory=dict)
    commits: dict[str, GitCommit] = field(default_factory=dict)
    created_at: int = EPOCH
    updated_at: int = EPOCH

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def may_see(self, user: GitHubUser) -> bool:
        return not self.private or self.may_push(user)

    def may_push(self, user: GitHubUser) -> bool:
        return user.id == self.owner.id or user.id in self.collaborators


@dataclass
class _Grant:
    """An authorization code waiting to be exchanged."""

    user: GitHubUser
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None


class GitHubDouble(ServedDouble):
    """The state of the fake GitHub (its users, codes and tokens) and its ASGI app."""

    def __init__(self, callback_url: str, *, client_id: str = "Iv1.paynto-test",
                 client_secret: str | None = None, require_pkce: bool = True) -> None:
        # The OAuth app: its id, secret and registered callback URL.
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_hex(20)
        self.callback_url = callback_url
        # Refuse an authorization request without a PKCE challenge (GitHub allows one;
        # Paynto must always send it).
        self.require_pkce = require_pkce
        self.users: dict[int, GitHubUser] = {}
        # Who is signed in to GitHub in "the browser": the person who authorizes the app.
        self.browser_user: GitHubUser | None = None
        # The person clicks "Cancel" instead of "Authorize".
        self.deny = False
        # Access tokens handed out, and whose they are.
        self.tokens: dict[str, GitHubUser] = {}
        # Every token request's outcome, in order: "ok" or GitHub's error code.
        self.exchanges: list[str] = []
        # Where it serves, while it does.
        self.url: str | None = None
        self._grants: dict[str, _Grant] = {}
        self._ids = itertools.count(1001)
        # Repositories by full name, lower-case (GitHub's names are case-insensitive).
        self.repos: dict[str, Repository] = {}
        # Every ref update's body (PATCH), in order: what clients asked for (a force?).
        self.ref_updates: list[dict[str, Any]] = []
        self._repo_ids = itertools.count(700_001)
        self._clock = itertools.count(EPOCH)
        self._before_ref_update: list[Callable[[], object]] = []

    # -- the world ------------------------------------------------------------------------

    def add_user(self, login: str, name: str | None = None, *, id: int | None = None,
                 sign_in: bool = True) -> GitHubUser:
        """A new GitHub account; by default also the one signed in to GitHub in the browser."""
        user = GitHubUser(id=id if id is not None else next(self._ids), login=login, name=name)
        self.users[user.id] = user
        if sign_in:
            self.browser_user = user
        return user

    def issue_token(self, user: GitHubUser) -> str:
        """A personal access token of ``user``'s, as GitHub's settings page makes one."""
        token = "ghp_" + secrets.token_urlsafe(27)
        self.tokens[token] = user
        return token

    def add_repo(self, owner: GitHubUser, name: str,
                 files: Mapping[str, str | bytes] | None = None,
                 *, private: bool = True, description: str | None = None,
                 default_branch: str = "main") -> Repository:
        """A repository of ``owner``'s: ``files`` in a first commit on its default branch, or
        empty (no commit at all) when None."""
        now = self._tick()
        repo = Repository(id=next(self._repo_ids), owner=owner, name=name, private=private,
                          description=description, default_branch=default_branch,
                          created_at=now, updated_at=now)
        self.repos[repo.full_name.lower()] = repo
        if files is not None:
            self.push(repo.full_name, default_branch, files, "Initial commit")
        return repo

    def repository(self, full_name: str) -> Repository:
        return self.repos[full_name.lower()]

    def push(self, full_name: str, branch: str, files: Mapping[str, str | bytes],
             message: str = "A commit from elsewhere") -> str:
        """Commit ``files`` (the whole tree; text or bytes) on top of ``branch`` and move the
        branch there, as someone pushing from elsewhere would; the commit's sha. Paths are
        not checked: this is whatever a git client might push."""
        repo = self.repository(full_name)
        flat = {path: (BLOB_MODE, _store_blob(repo, data if isinstance(data, bytes)
                                              else data.encode()))
                for path, data in files.items()}
        head = repo.refs.get(f"refs/heads/{branch}")
        sha = self._commit(repo, _store_tree(repo, flat), [head] if head else [], message,
                           repo.owner)
        repo.refs[f"refs/heads/{branch}"] = sha
        repo.updated_at = self._tick()
        return sha

    def before_next_ref_update(self, action: Callable[[], object]) -> None:
        """Run ``action`` when the next ref update (a PATCH) arrives, before it is judged:
        someone pushing between a client's read of a branch and its update of it."""
        self._before_ref_update.append(action)

    def files_at(self, full_name: str, ref: str) -> dict[str, str]:
        """The files (path → text) of ``ref``: a branch's name or a commit's sha."""
        repo = self.repository(full_name)
        commit = repo.refs.get(f"refs/heads/{ref}", ref)
        flat = _flatten(repo, repo.commits[commit].tree)
        return {path: repo.blobs[sha].decode(errors="replace")
                for path, (_, sha) in sorted(flat.items())}

    def history(self, full_name: str, ref: str) -> list[str]:
        """The commits of ``ref`` (a branch or a sha), newest first, along first parents."""
        repo = self.repository(full_name)
        sha: str | None = repo.refs.get(f"refs/heads/{ref}", ref)
        shas = []
        while sha is not None:
            shas.append(sha)
            parents = repo.commits[sha].parents
            sha = parents[0] if parents else None
        return shas

    def _tick(self) -> int:
        return next(self._clock)

    def _commit(self, repo: Repository, tree: str, parents: list[str], message: str,
                user: GitHubUser, author: Mapping[str, Any] | None = None) -> str:
        when = _iso(self._tick())
        committer = {"name": user.name or user.login, "email": _noreply(user), "date": when}
        named = {**committer, **{k: str(v) for k, v in (author or {}).items()
                                 if k in ("name", "email", "date")}}
        body = "".join([f"tree {tree}\n", *(f"parent {p}\n" for p in parents),
                        f"author {_signature(named)}\n",
                        f"committer {_signature(committer)}\n", "\n", message])
        sha = _object_id("commit", body.encode())
        repo.commits[sha] = GitCommit(tree, tuple(parents), message, named, committer)
        return sha

    # -- serving --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        repo = "/repos/{owner}/{repo}"
        return [
            Route("/login/oauth/authorize", self._authorize, methods=["GET"]),
            Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
            Route("/user", self._user, methods=["GET"]),
            Route("/user/repos", self._list_repos, methods=["GET"]),
            Route("/user/repos", self._create_repo, methods=["POST"]),
            Route(repo, self._get_repo, methods=["GET"]),
            Route(repo + "/git/ref/{ref:path}", self._get_ref, methods=["GET"]),
            Route(repo + "/git/refs", self._create_ref, methods=["POST"]),
            Route(repo + "/git/refs/{ref:path}", self._update_ref, methods=["PATCH"]),
            Route(repo + "/git/trees", self._create_tree, methods=["POST"]),
            Route(repo + "/git/trees/{sha:path}", self._get_tree, methods=["GET"]),
            Route(repo + "/git/commits", self._create_commit, methods=["POST"]),
            Route(repo + "/git/commits/{sha}", self._get_commit, methods=["GET"]),
            Route(repo + "/git/blobs/{sha}", self._get_blob, methods=["GET"]),
        ]

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    # -- the web flow ---------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != self.client_id:
            # GitHub shows a page, not a redirect: the redirect URI of an unknown app is
            # not to be trusted.
            return PlainTextResponse("404: this OAuth app does not exist", status_code=404)
        redirect_uri = query.get("redirect_uri") or self.callback_url
        state = query.get("state")
        if not _under(redirect_uri, self.callback_url):
            return self._back(self.callback_url, state, error="redirect_uri_mismatch",
                              error_description="The redirect_uri MUST match the registered "
                                                "callback URL for this application.")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if (challenge is None and self.require_pkce) or (challenge and method != "S256"):
            return self._back(redirect_uri, state, error="invalid_request",
                              error_description="PKCE with code_challenge_method=S256 is "
                                                "required.")
        if self.deny or self.browser_user is None:
            return self._back(redirect_uri, state, error="access_denied",
                              error_description="The user has denied your application access.")
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(self.browser_user, redirect_uri, challenge, method)
        return self._back(redirect_uri, state, code=code)

    @staticmethod
    def _back(redirect_uri: str, state: str | None, **params: str) -> RedirectResponse:
        if state is not None:
            params["state"] = state
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

    async def _access_token(self, request: Request) -> Response:
        # GitHub takes the parameters as a form, JSON or the query string. (Parsed by hand:
        # Starlette's form parser needs python-multipart.)
        fields = dict(request.query_params)
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            fields.update({key: str(value) for key, value in json.loads(body).items()})
        else:
            fields.update(parse_qsl(body.decode()))
        outcome = self._exchange(fields)
        self.exchanges.append(outcome.get("error", "ok"))
        if "json" in request.headers.get("accept", ""):
            return JSONResponse(outcome)
        # Without Accept: application/json, GitHub answers form-encoded.
        return Response(urlencode(outcome), media_type="application/x-www-form-urlencoded")

    def _exchange(self, fields: dict[str, str]) -> dict[str, str]:
        if (fields.get("client_id") != self.client_id
                or not secrets.compare_digest(fields.get("client_secret", ""),
                                              self.client_secret)):
            return _error("incorrect_client_credentials",
                          "The client_id and/or client_secret passed are incorrect.")
        grant = self._grants.pop(fields.get("code", ""), None)
        if grant is None:
            return _error("bad_verification_code", "The code passed is incorrect or expired.")
        if fields.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
            return _error("redirect_uri_mismatch",
                          "The redirect_uri MUST match the registered callback URL for this "
                          "application.")
        if grant.code_challenge is not None:
            verifier = fields.get("code_verifier", "")
            if _s256(verifier) != grant.code_challenge:
                return _error("bad_verification_code",
                              "The code_verifier does not match the code_challenge.")
        token = "gho_" + secrets.token_urlsafe(27)
        self.tokens[token] = grant.user
        return {"access_token": token, "token_type": "bearer", "scope": "read:user"}

    # -- the REST API ---------------------------------------------------------------------

    def api_user(self, request: Request) -> GitHubUser | None:
        """Whose token a REST API request carries (``Bearer`` or GitHub's ``token`` scheme)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.tokens.get(token.strip())

    async def _user(self, request: Request) -> Response:
        user = self.api_user(request)
        if user is None:
            return bad_credentials()
        return JSONResponse(user.as_json())


    # -- repositories -----------------------------------------------------------------------

    async def _list_repos(self, request: Request) -> Response:
        user = self.api_user(request)
        if user is None:
            return bad_credentials()
        query = request.query_params
        affiliation = set(query.get("affiliation",
                                    "owner,collaborator,organization_member").split(","))
        mine = [r for r in self.repos.values()
                if ("owner" in affiliation and r.owner.id == user.id)
                or ("collaborator" in affiliation and user.id in r.collaborators)]
        sort = query.get("sort", "full_name")
        keys: dict[str, Callable[[Repository], Any]] = {
            "full_name": lambda r: r.full_name.lower(), "created": lambda r: r.created_at,
            "updated": lambda r: r.updated_at, "pushed": lambda r: r.updated_at}
        if sort not in keys:
            return message(422, "Validation Failed")
        direction = query.get("direction", "asc" if sort == "full_name" else "desc")
        mine.sort(key=keys[sort], reverse=direction == "desc")
        per_page = min(max(_int(query.get("per_page"), 30), 1), 100)
        page = max(_int(query.get("page"), 1), 1)
        last = max(1, -(-len(mine) // per_page))
        rels = ([("next", page + 1), ("last", last)] if page < last else []) + \
               ([("prev", page - 1), ("first", 1)] if page > 1 else [])
        links = [f'<{request.url.include_query_params(page=n, per_page=per_page)}>; '
                 f'rel="{rel}"' for rel, n in rels]
        chunk = mine[(page - 1) * per_page:page * per_page]
        return JSONResponse([self._repo_json(r, user) for r in chunk],
                            headers={"Link": ", ".join(links)} if links else None)

    async def _create_repo(self, request: Request) -> Response:
        user = self.api_user(request)
        if user is None:
            return bad_credentials()
        body = await _json_body(request)
        if body is None:
            return message(400, "Problems parsing JSON")
        name = REPO_NAME_CHARS.sub("-", str(body.get("name") or "").strip())
        if not name:
            return _creation_failed({"resource": "Repository", "code": "missing_field",
                                     "field": "name"})
        if any(r.owner.id == user.id and r.name.lower() == name.lower()
               for r in self.repos.values()):
            return _creation_failed({"resource": "Repository", "code": "custom",
                                     "field": "name",
                                     "message": "name already exists on this account"})
        description = body.get("description")
        readme = f"# {name}\n" + (f"\n{description}\n" if description else "")
        repo = self.add_repo(user, name, {"README.md": readme} if body.get("auto_init")
                             else None, private=bool(body.get("private", False)),
                             description=str(description) if description else None)
        return JSONResponse(self._repo_json(repo, user), status_code=201,
                            headers={"Location": f"{self.url}/repos/{repo.full_name}"})

    async def _get_repo(self, request: Request) -> Response:
        found = self._access(request)
        if isinstance(found, Response):
            return found
        user, repo = found
        return JSONResponse(self._repo_json(repo, user))

    def _access(self, request: Request, *, push: bool = False,
                git: bool = False) -> tuple[GitHubUser, Repository] | Response:
        """The caller and the repository the path names, or GitHub's refusal: 401 without a
        good token, 404 for a repository the caller may not see (GitHub does not say it
        exists), 403 for a write without push access, 409 for the Git Data API on an empty
        repository."""
        user = self.api_user(request)
        if user is None:
            return bad_credentials()
        params = request.path_params
        repo = self.repos.get(f"{params['owner']}/{params['repo']}".lower())
        if repo is None or not repo.may_see(user):
            return message(404, "Not Found")
        if push and not repo.may_push(user):
            return message(403, "Resource not accessible by personal access token")
        if git and not repo.commits:
            return message(409, "Git Repository is empty.")
        return user, repo

    def _repo_json(self, repo: Repository, user: GitHubUser) -> dict[str, Any]:
        full = repo.full_name
        owner = user.id == repo.owner.id
        return {
            "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": full,
            "private": repo.private, "visibility": "private" if repo.private else "public",
            "owner": repo.owner.as_json(), "html_url": f"{self.url}/{full}",
            "description": repo.description, "fork": False,
            "url": f"{self.url}/repos/{full}", "clone_url": f"{self.url}/{full}.git",
            "default_branch": repo.default_branch, "created_at": _iso(repo.created_at),
            "updated_at": _iso(repo.updated_at), "pushed_at": _iso(repo.updated_at),
            "permissions": {"admin": owner, "maintain": owner, "push": repo.may_push(user),
                            "triage": repo.may_push(user), "pull": True},
        }

    # -- the Git Data API -----------------------------------------------------------------

    def _api(self, repo: Repository) -> str:
        return f"{self.url}/repos/{repo.full_name}"

    def _ref_json(self, repo: Repository, ref: str) -> dict[str, Any]:
        sha = repo.refs[ref]
        return {"ref": ref, "node_id": f"REF_{sha[:12]}",
                "url": f"{self._api(repo)}/git/{ref}",
                "object": {"type": "commit", "sha": sha,
                           "url": f"{self._api(repo)}/git/commits/{sha}"}}

    async def _get_ref(self, request: Request) -> Response:
        found = self._access(request, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        ref = "refs/" + request.path_params["ref"]
        if ref not in repo.refs:
            return message(404, "Not Found")
        return JSONResponse(self._ref_json(repo, ref))

    async def _create_ref(self, request: Request) -> Response:
        found = self._access(request, push=True, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        body = await _json_body(request)
        if body is None:
            return message(400, "Problems parsing JSON")
        ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
        if not ref.startswith("refs/") or ref.count("/") < 2 or not _ref_name_ok(ref):
            return message(422, f"{ref} is not a valid ref name.")
        if sha not in repo.commits:
            return message(422, "Object does not exist")
        if ref in repo.refs:
            return message(422, "Reference already exists")
        repo.refs[ref] = sha
        repo.updated_at = self._tick()
        return JSONResponse(self._ref_json(repo, ref), status_code=201)

    async def _update_ref(self, request: Request) -> Response:
        while self._before_ref_update:
            self._before_ref_update.pop(0)()
        found = self._access(request, push=True, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        body = await _json_body(request)
        if body is None:
            return message(400, "Problems parsing JSON")
        self.ref_updates.append(body)
        ref, sha = "refs/" + request.path_params["ref"], str(body.get("sha", ""))
        if ref not in repo.refs:
            return message(422, "Reference does not exist")
        if sha not in repo.commits:
            return message(422, "Object does not exist")
        if body.get("force") is not True and not _descends(repo, sha, repo.refs[ref]):
            return message(422, "Update is not a fast forward")
        repo.refs[ref] = sha
        repo.updated_at = self._tick()
        return JSONResponse(self._ref_json(repo, ref))

    async def _create_tree(self, request: Request) -> Response:
        found = self._access(request, push=True, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        body = await _json_body(request)
        if body is None or not isinstance(body.get("tree"), list):
            return message(400 if body is None else 422, "Invalid tree info")
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            return message(422, "base_tree is not a valid tree oid")
        flat = _flatten(repo, base) if base else {}
        for entry in body["tree"]:
            refused = _tree_entry(repo, flat, entry)
            if refused is not None:
                return message(422, refused)
        try:
            sha = _store_tree(repo, flat)
        except ValueError as exc:
            return message(422, str(exc))
        return JSONResponse(self._tree_json(repo, sha, recursive=False), status_code=201)

    def _tree_json(self, repo: Repository, sha: str, *, recursive: bool) -> dict[str, Any]:
        api = self._api(repo)

        def walk(tree: str, prefix: str) -> Iterable[dict[str, Any]]:
            for e in repo.trees[tree]:
                item: dict[str, Any] = {"path": prefix + e.name, "mode": e.mode,
                                        "type": e.type, "sha": e.sha,
                                        "url": f"{api}/git/{e.type}s/{e.sha}"}
                if e.type == "blob":
                    item["size"] = len(repo.blobs[e.sha])
                yield item
                if recursive and e.type == "tree":
                    yield from walk(e.sha, f"{prefix}{e.name}/")

        return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": list(walk(sha, "")),
                "truncated": False}

    async def _get_tree(self, request: Request) -> Response:
        found = self._access(request, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        # A tree's sha, or (as GitHub allows) a commit's or a branch's.
        name = request.path_params["sha"]
        commit = repo.refs.get(f"refs/heads/{name}", name)
        tree = name if name in repo.trees else (
            repo.commits[commit].tree if commit in repo.commits else None)
        if tree is None:
            return message(404, "Not Found")
        recursive = "recursive" in request.query_params
        return JSONResponse(self._tree_json(repo, tree, recursive=recursive))

    async def _create_commit(self, request: Request) -> Response:
        found = self._access(request, push=True, git=True)
        if isinstance(found, Response):
            return found
        user, repo = found
        body = await _json_body(request)
        if body is None:
            return message(400, "Problems parsing JSON")
        text, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
        if not isinstance(text, str):
            return message(422, 'Invalid request.\n\n"message" wasn\'t supplied.')
        if tree not in repo.trees:
            return message(422, "Tree SHA does not exist")
        if not isinstance(parents, list) or any(p not in repo.commits for p in parents):
            return message(422, "Parent SHA does not exist or is not a commit object")
        author = body.get("author")
        sha = self._commit(repo, str(tree), [str(p) for p in parents], text, user,
                           author if isinstance(author, dict) else None)
        return JSONResponse(self._commit_json(repo, sha), status_code=201)

    def _commit_json(self, repo: Repository, sha: str) -> dict[str, Any]:
        commit, api = repo.commits[sha], self._api(repo)
        web = f"{self.url}/{repo.full_name}/commit"
        return {
            "sha": sha, "node_id": f"C_{sha[:12]}", "url": f"{api}/git/commits/{sha}",
            "html_url": f"{web}/{sha}", "author": commit.author,
            "committer": commit.committer, "message": commit.message,
            "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
            "parents": [{"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{web}/{p}"}
                        for p in commit.parents],
            "verification": {"verified": False, "reason": "unsigned", "signature": None,
                             "payload": None, "verified_at": None},
        }

    async def _get_commit(self, request: Request) -> Response:
        found = self._access(request, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        sha = request.path_params["sha"]
        if sha not in repo.commits:
            return message(404, "Not Found")
        return JSONResponse(self._commit_json(repo, sha))

    async def _get_blob(self, request: Request) -> Response:
        found = self._access(request, git=True)
        if isinstance(found, Response):
            return found
        _, repo = found
        sha = request.path_params["sha"]
        if sha not in repo.blobs:
            return message(404, "Not Found")
        data = repo.blobs[sha]
        return JSONResponse({"sha": sha, "node_id": f"B_{sha[:12]}", "size": len(data),
                             "url": f"{self._api(repo)}/git/blobs/{sha}",
                             "content": base64.encodebytes(data).decode(),
                             "encoding": "base64"})


def message(status: int, text: str) -> JSONResponse:
    """GitHub's shape of a REST error."""
    return JSONResponse({"message": text, "documentation_url": REST_DOCS,
                         "status": str(status)}, status_code=status)


def _creation_failed(error: dict[str, str]) -> JSONResponse:
    return JSONResponse({"message": "Repository creation failed.", "errors": [error],
                         "documentation_url": f"{REST_DOCS}/repos/repos", "status": "422"},
                        status_code=422)


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _int(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _noreply(user: GitHubUser) -> str:
    return f"{user.id}+{user.login}@users.noreply.github.com"


def _signature(who: Mapping[str, str]) -> str:
    """A commit object's ``name <email> seconds +0000``."""
    when = datetime.fromisoformat(who["date"].replace("Z", "+00:00"))
    return f"{who['name']} <{who['email']}> {int(when.timestamp())} +0000"


def _ref_name_ok(ref: str) -> bool:
    return not (".." in ref or "//" in ref or ref.endswith(("/", ".lock", "."))
                or any(c in ref for c in " ~^:?*[\\"))


def _object_id(kind: str, body: bytes) -> str:
    """Git's id of an object: the sha-1 of its header and body."""
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body,
                        usedforsecurity=False).hexdigest()


def _store_blob(repo: Repository, data: bytes) -> str:
    sha = _object_id("blob", data)
    repo.blobs[sha] = data
    return sha


def _store_tree(repo: Repository, flat: Mapping[str, tuple[str, str]]) -> str:
    """Store the files ``flat`` (path → (mode, blob sha)) as trees; the root tree's sha.
    ValueError when a path runs through a file."""
    root: dict[str, Any] = {}
    for path, leaf in flat.items():
        *folders, name = path.split("/")
        node = root
        for part in folders:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"tree.path {path} runs through a file")
        if isinstance(node.get(name), dict):
            raise ValueError(f"tree.path {path} is a folder")
        node[name] = leaf
    return _store_node(repo, root)


def _store_node(repo: Repository, node: Mapping[str, Any]) -> str:
    entries = [TreeEntry(TREE_MODE, "tree", name, _store_node(repo, value))
               if isinstance(value, dict) else TreeEntry(value[0], "blob", name, value[1])
               for name, value in node.items()]
    # Git's order: by name, a folder's name as if it ended with "/".
    entries.sort(key=lambda e: (e.name + "/" if e.type == "tree" else e.name).encode())
    body = b"".join(f"{e.mode.lstrip('0')} {e.name}".encode() + b"\0" + bytes.fromhex(e.sha)
                    for e in entries)
    sha = _object_id("tree", body)
    repo.trees[sha] = tuple(entries)
    return sha


def _flatten(repo: Repository, tree: str, prefix: str = "") -> dict[str, tuple[str, str]]:
    """The files under ``tree``: path → (mode, blob sha)."""
    flat: dict[str, tuple[str, str]] = {}
    for e in repo.trees[tree]:
        if e.type == "tree":
            flat.update(_flatten(repo, e.sha, f"{prefix}{e.name}/"))
        else:
            flat[prefix + e.name] = (e.mode, e.sha)
    return flat


def _tree_entry(repo: Repository, flat: dict[str, tuple[str, str]],
                entry: Any) -> str | None:
    """Apply one entry of a tree request to ``flat``; why it is refused, or None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return "tree.path is missing"
    path = entry["path"]
    if any(part in ("", ".", "..", ".git") for part in path.split("/")):
        return f"tree.path {path!r} contains a malformed path component"
    if entry.get("type", "blob") != "blob" or entry.get("mode") not in BLOB_MODES:
        return "only blob entries with a file mode are served by this double"
    if "content" in entry:
        flat[path] = (entry["mode"], _store_blob(repo, str(entry["content"]).encode()))
    elif entry.get("sha") is None:
        flat.pop(path, None)  # GitHub's way to delete a file from base_tree
    elif entry["sha"] in repo.blobs:
        flat[path] = (entry["mode"], entry["sha"])
    else:
        return f"tree.sha {entry['sha']} is not a valid blob"
    return None


def _descends(repo: Repository, new: str, old: str) -> bool:
    """Whether commit ``old`` is ``new`` or one of its ancestors (a fast-forward)."""
    seen, todo = set(), [new]
    while todo:
        sha = todo.pop()
        if sha == old:
            return True
        if sha not in seen:
            seen.add(sha)
            todo.extend(repo.commits[sha].parents)
    return False


def bad_credentials() -> JSONResponse:
    """GitHub's answer to a REST request without a valid token."""
    return JSONResponse({"message": "Bad credentials",
                         "documentation_url": "https://docs.github.com/rest", "status": "401"},
                        status_code=401)


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description,
            "error_uri": f"{ERROR_DOCS}#{code.replace('_', '-')}"}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _under(uri: str, registered: str) -> bool:
    """GitHub's rule: the same scheme, host and port as the callback URL, and its path or a
    path under it."""
    got, want = urlsplit(uri), urlsplit(registered)
    if (got.scheme, got.netloc) != (want.scheme, want.netloc):
        return False
    base = want.path.rstrip("/")
    return got.path == want.path or got.path.startswith(base + "/")
