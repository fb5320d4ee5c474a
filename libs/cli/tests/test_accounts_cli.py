"""``paynto admin create-user`` and ``paynto login`` as a user runs them: separate processes,
against a real database and a gateway in ``AUTH_MODE=required`` serving on loopback."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_cli import credentials
from paynto_common.bus import Bus
from paynto_common.testing.serve import serve_app


async def paynto(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paynto_cli.main", *args, env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_an_operator_makes_a_user_whose_token_the_cli_stores_and_uses(
        tmp_path: Path, bus: Bus, redis_url: str, namespace: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PAYNTO_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PAYNTO_TOKEN": ""}
    code, out, err = await paynto("admin", "create-user", "alice", env=env)
    assert code == 0, err
    token = out.split()[-1]
    assert token.startswith("pnt_")
    code, _, err = await paynto("admin", "create-user", "alice", env=env)
    assert code == 1 and "exists already" in err

    settings = GatewaySettings(data_dir=tmp_path / "data", redis_url=redis_url,
                               bus_namespace=namespace, auth_mode="required",
                               session_secret="s" * 32, secrets_key=Fernet.generate_key().decode(),
                               rate_limit_jobs_per_minute=0)
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app), serve_app(app) as url:
        env["PAYNTO_URL"] = url
        code, _, err = await paynto("login", "--token", "pnt_not-a-token", env=env)
        assert code == 1 and "refused" in err
        stored = tmp_path / "config" / "paynto" / "credentials.json"
        assert not stored.exists(), "a refused token was kept"
        code, out, err = await paynto("login", "--token", token, env=env)
        assert code == 0 and "as alice" in out, err
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert token in stored.read_text()
        # What the CLI sends from now on is that token: the gateway knows who it is.
        monkeypatch.setenv("XDG_CONFIG_HOME", env["XDG_CONFIG_HOME"])
        monkeypatch.delenv("PAYNTO_TOKEN", raising=False)
        async with httpx.AsyncClient(base_url=url, headers=credentials.auth_headers(url)) as c:
            me = await c.get("/api/auth/me")
            assert me.status_code == 200 and me.json()["name"] == "alice"
        async with httpx.AsyncClient(base_url=url) as c:
            assert (await c.get("/api/auth/me")).status_code == 401

