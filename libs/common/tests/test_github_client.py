"""The GitHub client against the GitHub double (a real HTTP server on loopback speaking GitHub's
REST shapes): listing and creating repositories, committing versions through the Git Data API
(whole trees, one commit each, the branch only ever moved forward), a branch that moved meanwhile
left alone, a refused token never repeated, and reading a repository's text files to import.
With ``GITHUB_TOKEN`` set, a read-only check against the real GitHub as well."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from paynto_common.github import Author, GitHubClient, GitHubError
from paynto_common.testing.github import GitHubDouble, GitHubUser

CALLBACK = "http://paynto.test/api/auth/github/callback"


@pytest_asyncio.fixture
async def github() -> AsyncIterator[GitHubDouble]:
    async with GitHubDouble(CALLBACK).running() as double:
        yield double


@pytest.fixture
def octocat(github: GitHubDouble) -> GitHubUser:
    return github.add_user("octocat", "The Octocat")


@pytest_asyncio.fixture
async def client(github: GitHubDouble, octocat: GitHubUser) -> AsyncIterator[GitHubClient]:
    async with GitHubClient(github.issue_token(octocat), str(github.url)) as gh:
        yield gh


async def test_lists_the_persons_repositories_a_page_at_a_time(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    for n in range(5):
        github.add_repo(octocat, f"site-{n}", {"index.html": str(n)})
    github.add_repo(github.add_user("hubot", sign_in=False), "theirs", {"a": "b"})
    github.push("octocat/site-1", "main", {"index.html": "changed"})  # updated last

    pages = []
    page: int | None = 1
    while page is not None:
        listed = await client.list_repos(page=page, per_page=2)
        pages.append([r.full_name for r in listed.repos])
        page = listed.next_page
    assert pages == [["octocat/site-1", "octocat/site-4"], ["octocat/site-3", "octocat/site-2"],
                     ["octocat/site-0"]]
    first = (await client.list_repos(per_page=1)).repos[0]
    assert first.owner == "octocat" and first.private and first.default_branch == "main"
    assert first.html_url.endswith("/octocat/site-1")
    assert first.clone_url.endswith("/octocat/site-1.git")


async def test_creates_a_repository_with_a_first_commit_and_refuses_a_taken_name(
        github: GitHubDouble, client: GitHubClient) -> None:
    repo = await client.create_repo("my-site", private=False, description="A bakery")
    assert (repo.full_name, repo.private, repo.default_branch) == ("octocat/my-site", False,
                                                                   "main")
    assert (await client.repo("octocat", "my-site")).full_name == "octocat/my-site"
    # auto_init: a README, so the Git Data API has a commit to build on.
    assert github.files_at("octocat/my-site", "main") == {"README.md":
                                                          "# my-site\n\nA bakery\n"}
    with pytest.raises(GitHubError) as taken:
        await client.create_repo("My-Site")
    assert taken.value.status == 422
    assert "name already exists" in taken.value.message


async def test_three_versions_make_three_commits_with_whole_trees(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    github.add_repo(octocat, "site", {"README.md": "hi\n"})
    versions = [
        {"index.html": "<h1>v1</h1>", "src/App.jsx": "one", "src/old.css": "a {}"},
        {"index.html": "<h1>v2</h1>", "src/App.jsx": "two", "src/old.css": "a {}"},
        {"index.html": "<h1>v3</h1>", "src/components/Hero.jsx": "hero"},
    ]
    made = []
    for n, files in enumerate(versions, start=1):
        done = await client.commit_files("octocat", "site", "main", files, f"Version {n}")
        assert done.branch == "main" and not done.moved
        assert done.html_url.endswith(f"/octocat/site/commit/{done.commit}")
        made.append(done)
    history = github.history("octocat/site", "main")
    assert history[:3] == [m.commit for m in reversed(made)] and len(history) == 4
    for done, files in zip(made, versions, strict=True):
        # The whole version each time: a file the version dropped is gone from its commit.
        assert github.files_at("octocat/site", done.commit) == dict(sorted(files.items()))
    repo = github.repository("octocat/site")
    assert [repo.commits[c].message for c in history] == [
        "Version 3", "Version 2", "Version 1", "Initial commit"]
    assert [m.parent for m in made] == [history[3], made[0].commit, made[1].commit]
    assert github.ref_updates and all(u.get("force") is False for u in github.ref_updates)


async def test_a_branch_moved_meanwhile_is_left_alone(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    github.add_repo(octocat, "site", {"index.html": "start"})
    theirs: list[str] = []
    # Someone pushes between the client's read of main and its update of it.
    github.before_next_ref_update(lambda: theirs.append(
        github.push("octocat/site", "main", {"index.html": "their work"})))

    done = await client.commit_files("octocat", "site", "main", {"index.html": "ours"}, "v2")

    assert done.moved and done.branch.startswith("paynto/main-")
    assert github.history("octocat/site", "main")[0] == theirs[0]
    assert github.files_at("octocat/site", "main") == {"index.html": "their work"}
    assert github.files_at("octocat/site", done.branch) == {"index.html": "ours"}
    assert all(u.get("force") is False for u in github.ref_updates)


async def test_a_new_branch_starts_from_the_default_branch(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    github.add_repo(octocat, "site", {"index.html": "start"})
    main = github.history("octocat/site", "main")[0]
    done = await client.commit_files("octocat", "site", "feature/hero", {"a.js": "1"}, "hero",
                                     author=Author("Paynto", "bot@paynto.test"))
    assert (done.branch, done.moved, done.parent) == ("feature/hero", False, main)
    assert github.history("octocat/site", "main") == [main]
    made = github.repository("octocat/site").commits[done.commit]
    assert (made.author["name"], made.author["email"]) == ("Paynto", "bot@paynto.test")
    assert made.committer["name"] == "The Octocat"  # the token's owner commits


async def test_refusals_carry_githubs_reason_and_never_the_token(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    token = "ghp_" + "s3cr3t" * 6
    async with GitHubClient(token, str(github.url)) as stranger:
        with pytest.raises(GitHubError) as refused:
            await stranger.user()
        assert refused.value.status == 401
        assert refused.value.message == "GitHub refused the token"
        assert token not in str(refused.value) and token not in repr(refused.value)
        assert token not in repr(stranger)
    hubot = github.add_user("hubot", sign_in=False)
    github.add_repo(hubot, "secret", {"a": "b"})
    with pytest.raises(GitHubError) as hidden:
        await client.commit_files("hubot", "secret", "main", {"a": "c"}, "x")
    assert hidden.value.status == 404
    github.add_repo(octocat, "empty")
    with pytest.raises(GitHubError) as empty:
        await client.commit_files("octocat", "empty", "main", {"a": "c"}, "x")
    assert empty.value.status == 409 and "empty" in empty.value.message


async def test_reads_the_text_files_of_a_repository(
        github: GitHubDouble, octocat: GitHubUser, client: GitHubClient) -> None:
    github.add_repo(octocat, "app", {
        "index.html": "<div id=root></div>", "src/App.jsx": "export default 1",
        "src/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00", "src/latin1.txt": b"caf\xe9",
        "node_modules/react/index.js": "module.exports = {}", "dist/app.js": "built",
        "package.json": "{}", "big.txt": "x" * 2_000, "../evil.js": "alert(1)",
    })
    read = await client.read_files("octocat", "app", max_file_bytes=1_000)
    assert read.files == {"index.html": "<div id=root></div>",
                          "src/App.jsx": "export default 1"}
    assert read.commit == github.history("octocat/app", "main")[0]
    assert set(read.skipped) == {"src/logo.png", "src/latin1.txt", "package.json", "big.txt",
                                 "../evil.js"}
    assert "'..'" in read.skipped["../evil.js"]
    # At another ref: a branch by name, a commit by sha.
    old = read.commit
    github.push("octocat/app", "main", {"index.html": "new"})
    assert (await client.read_files("octocat", "app", "main")).files == {"index.html": "new"}
    assert (await client.read_files("octocat", "app", old)).commit == old
    with pytest.raises(GitHubError) as too_many:
        await client.read_files("octocat", "app", old, max_files=1)
    assert too_many.value.status == 422


async def test_object_ids_are_gits(github: GitHubDouble, octocat: GitHubUser) -> None:
    """Well-known ids: git's empty blob, "hello\\n", and the empty tree."""
    repo = github.add_repo(octocat, "ids", {"empty": "", "hello": "hello\n"})
    assert {"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
            "ce013625030ba8dba906f756967f9e9ca394464a"} <= set(repo.blobs)
    github.push("octocat/ids", "main", {})
    assert "4b825dc642cb6eb9a060e54bf8d69288fbee4904" in repo.trees


@pytest.mark.skipif(not os.environ.get("GITHUB_TOKEN"),
                    reason="set GITHUB_TOKEN to check the client against the real GitHub")
async def test_live_github_read_only() -> None:
    async with GitHubClient(os.environ["GITHUB_TOKEN"]) as gh:
        me = await gh.user()
        assert me.login
        page = await gh.list_repos(per_page=5)
        assert len(page.repos) <= 5
        assert all(r.full_name.count("/") == 1 for r in page.repos)
