"""Pushing versions to a git smart-HTTP server on loopback behind token auth (each test twice:
dulwich's server, and git's own ``git http-backend`` when git is installed):
one commit a version on top of the branch, in order; a branch that moved is left alone and
the commit goes to a new branch; a wrong token or a missing repository says why without the
token; an internal URL off the allowlist is refused before any request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo

from git_sync.remote import Pushed, Remote, RemoteError, push_files
from git_sync.testing.git_server import GitServer, http_backend_path, serve_git
from paynto_common.safety.urls import FetchPolicy, UrlRefused, parse_allow_hosts

AUTHOR = "Paynto <paynto@localhost>"
V1 = {"src/App.jsx": "export default () => <h1>One</h1>\n", "index.html": "<div id=root>"}
V2 = {**V1, "src/App.jsx": "export default () => <h1>Two</h1>\n",
      "src/components/Hero.jsx": "export default () => null\n"}


@pytest.fixture(params=["dulwich", "git"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GitServer]:
    if request.param == "git" and http_backend_path() is None:
        pytest.skip("git http-backend is not installed (the git package): dulwich's server "
                    "stands in")
    with serve_git(tmp_path / "remote", names=("site", "other"),
                   backend=request.param) as served:
        yield served


def allowed(server: GitServer) -> FetchPolicy:
    return FetchPolicy(allow_hosts=parse_allow_hosts(server.base.removeprefix("http://")))


async def push(server: GitServer, files: dict[str, str], expected: str | None,
               message: str = "a version", token: str | None = None,
               name: str = "site") -> Pushed:
    remote = Remote(server.url(name), token or server.token)
    return await push_files(remote, "main", files, message, author=AUTHOR,
                            expected=expected, policy=allowed(server),
                            new_branch=lambda branch: f"paynto/{branch}-moved")


def files_at(repo: Repo, commit: bytes) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(tree_id: bytes, prefix: str) -> None:
        tree = repo[tree_id]
        assert isinstance(tree, Tree)
        for entry in tree.items():
            name = prefix + entry.path.decode()
            obj = repo[entry.sha]
            if isinstance(obj, Tree):
                walk(entry.sha, name + "/")
            else:
                assert isinstance(obj, Blob)
                found[name] = obj.data.decode()

    head = repo[commit]
    assert isinstance(head, Commit)
    walk(head.tree, "")
    return found


async def test_versions_become_commits_in_order_on_the_branch(server: GitServer) -> None:
    first = await push(server, V1, None, "Version 1: a bakery")
    second = await push(server, V2, first.commit, "Version 2: a hero")
    third = await push(server, V1, second.commit, "Version 3: back to one")
    repo = server.repos["site"]
    assert server.head("site", "main") == third.commit.encode()
    assert (first.parent, second.parent, third.parent) == (None, first.commit, second.commit)
    assert not any(p.moved for p in (first, second, third))
    history = []
    sha: bytes | None = third.commit.encode()
    while sha:
        commit = repo[sha]
        assert isinstance(commit, Commit)
        history.append(commit.message.decode())
        sha = commit.parents[0] if commit.parents else None
    assert history == ["Version 3: back to one", "Version 2: a hero", "Version 1: a bakery"]
    assert files_at(repo, second.commit.encode()) == V2
    assert files_at(repo, third.commit.encode()) == V1
    # Every request carried the token.
    assert server.requests and all(authorized for _m, _p, authorized in server.requests)


async def test_a_branch_that_moved_is_left_alone_and_the_commit_goes_to_a_new_one(
        server: GitServer) -> None:
    first = await push(server, V1, None)
    # Someone pushes to main from elsewhere.
    theirs = await push(server, {"README.md": "mine"}, first.commit, "their change")
    pushed = await push(server, V2, first.commit, "our next version")
    assert pushed.moved and pushed.branch == "paynto/main-moved"
    assert server.head("site", "main") == theirs.commit.encode()  # not overwritten
    assert server.head("site", "paynto/main-moved") == pushed.commit.encode()
    assert pushed.parent == theirs.commit  # on top of theirs, to merge as they like
    assert files_at(server.repos["site"], pushed.commit.encode()) == V2


async def test_a_wrong_token_is_refused_without_showing_it(server: GitServer) -> None:
    with pytest.raises(RemoteError) as refused:
        await push(server, V1, None, token="wrong-secret-token")
    assert refused.value.status == 401
    assert "wrong-secret-token" not in str(refused.value)
    assert server.head("site", "main") is None


async def test_a_missing_repository_says_so(server: GitServer) -> None:
    with pytest.raises(RemoteError) as missing:
        await push(server, V1, None, name="nowhere")
    assert missing.value.status == 404 and "no git repository" in missing.value.message


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/site.git", "http://169.254.169.254/site.git", "file:///etc/site.git",
    "ssh://git@example.com/site.git",
])
async def test_a_remote_the_guard_refuses_gets_no_request(server: GitServer, url: str) -> None:
    with pytest.raises(UrlRefused):
        await push_files(Remote(url, "t"), "main", V1, "m", author=AUTHOR, expected=None,
                         policy=allowed(server))
    assert server.requests == []


async def test_credentials_in_the_url_are_refused(server: GitServer) -> None:
    url = server.url("site").replace("http://", "http://user:secret@")
    with pytest.raises(UrlRefused) as refused:
        await push_files(Remote(url), "main", V1, "m", author=AUTHOR, expected=None,
                         policy=allowed(server))
    assert "secret" not in str(refused.value)
    assert server.requests == []


async def test_a_loopback_remote_off_the_allowlist_is_refused(server: GitServer) -> None:
    with pytest.raises(UrlRefused):
        await push_files(Remote(server.url("site"), server.token), "main", V1, "m",
                         author=AUTHOR, expected=None, policy=FetchPolicy())
    assert server.requests == []


async def test_unsafe_paths_are_not_pushed(server: GitServer) -> None:
    for path in ("../escape.txt", ".git/config", "a/../../b"):
        with pytest.raises(RemoteError) as refused:
            await push(server, {path: "x"}, None)
        assert refused.value.status == 422
    assert server.head("site", "main") is None


async def test_a_version_already_at_the_head_is_not_pushed_again(server: GitServer) -> None:
    remote = Remote(server.url("site"), server.token)
    options = {"author": AUTHOR, "policy": allowed(server)}
    first = await push_files(remote, "main", V1, "Version 1\n\nPaynto-Version: p1/1\n",
                             expected=None, marker="Paynto-Version: p1/1", **options)
    # Its record was lost (the worker died after the push): pushed again, it is found.
    again = await push_files(remote, "main", V1, "Version 1\n\nPaynto-Version: p1/1\n",
                             expected=None, marker="Paynto-Version: p1/1", **options)
    assert (again.already, again.commit, again.moved) == (True, first.commit, False)
    assert server.head("site", "main") == first.commit.encode()
