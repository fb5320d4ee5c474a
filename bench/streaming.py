"""Streaming capacity of one gateway process (issue 15, item 3).

- **Idle streams**: how many open SSE streams one gateway holds (a project's live channel,
  as every open studio tab keeps one), opened on raw sockets so the client costs little; the
  gateway's memory per stream from its resident set before and after.
- **Concurrent generations**: ``BENCH_STREAM_JOBS`` generations at once against the scripted
  model at a person's reading pace (``BENCH_STREAM_TOKENS_S`` pieces a second). Each piece the
  model sends carries its send time (``Reply.stamp``); the client reads it from the gateway's
  SSE and the difference is the delay Paynto added to that piece (model server → generator →
  NATS → gateway → client), p50/p99. Baseline in the same run: the same pieces read straight
  from the model server. Also events relayed per second per CPU-second of the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.stats import ms, summary
from paynto_cli.sse import parse_sse
from tests.system import create_project, running_system

STREAMS = int(os.environ.get("BENCH_STREAMS", "2000"))
JOBS = int(os.environ.get("BENCH_STREAM_JOBS", "20"))
TOKENS_S = float(os.environ.get("BENCH_STREAM_TOKENS_S", "50"))
PIECES = int(os.environ.get("BENCH_STREAM_PIECES", "100"))
STAMP_RE = re.compile(r"T(\d{10}\.\d{6})")


def stamped_answer(pieces: int) -> str:
    """An answer the generator applies as code, every piece ending in a stamp (each distinct,
    so no client takes the stream for a model stuck in a loop)."""
    body = "".join(f"/* {n:04d} T{{t}} */\n" for n in range(pieces))
    return ('<file path="src/App.jsx">export default function App() {\n'
            '  return <h1>Streaming bench</h1>\n}\n' + body + "</file>")


def _proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _open_stream(host: str, port: int, path: str
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
                 .encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        writer.close()
        return None
    return reader, writer


async def idle_streams(gateway_url: str, pid: int, project: str
                       ) -> tuple[int, float, float]:
    """(streams held, KB of gateway memory per stream, seconds to open them all)."""
    parts = urlsplit(gateway_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = f"/api/projects/{project}/events"
    before = _proc_rss_kb(pid)
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    started = time.perf_counter()
    gate = asyncio.Semaphore(100)

    async def one() -> None:
        async with gate:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                async with asyncio.timeout(60):
                    got = await _open_stream(host, port, path)
                if got is not None:
                    opened.append(got)

    await asyncio.gather(*(one() for _ in range(STREAMS)))
    seconds = time.perf_counter() - started
    await asyncio.sleep(2)  # let the gateway settle before reading its memory
    held = len(opened)
    after = _proc_rss_kb(pid)
    for _reader, writer in opened:
        writer.close()
    return held, (after - before) / max(held, 1), seconds


async def _follow(c: httpx.AsyncClient, body: dict[str, str], delays: list[float],
                  counts: list[int]) -> None:
    events = 0
    async with c.stream("POST", "/api/generate-ai-code-stream", json=body) as resp:
        async for ev in parse_sse(resp.aiter_lines()):
            events += 1
            if ev.event == "stream":
                now = time.time()
                delays.extend(now - float(t) for t in STAMP_RE.findall(str(ev.data)))
            if ev.event in ("complete", "error", "cancelled"):
                break
    counts.append(events)


async def _direct(base_url: str, delays: list[float]) -> None:
    """The same stamped stream read straight from the model server (the baseline)."""
    body = {"model": "scripted", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as c, \
            c.stream("POST", "/chat/completions", json=body) as resp:
        async for line in resp.aiter_lines():
            now = time.time()
            delays.extend(now - float(t) for t in STAMP_RE.findall(line))


async def streaming_capacity(nats_url: str, data: Path) -> list[tuple[str, str, str]]:
    from bench.__main__ import scripted_server

    reply = {"text": stamped_answer(PIECES), "stamp": True, "chunk_delay": 1 / TOKENS_S}
    rows: list[tuple[str, str, str]] = []
    with scripted_server(reply) as base_url:
        direct: list[float] = []
        await asyncio.gather(*(_direct(base_url, direct) for _ in range(JOBS)))
        env = {"LLM_MODEL": "openai/scripted", "LLM_API_BASE": base_url, "LLM_API_KEY": "k",
               "AUTOFIX_ROUNDS": "0"}
        with running_system(data, nats_url, extra_env=env) as system:
            pid = system.procs["gateway"].pid
            limits = httpx.Limits(max_connections=JOBS + 10)
            async with httpx.AsyncClient(base_url=system.gateway_url, timeout=300,
                                         limits=limits) as c:
                project = await create_project(c, "bench streams")
                held, kb, opening = await idle_streams(system.gateway_url, pid, project)
                rows.append(("open SSE streams one gateway holds (project channels)",
                             f"{held} of {STREAMS}",
                             f"{kb:.1f} KB of gateway memory each; opened in "
                             f"{opening:.1f} s"))
                projects = [await create_project(c, f"stream {n}") for n in range(JOBS)]
                delays: list[float] = []
                counts: list[int] = []
                cpu_before = _proc_cpu_s(pid)
                started = time.perf_counter()
                await asyncio.gather(*(
                    _follow(c, {"project_id": p, "prompt": "stream"}, delays, counts)
                    for p in projects))
                wall = time.perf_counter() - started
                cpu = _proc_cpu_s(pid) - cpu_before
    s, d = summary(delays), summary(direct)
    rows.append((f"{JOBS} generations streaming at once ({TOKENS_S:g} pieces/s each)",
                 f"p50 {ms(s['p50'])} model → client",
                 f"p99 {ms(s['p99'])}, n={len(delays)} pieces; read straight from the "
                 f"model server: p50 {ms(d['p50'])}, p99 {ms(d['p99'])}"))
    events = sum(counts)
    rows.append(("events relayed by the gateway", f"{events / max(cpu, 1e-9):.0f} per CPU-s",
                 f"{events} events in {wall:.1f} s using {cpu:.2f} s of gateway CPU"))
    return rows
