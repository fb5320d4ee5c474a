"""Generated bad input for the whole HTTP API: schemathesis reads the gateway's own OpenAPI
schema and sends every operation its boundary cases (the coverage phase: each integer, string
and id at and past its limits, wrong types, missing and extra fields), then random valid and
invalid requests, some of them naming rows that exist, and one valid request with a NUL
character in each of its texts in turn. The random ones are derandomized, so a run repeats
exactly. All of it in-process against real NATS and Redis, once as the local user on SQLite
and once as a user of ``AUTH_MODE=required`` (an API token) on Postgres.

What must hold for every request:

- no 500: an unhandled error is a bug. A 502/503/504 is an answer only where a route waits for
  a worker or GitHub (:data:`WAITS_ON_OTHERS`), none of which runs here;
- an answer the schema documents matches it (body, content type, headers);
- a request the schema forbids is refused with a 4xx;
- an id that does not exist answers 404 (or 422, when the request is wrong besides).

Routes that answer ``text/event-stream`` relay a job's events, and nobody takes the jobs here:
:class:`StreamHeads` hands back such an answer's status and headers as soon as they are out and
hangs up, so only those are checked (FastAPI documents a JSON 200 for them anyway).

``FUZZ_EXAMPLES`` (default 10) is how many random requests of each kind an operation gets; a
longer hunt: ``FUZZ_EXAMPLES=200 .venv/bin/python -m pytest
services/gateway/tests/test_fuzz_api.py -s`` (``-s`` shows how many requests each run sent).
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import hypothesis
import pytest
import schemathesis
from cryptography.fernet import Fernet
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
)
from starlette.types import ASGIApp, Message

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_common import accounts
from paynto_common.db import (
    LOCAL_USER_ID,
    Batch,
    BatchItem,
    Database,
    Job,
    JobStatus,
    Plan,
    Project,
    Scrape,
    Ticket,
    Version,
)
from paynto_common.runtime import free_port

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Routes that wait for a worker (sandbox pool, scraper, generator) or call GitHub: with none
# running, they answer 502/503/504 on purpose, and say so.
WAITS_ON_OTHERS = {
    "GET /api/models", "GET /api/sandbox-logs", "POST /api/create-ai-sandbox-v2",
    "POST /api/restart-vite", "POST /api/kill-sandbox", "POST /api/scrape-website",
    "POST /api/scrape-screenshot", "POST /api/extract-brand-styles",
    "GET /api/scrapes/{scrape_id}/screenshot.png", "GET /api/github/repos",
    "POST /api/github/repos", "POST /api/github/commit", "POST /api/github/import",
    "GET /api/auth/github/login", "GET /api/auth/github/callback", "PUT /api/github/token",
}
CHECKS: list[schemathesis.CheckFunction] = [
    response_schema_conformance, content_type_conformance, response_headers_conformance,
    negative_data_rejection]
# An event stream's body is not in the schema: only whether it should have started at all.
STREAM_CHECKS: list[schemathesis.CheckFunction] = [negative_data_rejection]
# Parameters that name a row: fuzzed as they come (ids that do not exist), and pinned to rows
# of the caller's that do (so the rest of the request reaches the route's own checks).
ID_PARAMETERS = {"project_id", "plan_id", "job_id", "key", "number", "scrape_id", "batch_id",
                 "token_id", "before"}


@pytest.fixture(params=["local on sqlite", "required on postgres"])
def settings(request: pytest.FixtureRequest, settings: GatewaySettings) -> GatewaySettings:
    """Each auth mode, and each database (Postgres refuses some text and numbers SQLite
    takes): who asks and what is stored do not depend on each other, so two runs cover both.
    Workers answer at once or never (none runs), and GitHub is a closed port on loopback:
    nothing leaves the machine."""
    nobody = f"http://127.0.0.1:{free_port()}"
    update: dict[str, Any] = {"sandbox_wait_seconds": 0.05, "scrape_wait_seconds": 0.05,
                              "github_url": nobody, "github_api_url": nobody,
                              "github_client_id": "fuzz",
                              "github_client_secret": SecretStr("fuzz")}
    if request.param.startswith("required"):
        update |= {"auth_mode": "required", "session_secret": SecretStr("s" * 32),
                   "secrets_key": SecretStr(Fernet.generate_key().decode())}
    if request.param.endswith("postgres"):
        update["database_url"] = request.getfixturevalue("postgres_url")
    return settings.model_copy(update=update)


@pytest.fixture(scope="session")
def fuzz_cases(tmp_path_factory: pytest.TempPathFactory) -> list[Cases]:
    """Every operation's cases, drawn once for all the runs (drawing takes longer than
    sending)."""
    app = create_app(GatewaySettings(data_dir=tmp_path_factory.mktemp("schema"),
                                     auth_mode="local"))
    schema = schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()))
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "schemathesis cannot read part of the schema"
    return [cases_for(operation, EXAMPLES) for operation in operations]


class StreamHeads(httpx.AsyncBaseTransport):
    """Calls the ASGI app as ``httpx.ASGITransport`` does, except that an event stream's
    answer comes back as soon as its status and headers are out, and the client then hangs up
    (as a closed tab does): a job nobody takes must not hold the test. An error the app raised
    rides along in ``response.extensions["app_error"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": request.method, "scheme": request.url.scheme,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "path": unquote(request.url.path), "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query, "root_path": "",
            "server": (request.url.host, request.url.port), "client": ("127.0.0.1", 50000),
        }
        exchange = _Exchange(body)

        async def run() -> None:
            await self.app(scope, exchange.receive, exchange.send)

        task = asyncio.create_task(run())
        await _either(task, exchange.started)
        if exchange.is_stream():
            exchange.gone.set()
        await _either(task, exchange.finished)
        error = await _ended(task)
        status = exchange.status if exchange.started.is_set() else 500
        # A stream, not content: the client reads it, and so times the exchange.
        return httpx.Response(status, headers=exchange.headers,
                              stream=httpx.ByteStream(b"".join(exchange.body)),
                              extensions={"app_error": error})


@dataclass
class _Exchange:
    """One request's ASGI conversation, as :class:`StreamHeads` holds it."""

    request_body: bytes
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    read: bool = False

    async def receive(self) -> Message:
        if not self.read:
            self.read = True
            return {"type": "http.request", "body": self.request_body, "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            self.started.set()
        elif message["type"] == "http.response.body" and not self.is_stream():
            self.body.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.finished.set()

    def is_stream(self) -> bool:
        return any(k.lower() == b"content-type" and v.startswith(b"text/event-stream")
                   for k, v in self.headers)


async def _either(task: asyncio.Task[None], event: asyncio.Event) -> None:
    """Until the app returns or ``event`` is set, whichever comes first."""
    waiter = asyncio.create_task(event.wait())
    try:
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


async def _ended(task: asyncio.Task[None]) -> BaseException | None:
    """Wait for the app to return (a stream's relay ends once the client is gone); the error
    it raised, if any."""
    try:
        async with asyncio.timeout(10):
            await task
    except TimeoutError:
        task.cancel()
        return TimeoutError("the app did not end after the client hung up")
    except Exception as exc:
        return exc
    return None


@dataclass
class Rows:
    """A caller and one of each row they own: what pinned ids name."""

    headers: dict[str, str]
    ids: dict[str, Any]


async def seed(db: Database, owner_id: str, tag: str) -> dict[str, Any]:
    """One of everything for ``owner_id``: a project with two versions, a job, a plan with a
    ticket, a scrape, a batch; their ids by the parameter names that name them."""
    async with db.session() as s:
        project = Project(name=f"fuzz {tag}", owner_id=owner_id)
        s.add(project)
        await s.flush()
        s.add_all([Version(project_id=project.id, number=n, files={"src/App.jsx": f"v{n}"})
                   for n in (1, 2)])
        job = Job(project_id=project.id, kind="generate", user_id=owner_id,
                  status=JobStatus.RUNNING)
        plan = Plan(project_id=project.id, job_id=f"plan-{project.id}", prompt="a bakery")
        scrape = Scrape(user_id=owner_id, project_id=project.id, url="https://example.com/",
                        pages=[{"url": "https://example.com/",
                                "final_url": "https://example.com/"}])
        batch = Batch(user_id=owner_id, name="sites")
        s.add_all([job, plan, scrape, batch])
        await s.flush()
        s.add(Ticket(plan_id=plan.id, project_id=project.id, key="T1", position=0,
                     title="hero", type="component", priority="high", complexity="S"))
        s.add(BatchItem(batch_id=batch.id, position=0, url="https://example.com/"))
        await s.commit()
    token = await accounts.issue_token(db, owner_id, f"spare {tag}")
    return {"project_id": project.id, "plan_id": plan.id, "job_id": job.id, "key": "T1",
            "number": 2, "scrape_id": scrape.id, "batch_id": batch.id,
            "token_id": token.id, "before": job.id}


async def caller(app: FastAPI, tag: str) -> Rows:
    """Who sends an operation's requests (the local user, or a new user with a token) and
    fresh rows of theirs, so what one operation deleted another still finds."""
    db: Database = app.state.db
    if app.state.settings.auth_mode != "required":
        await accounts.local_user(db)
        return Rows({}, await seed(db, LOCAL_USER_ID, tag))
    user = await accounts.create_user(db, f"fuzz-{tag}")
    issued = await accounts.issue_token(db, user.id, "fuzz")
    return Rows({"Authorization": f"Bearer {issued.token}"}, await seed(db, user.id, tag))


def _draw(strategy: st.SearchStrategy[Case], examples: int) -> list[Case]:
    """Up to ``examples`` cases of ``strategy``, the same ones on every run."""
    drawn: list[Case] = []

    @hypothesis.settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                         phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @hypothesis.given(case=strategy)
    def draw(case: Case) -> None:
        drawn.append(case)

    try:
        draw()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing to make wrong: an operation without parameters has no invalid request
    return drawn


def pinned(case: Case, ids: dict[str, Any]) -> Case:
    """A copy of the case with its ids (in its path, its query, its body) naming the caller's
    rows."""
    path = {name: ids.get(name, value) for name, value in (case.path_parameters or {}).items()}
    query = {name: ids.get(name, value) for name, value in (case.query or {}).items()}
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("project_id"), str):
        body = {**body, "project_id": ids["project_id"]}
    return case.operation.Case(path_parameters=path, query=query, body=body,
                               headers=dict(case.headers or {}), media_type=case.media_type)


def poisoned(case: Case) -> Iterator[Case]:
    """The case once for each text it sends (a path or query parameter, a body field) with a
    NUL character in that text: SQLite stores one, Postgres refuses it even in a query."""
    path: dict[str, Any] = dict(case.path_parameters or {})
    query: dict[str, Any] = dict(case.query or {})
    body: dict[str, Any] = case.body if isinstance(case.body, dict) else {}
    # Every query parameter the operation takes, not only those the case happened to send.
    texts = [("path", name, value) for name, value in path.items() if isinstance(value, str)]
    texts += [("query", p.name, str(query.get(p.name, "x"))) for p in case.operation.query]
    texts += [("body", name, value) for name, value in body.items() if isinstance(value, str)]
    for part, name, value in texts:
        bad = {name: value[:1] + "\x00" + value[1:]}
        yield case.operation.Case(
            path_parameters=path | bad if part == "path" else path,
            query=query | bad if part == "query" else query,
            body=body | bad if part == "body" else case.body,
            headers=dict(case.headers or {}), media_type=case.media_type)


@dataclass
class Cases:
    """An operation's cases: boundary and random ones to send as drawn, then its random valid
    ones again naming the caller's rows (:func:`pinned`) if it names any, and the first of
    those with a NUL character in each of its texts in turn (:func:`poisoned`)."""

    operation: schemathesis.APIOperation
    drawn: list[Case]
    valid: list[Case]
    names_rows: bool


def cases_for(operation: schemathesis.APIOperation, examples: int) -> Cases:
    """The operation's boundary cases (valid and not), then ``examples`` random valid and as
    many random invalid ones."""
    coverage = CoverageGenerator(
        operation=operation, generation_modes=list(GenerationMode),
        generation_config=operation.schema.config.generation_for(operation=operation,
                                                                 phase="coverage"),
        auth_storage=None, override=Override(), feedback=FeedbackSources())
    valid = _draw(operation.as_strategy(GenerationMode.POSITIVE), examples)
    drawn = [*coverage, *valid, *_draw(operation.as_strategy(GenerationMode.NEGATIVE), examples)]
    names_rows = any(p.name in ID_PARAMETERS
                     for p in [*operation.path_parameters, *operation.query]) or operation.body
    return Cases(operation, drawn, valid, bool(names_rows))


@dataclass
class Tally:
    """What a run sent and what it found."""

    sent: int = 0
    unsendable: int = 0
    streams: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def found(self, label: str, kind: str, detail: str) -> None:
        self.findings.setdefault((label, kind), []).append(detail)

    def report(self) -> str:
        lines = [f"{label}: {kind} ({len(details)}×), e.g.\n    {details[0]}"
                 for (label, kind), details in sorted(self.findings.items())]
        return "\n".join(lines)


def _request_of(case: Case, headers: dict[str, str]) -> dict[str, Any]:
    """The case as keyword arguments of ``httpx.AsyncClient.request``."""
    sent = case.as_transport_kwargs(base_url="http://test", headers=headers)
    # Control characters in a path as any client sends them (schemathesis leaves them raw).
    url = re.sub(r"[\x00-\x1f\x7f]", lambda c: f"%{ord(c.group()):02X}", sent["url"])
    request: dict[str, Any] = {"method": sent["method"], "url": url,
                               "headers": sent.get("headers") or {},
                               "params": sent.get("params") or None}
    if "json" in sent:
        request["json"] = sent["json"]
    elif sent.get("data") is not None:
        request["content"] = sent["data"]
    return request


def _stripped(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items()}
    return value


def _judge(tally: Tally, case: Case, pinned: bool, response: httpx.Response) -> None:
    label = case.operation.label
    status = response.status_code
    shown = f"{response.request.method} {response.request.url} " \
            f"body={response.request.content[:300]!r} -> {status} {response.text[:300]}"
    error = response.extensions.get("app_error")
    if status >= 500 and not (status in (502, 503, 504) and label in WAITS_ON_OTHERS):
        tally.found(label, f"{status}", f"{shown} [{error!r}]")
        return
    if error is not None and not isinstance(error, asyncio.CancelledError):
        tally.found(label, "error after answering", f"{shown} [{error!r}]")
    meta = case.meta
    positive = meta is not None and meta.generation.mode is GenerationMode.POSITIVE
    names_ids = any(p.name in ID_PARAMETERS for p in case.operation.path_parameters)
    if positive and names_ids and not pinned and status not in (400, 404, 422):
        tally.found(label, f"unknown id answered {status}", shown)
    stream = response.headers.get("content-type", "").startswith("text/event-stream")
    checks = STREAM_CHECKS if stream else CHECKS
    if _stripped(case.body) != case.body:
        # A body's texts lose their surrounding whitespace before they are checked (201
        # characters with a leading space fit a limit of 200): the schema cannot say so.
        checks = [check for check in checks if check is not negative_data_rejection]
    if not checks:
        return  # (an empty list would mean every check schemathesis has)
    try:
        case.validate_response(response, checks=checks)
    except schemathesis.errors.FailureGroup as failures:
        for failure in failures.exceptions:
            tally.found(label, failure.title, f"{shown}\n    {failure.message[:300]}")


async def send(client: httpx.AsyncClient, tally: Tally, case: Case, pinned: bool,
               headers: dict[str, str]) -> None:
    try:
        built = client.build_request(**_request_of(case, headers))
    except (ValueError, TypeError, UnicodeError, httpx.InvalidURL):
        tally.unsendable += 1  # no HTTP client could send it either
        return
    response = await client.send(built)
    tally.sent += 1
    tally.statuses[response.status_code] += 1
    tally.streams += "text/event-stream" in response.headers.get("content-type", "")
    _judge(tally, case, pinned, response)


async def fuzz(app: FastAPI, every: list[Cases]) -> Tally:
    """Every operation's cases, each operation with fresh rows of its caller's."""
    tally = Tally()
    async with httpx.AsyncClient(transport=StreamHeads(app), base_url="http://test") as client:
        for number, cases in enumerate(every):
            rows = await caller(app, str(number))
            for case in cases.drawn:
                await send(client, tally, case, False, rows.headers)
            valid = [pinned(case, rows.ids) for case in cases.valid]
            for case in valid if cases.names_rows else ():
                await send(client, tally, case, True, rows.headers)
            for bad in poisoned(valid[0]) if valid else ():
                await send(client, tally, bad, True, rows.headers)
    return tally


async def test_no_request_of_any_shape_breaks_the_api(app: FastAPI, settings: GatewaySettings,
                                                      fuzz_cases: list[Cases]) -> None:
    tally = await fuzz(app, fuzz_cases)
    print(f"\nfuzz ({settings.auth_mode}, {settings.resolved_database_url().split(':')[0]}): "
          f"{tally.sent} requests ({tally.streams} streams cut at their headers, "
          f"{tally.unsendable} unsendable), statuses {dict(sorted(tally.statuses.items()))}")
    assert not tally.findings, "\n" + tally.report()
    assert tally.sent > 1000  # the schema was read and its operations reached
