"""Accounts through the whole system in ``AUTH_MODE=required``: an operator makes a user with
``paynto admin``, who generates a site with their token and sees its preview through a signed
link; another person signs in with GitHub (a double on loopback, real redirects) and reaches
none of it; a revoked token stops at once. Then every log line every service wrote is
searched for the secrets that passed through: none may appear. A third person does it all in
a real browser, the preview under its signed link included."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from paynto_common.runtime import free_port
from paynto_common.testing.browser import BROWSER_ARGS, require_chromium
from paynto_common.testing.github import GitHubDouble
from tests.system import completed, create_project, generate, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def paynto_admin(data_dir: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paynto_cli.main", "admin", *args,
        env={**os.environ, "PAYNTO_DATA_DIR": str(data_dir), "DATABASE_URL": ""},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode().split()[-1]


async def test_accounts_keep_people_apart_and_no_secret_reaches_a_log(
        tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> None:
    # A short folder: the sandboxes' Unix sockets live under it (at most 107 bytes a path).
    data = tmp_path_factory.mktemp("acct")
    port = free_port()
    gateway = f"http://127.0.0.1:{port}"
    secrets_key = Fernet.generate_key().decode()
    session_secret = "session-secret-" + os.urandom(8).hex()
    async with GitHubDouble(gateway + "/api/auth/github/callback").running() as github:
        github.add_user("bob-gh", "Bob")
        env = {"AUTH_MODE": "required", "SESSION_SECRET": session_secret,
               "SECRETS_KEY": secrets_key, "PUBLIC_URL": gateway,
               "GITHUB_CLIENT_ID": github.client_id,
               "GITHUB_CLIENT_SECRET": github.client_secret,
               "GITHUB_URL": str(github.url), "GITHUB_API_URL": str(github.url)}
        with running_system(data, nats_url, extra_env=env, port=port) as system:
            token = await paynto_admin(data, "create-user", "alice")
            alice = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=gateway, timeout=120, headers=alice) as c:
                project = await create_project(c, "alice's bakery")
                done = completed(await generate(c, project, "a bakery in Lisbon"))
                link = str(done.data["preview_url"])
                assert "?preview_token=" in link
                page = await c.get(link, headers={"Sec-Fetch-Dest": "iframe"})
                assert page.status_code == 200 and "<html" in page.text.lower()
                left = dict(c.cookies)
                c.cookies.clear()
                # The link is the key: the same page without it, or with it cut, is unknown.
                bare = link.split("?", 1)[0]
                assert (await c.get(bare)).status_code == 404
                assert (await c.get(link[:-3])).status_code == 404
                # A reload from the preview itself (the cookie the link left) still works.
                assert list(left) == [f"paynto_preview_{bare.split('/')[2]}"]
                c.cookies.update(left)
                reload = await c.get(bare, headers={"Sec-Fetch-Dest": "iframe"})
                assert reload.status_code == 200
                c.cookies.clear()
                jobs = (await c.get(f"/api/projects/{project}/versions")).json()
                job_id = jobs[0]["job_id"]

            # Bob signs in with GitHub in his browser, and finds nothing of Alice's.
            async with httpx.AsyncClient(base_url=gateway, follow_redirects=True,
                                         timeout=60, trust_env=False) as bob:
                signed_in = await bob.get("/api/auth/github/login")
                assert signed_in.status_code == 200 and signed_in.url.path == "/"
                session = next(v for k, v in bob.cookies.items() if "paynto_session" in k)
                me = (await bob.get("/api/auth/me")).json()
                assert me["github_login"] == "bob-gh"
                assert (await bob.get("/api/projects")).json() == []
                for path in (f"/api/projects/{project}", f"/api/jobs/{job_id}",
                             f"/api/jobs/{job_id}/events", f"/api/projects/{project}/events"):
                    assert (await bob.get(path)).status_code == 404, path
                # His session opens no preview of hers (only a link signed for her does).
                assert (await bob.get(bare)).status_code == 404
                assert (await bob.post("/api/auth/logout")).status_code == 204
                assert (await bob.get("/api/auth/me")).status_code == 401

            await carol_builds_in_a_browser(gateway, github)

            async with httpx.AsyncClient(base_url=gateway, timeout=60, headers=alice) as c:
                tokens = (await c.get("/api/auth/tokens")).json()
                assert (await c.delete(f"/api/auth/tokens/{tokens[0]['id']}")).status_code == 204
                assert (await c.get("/api/projects")).status_code == 401
            logs = sorted(system.log_dir.glob("*.log"))
        github_tokens = list(github.tokens)

    assert len(logs) >= 5 and len(github_tokens) == 2
    secrets = {"API token": token, "session cookie": session, "SECRETS_KEY": secrets_key,
               "SESSION_SECRET": session_secret, "preview link token": link.split("=", 1)[1],
               "GitHub client secret": github.client_secret,
               **{f"GitHub access token {i}": t for i, t in enumerate(github_tokens)}}
    for log in logs:
        text = log.read_text(errors="replace")
        assert text.strip(), f"{log.name} is empty: nothing was searched"
        for what, value in secrets.items():
            assert value not in text, f"{what} appears in {log.name}"


async def carol_builds_in_a_browser(gateway: str, github: GitHubDouble) -> None:
    """In Chromium: sign in with GitHub from the studio (real redirects), generate, see the
    preview through its signed link, watch an edit arrive by hot reload, then reload the
    preview's document without the link (the cookie it left lets it back in); no CSP
    violation anywhere."""
    from playwright.async_api import async_playwright

    chromium = require_chromium()
    github.add_user("carol-gh", "Carol")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            refused: list[str] = []
            errors: list[str] = []
            page.on("console", lambda m: refused.append(m.text)
                    if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(gateway + "/")
            await page.click("#sign-in-link")
            await page.wait_for_selector("#new-prompt", state="visible", timeout=30_000)
            await page.fill("#new-prompt", "a landing page for a coffee roastery")
            await page.click("#create")
            await page.wait_for_url(re.compile(r"/p/[A-Za-z0-9_-]+$"))
            frame = page.frame_locator("#preview")
            await frame.locator("text=Coffee Roastery").first.wait_for(timeout=90_000)
            src = str(await page.get_attribute("#preview", "src"))
            assert "?preview_token=" in src
            preview = next(f for f in page.frames if f.url.endswith(src))
            await preview.evaluate("window.payntoNotReloaded = true")
            project = page.url.rsplit("/p/", 1)[1]
            code = "export default function App() {\n  return <h1>Roasted again, hot</h1>\n}\n"
            applied = await page.request.post(gateway + "/api/apply-ai-code-stream", data={
                "project_id": project,
                "response": f'<file path="src/App.jsx">{code}</file>'}, timeout=90_000)
            assert applied.ok and "event: complete" in await applied.text()
            await frame.locator("h1", has_text="Roasted again, hot").wait_for(timeout=30_000)
            assert await preview.evaluate("window.payntoNotReloaded") is True
            # A full reload at the bare address, as Vite does after some changes.
            await preview.evaluate("location.href = location.pathname")
            await frame.locator("h1", has_text="Roasted again, hot").wait_for(timeout=30_000)
            assert await preview.evaluate("location.search") == ""
            # Another turn hands out a newly signed link to the same preview: the page stays.
            await page.fill("#prompt", "a landing page for a tea house")
            await page.click("#generate")
            await page.wait_for_selector('#status[data-kind="busy"]', timeout=30_000)
            await page.wait_for_selector('#status[data-kind="ok"]', timeout=90_000)
            assert await page.get_attribute("#preview", "src") == src
            assert "preview_token" not in await page.inner_text("#preview-url")
            assert refused == [] and errors == []
        finally:
            await browser.close()
