"""The ``paynto`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from paynto_cli.credentials import auth_headers, store_token
from paynto_cli.sse import AnswerText, ApiError, JobStream
from paynto_common.safety.paths import UnsafePathError, confine

DEFAULT_URL = "http://127.0.0.1:8000"


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=300),
                             headers=auth_headers(base_url))


def _refused(resp: httpx.Response, what: str) -> str:
    if resp.status_code == 401:
        return "the gateway wants an API token: run `paynto login` (or set PAYNTO_TOKEN)"
    try:
        detail = resp.json().get("detail", resp.text)
    except ValueError:
        detail = resp.text
    return f"{what}: {resp.status_code} {detail}"


async def _follow(c: httpx.AsyncClient, path: str, body: dict[str, Any]
                  ) -> tuple[dict[str, Any], str | None]:
    """Start a job, print its progress, return how it ended and its id (None: refused)."""
    answer = AnswerText()
    outcome: dict[str, Any] = {}
    job_id: str | None = None
    try:
        async for ev in JobStream(c).run("POST", path, json=body):
            if ev.event == "job":
                job_id = ev.data.get("job_id")
            elif ev.event == "scrape":
                palette = " ".join(ev.data.get("palette", [])[:6])
                print(f"• read {ev.data.get('url')}: “{ev.data.get('title', '')}”, "
                      f"{ev.data.get('pages', 1)} page(s), palette {palette or 'none'}",
                      flush=True)
                if note := ev.data.get("screenshot_note"):
                    print(f"  no screenshot: {note}", flush=True)
            elif ev.event == "stream":
                if answer.add(ev):
                    print(f"\r  writing code… {len(answer.text):,} characters", end="",
                          flush=True)
            elif ev.event == "status":
                # A restarted attempt (another worker, model or fix round) writes anew.
                answer.add(ev)
                print(f"\n• {ev.data.get('message')}", flush=True)
            elif ev.event == "file":
                print(f"\n  wrote {ev.data['path']}", end="", flush=True)
            elif ev.event == "package":
                print(f"\n  installed {ev.data['name']}", end="", flush=True)
            elif ev.event in ("complete", "error", "cancelled"):
                outcome = {"event": ev.event, **ev.data}
    except ApiError as exc:
        print(f"\nrefused: {exc.detail}", file=sys.stderr)
        return {"event": "refused"}, None
    print()
    return outcome, job_id


async def _download(c: httpx.AsyncClient, base_url: str, project_id: str, out: Path,
                    outcome: dict[str, Any]) -> int:
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


async def generate(prompt: str, out: Path, model: str | None, base_url: str) -> int:
    async with _client(base_url) as c:
        name = " ".join(prompt.split()[:6])[:200] or "site"
        resp = await c.post("/api/projects", json={"name": name})
        if resp.status_code != 201:
            print(_refused(resp, "could not create a project"), file=sys.stderr)
            return 1
        project_id = resp.json()["id"]
        body = {"project_id": project_id, "prompt": prompt, **({"model": model} if model else {})}
        outcome, _job = await _follow(c, "/api/generate-ai-code-stream", body)
        if outcome.get("event") != "complete":
            print(f"generation failed: {outcome.get('message', 'no result')}", file=sys.stderr)
            return 1
        return await _download(c, base_url, project_id, out, outcome)


async def clone(url: str, out: Path, model: str | None, pages: int, prompt: str,
                base_url: str) -> int:
    """Clone a site into a new project through the gateway and write its files to ``out``."""
    async with _client(base_url) as c:
        body: dict[str, Any] = {"url": url, "pages": pages, "prompt": prompt,
                                **({"model": model} if model else {})}
        outcome, job_id = await _follow(c, "/api/clone", body)
        if outcome.get("event") != "complete" or job_id is None:
            if outcome.get("event") != "refused":
                print(f"the clone failed: {outcome.get('message', 'no result')}",
                      file=sys.stderr)
            return 1
        job = await c.get(f"/api/jobs/{job_id}")
        if job.status_code != 200:
            print(_refused(job, "could not read the job"), file=sys.stderr)
            return 1
        return await _download(c, base_url, job.json()["project_id"], out, outcome)


def read_url_file(path: Path) -> list[str]:
    """The URLs of a batch file: one a line; blank lines and ``#`` comments left out."""
    lines = path.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def progress_line(batch: dict[str, Any], width: int = 30) -> str:
    counts = batch.get("counts", {})
    total = max(1, int(batch.get("total", 0)))
    ended = sum(counts.get(k, 0) for k in ("done", "failed", "cancelled"))
    filled = round(width * ended / total)
    parts = [f"{counts[k]} {k}" for k in ("done", "failed", "running", "retrying", "queued",
                                          "cancelled") if counts.get(k)]
    return f"[{'#' * filled}{'.' * (width - filled)}] {ended}/{total}  {', '.join(parts)}"


def report_table(items: list[dict[str, Any]]) -> str:
    rows = [("#", "status", "tries", "url", "result")]
    for item in items:
        outcome = item.get("error") if item["status"] != "done" else \
            f"v{item.get('version')} {item.get('zip_url') or ''}".strip()
        rows.append((str(item["position"] + 1), item["status"], str(item["attempts"]),
                     item["url"], str(outcome or "")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True))
                     + "  " + r[4] for r in rows)


async def batch(path: Path, model: str | None, pages: int, prompt: str, build_check: bool,
                base_url: str, poll: float = 1.0) -> int:
    """Clone every URL of ``path`` as one batch, with a progress bar and a final table."""
    try:
        urls = read_url_file(path)
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 1
    if not urls:
        print(f"{path} holds no URLs (one a line)", file=sys.stderr)
        return 1
    async with _client(base_url) as c:
        body: dict[str, Any] = {"urls": urls, "pages": pages, "prompt": prompt,
                                "build_check": build_check, "name": path.name,
                                **({"model": model} if model else {})}
        made = await c.post("/api/batches", json=body)
        if made.status_code != 202:
            print(_refused(made, "the batch was refused"), file=sys.stderr)
            return 1
        batch_id = made.json()["batch_id"]
        print(f"batch {batch_id}: {len(urls)} sites")
        while True:
            state = (await c.get(f"/api/batches/{batch_id}")).json()
            print(f"\r{progress_line(state)}", end="", flush=True)
            if state["status"] in ("done", "cancelled"):
                break
            await asyncio.sleep(poll)
        print()
        report = (await c.get(f"/api/batches/{batch_id}/report")).json()
        print(report_table(report["items"]))
        failed = sum(1 for item in report["items"] if item["status"] != "done")
        print(f"report: {base_url.rstrip('/')}/api/batches/{batch_id}/report?format=csv")
        return 0 if failed == 0 else 3


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
    p_clone = sub.add_parser("clone", help="clone a website through a running gateway")
    p_clone.add_argument("url")
    p_clone.add_argument("--out", type=Path, default=Path("out"))
    p_clone.add_argument("--model", default=None)
    p_clone.add_argument("--pages", type=int, default=1, choices=range(1, 11), metavar="1-10",
                         help="pages of the site to read (the URL's, then its own links)")
    p_clone.add_argument("--prompt", default="", help="what to change in the copy")
    p_batch = sub.add_parser("batch", help="clone the sites of a file (one URL a line)")
    p_batch.add_argument("file", type=Path)
    p_batch.add_argument("--model", default=None)
    p_batch.add_argument("--pages", type=int, default=1, choices=range(1, 11), metavar="1-10")
    p_batch.add_argument("--prompt", default="", help="what to change in every copy")
    p_batch.add_argument("--no-build-check", dest="build_check", action="store_false",
                         help="skip the vite build of each copy")
    p_traces = sub.add_parser("traces", help="print a job's trace (or the newest) kept by "
                                             "the local services (PAYNTO_TRACES_FILE)")
    p_traces.add_argument("job_id", nargs="?", default=None)
    p_traces.add_argument("--dir", type=Path, default=None,
                          help="the traces folder (default: PAYNTO_DATA_DIR/traces)")
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
    if args.command == "traces":
        from paynto_cli.traces import print_traces
        from paynto_common.settings import CommonSettings
        from paynto_common.telemetry import traces_dir

        return print_traces(args.dir or traces_dir(CommonSettings().data_dir), args.job_id)
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
    if args.command in ("generate", "clone", "batch"):
        try:
            if args.command == "batch":
                return asyncio.run(batch(args.file, args.model, args.pages, args.prompt,
                                         args.build_check, base_url))
            if args.command == "clone":
                return asyncio.run(clone(args.url, args.out, args.model, args.pages,
                                         args.prompt, base_url))
            return asyncio.run(generate(args.prompt, args.out, args.model, base_url))
        except httpx.ConnectError:
            print(f"no gateway answers at {base_url}: start it with `make run` or set "
                  "PAYNTO_URL", file=sys.stderr)
            return 1
    print(f"`paynto {args.command}` is not available yet in this release", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
