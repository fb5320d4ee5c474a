"""A project's page ``/p/<id>``: the studio shell under the studio's CSP, for any id that could
be a project's, with no credential needed; anything else under ``/p/`` is not a page."""

from __future__ import annotations

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from gateway.app import STATIC, create_app
from gateway.security import STUDIO_CSP
from gateway.settings import GatewaySettings
from paynto_common.bus import Bus

SHELL = (STATIC / "index.html").read_bytes


async def test_a_project_page_is_the_studio_shell(client: httpx.AsyncClient) -> None:
    page = await client.get("/p/abc")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == STUDIO_CSP
    assert page.headers["cache-control"] == "no-cache"
    assert page.content == SHELL() == (await client.get("/")).content


async def test_what_cannot_be_a_project_id_is_not_a_page(client: httpx.AsyncClient) -> None:
    for path in ("/p/a$b", "/p/a%20b", "/p/a/b", "/p/" + "x" * 65, "/p/", "/b/a$b", "/b/"):
        answer = await client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert not answer.headers["content-type"].startswith("text/html")  # not the shell
    assert (await client.get("/p/" + "x" * 64)).status_code == 200


async def test_the_batches_pages_are_the_studio_shell(client: httpx.AsyncClient) -> None:
    for path in ("/batches", "/b/some-batch_1"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-security-policy"] == STUDIO_CSP
        assert page.content == SHELL()


async def test_the_page_needs_no_credential_when_sign_in_is_required(
        settings: GatewaySettings, bus: Bus) -> None:
    required = settings.model_copy(update={
        "auth_mode": "required", "session_secret": SecretStr("s" * 32),
        "secrets_key": SecretStr(Fernet.generate_key().decode())})
    gateway = create_app(required, bus=bus)
    async with gateway.router.lifespan_context(gateway), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://test") as anyone:
        page = await anyone.get("/p/some-project_1")
        assert page.status_code == 200 and page.content == SHELL()
        # The page then asks the API, which does want a credential.
        assert (await anyone.get("/api/projects/some-project_1")).status_code == 401
