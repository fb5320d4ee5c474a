"""The ``paynto`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

import httpx

from paynto_cli.credentials import auth_headers, store_token
from paynto_cli.sse import ApiError, JobStream
from paynto_common.safety.paths import UnsafePathError, confine

DEFAULT_URL = "http://127.0.0.1:8000"


async def generate(prompt: str, out: Path, model: str | None, base_url: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=300),
                                 headers=auth_headers(base_url)) as c:
        name = " ".join(prompt.split()[:6])[:200] or "site"
        resp = await c.post("/api/projects", json={"name": name})
        if resp.status_code == 401:
            print("the gateway wants an API token: run `paynto login` (or set PAYNTO_TOKEN)",
                  file=sys.stderr)
            return 1
        if resp.status_code != 201:
            print(f"could not create a project: {resp.status_code} {resp.text}", file=sys.stderr)
            return 1
        project_id = resp.json()["id"]
        body = {"project_id": project_id, "prompt": prompt, **({"model": model} if model else {})}
        chars = 0
        outcome: dict[str, object] = {}
        stream = JobStream(c)
        try:
            async for ev in stream.run("POST", "/api/generate-ai-code-stream", json=body):
                if ev.event == "stream":
                    chars += len(ev.data.get("text", ""))
                    print(f"\r  writing code… {chars:,} characters", end="", flush=True)
                elif ev.event == "status":
                    # A restarted attempt (another worker, model or fix round) writes anew.
                    if ev.data.get("reset"):
                        chars = 0
                    print(f"\n• {ev.data.get('message')}", flush=True)
                elif ev.event == "file":
                    print(f"\n  wrote {ev.data['path']}", end="", flush=True)
                elif ev.event == "package":
                    print(f"\n  installed {ev.data['name']}", end="", flush=True)
                elif ev.event in ("complete", "error", "cancelled"):
                    outcome = {"event": ev.event, **ev.data}
        except ApiError as exc:
            print(f"\nrefused: {exc.detail}", file=sys.stderr)
            return 1
        print()
        if outcome.get("event") != "complete":
            print(f"generation failed: {outcome.get('message', 'no result')}", file=sys.stderr)
            return 1
        files = (await c.get(f"/api/projects/{project_id}/files")).json()["files"]
        out.mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            try:
                target = confine(out, path)
            except UnsafePathError as exc:
                print(f"skipped {path}: {exc}", file=sys.stderr)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        print(f"{len(files)} files written to {out}")
        if url := outcome.get("preview_url"):
            print(f"preview: {base_url.rstrip('/')}{url}")
        return 0


async def login(base_url: str, token: str | None) -> int:
    """Check a token against the gateway, then remember it for ``base_url``."""
    if token is None:
        token = getpass.getpass(f"API token for {base_url} (from the studio, or `paynto admin "
                                "create-user`): ").strip()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as c:
        me = await c.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    if me.status_code != 200:
        print(f"the gateway at {base_url} refused the token ({me.status_code})",
              file=sys.stderr)
        return 1
    path = store_token(base_url, token)
    print(f"signed in to {base_url} as {me.json()['name']}; the token is kept in {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="paynto", description="Paynto AI website builder")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the whole system (what `make run` does)")
    p_up.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    p_up.add_argument("--health-port-base", type=int, default=9101,
                      help="first of the workers' health/metrics ports (0: any free port)")
    p_up.add_argument("--replicas", action="append", default=[], metavar="SERVICE=N",
                      help="run N processes of a worker, e.g. --replicas generator=2")
    p_gen = sub.add_parser("generate", help="generate a site through a running gateway")
    p_gen.add_argument("prompt")
    p_gen.add_argument("--out", type=Path, default=Path("out"))
    p_gen.add_argument("--model", default=None)
    p_login = sub.add_parser("login", help="store an API token for PAYNTO_URL")
    p_login.add_argument("--token", default=None,
                         help="the token (else it is asked for, without echo)")
    p_admin = sub.add_parser("admin", help="operator commands, on the database")
    admin_sub = p_admin.add_subparsers(dest="admin_command", required=True)
    p_create = admin_sub.add_parser("create-user", help="make a user; prints an API token")
    p_create.add_argument("name")
    p_create.add_argument("--admin", action="store_true", help="with the admin role")
    p_token = admin_sub.add_parser("token", help="print a new API token for a user")
    p_token.add_argument("name")
    for name in ("clone", "batch"):
        later = sub.add_parser(name, help=f"{name}: not available yet")
        later.add_argument("args", nargs="*")
    args = parser.parse_args(argv)
    base_url = os.environ.get("PAYNTO_URL", DEFAULT_URL)
    if args.command == "up":
        from paynto_cli.launcher import up

        try:
            replicas = {k.replace("-", "_"): int(v) for k, v in
                        (item.split("=", 1) for item in args.replicas)}
        except ValueError:
            parser.error("--replicas takes SERVICE=N, e.g. generator=2")
        return up(args.port, args.health_port_base, replicas)
    if args.command == "admin":
        from paynto_cli import admin

        if args.admin_command == "create-user":
            return asyncio.run(admin.create_user(args.name, args.admin))
        return asyncio.run(admin.new_token(args.name))
    if args.command == "login":
        try:
            return asyncio.run(login(base_url, args.token))
        except httpx.ConnectError:
            print(f"no gateway answers at {base_url}", file=sys.stderr)
            return 1
    if args.command == "generate":
        try:
            return asyncio.run(generate(args.prompt, args.out, args.model, base_url))
        except httpx.ConnectError:
            print(f"no gateway answers at {base_url}: start it with `make run` or set "
                  "PAYNTO_URL", file=sys.stderr)
            return 1
    print(f"`paynto {args.command}` is not available yet in this release", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
