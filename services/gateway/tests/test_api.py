"""The API as a whole, whatever the route: bodies that are malformed, too large or invalid,
prompts over the limit, and the rate limit on starting jobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.ratelimit import WINDOW_S
from gateway.settings import GatewaySettings


@pytest.fixture
def settings(settings: GatewaySettings) -> GatewaySettings:
    return settings.model_copy(update={"max_body_bytes": 10_000, "max_prompt_chars": 500,
                                       "rate_limit_jobs_per_minute": 5})


async def test_validation_errors_say_what_was_wrong(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/projects", json={"name": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "name"
    r = await client.post("/api/projects", json={"name": "x", "extra": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "extra"
    r = await client.post("/api/projects", content=b"[",
                          headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await client.post("/api/projects", content=b'{"name": "' + b"a" * 20_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert r.status_code == 413 and "10000" in r.json()["detail"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": "../etc", "prompt": "x"})
    assert r.status_code == 422


async def test_a_chunked_body_is_counted_as_it_streams_in(client: httpx.AsyncClient) -> None:
    # No declared length to refuse by: the body is counted while it arrives.
    async def body(parts: list[bytes]) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    big = [b'{"name": "', *([b"a" * 4000] * 5), b'"}']
    r = await client.post("/api/projects", content=body(big),
                          headers={"content-type": "application/json"})
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413 and "10000" in r.json()["detail"]
    r = await client.post("/api/projects", content=body([b'{"name": ', b'"small"}']),
                          headers={"content-type": "application/json"})
    assert r.status_code == 201, r.text


async def test_prompt_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    project = (await client.post("/api/projects", json={"name": "p"})).json()["id"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": project, "prompt": "x" * 501})
    assert r.status_code == 422 and "501" in r.json()["detail"]
    r = await client.post("/api/generate-ai-code-stream",
                          json={"project_id": project, "prompt": "   "})
    assert r.status_code == 422


async def test_starting_too_many_jobs_answers_429_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    # The counts live in one-minute windows: don't start right at a window's edge.
    to_edge = WINDOW_S - time.time() % WINDOW_S
    if to_edge < 2:
        await asyncio.sleep(to_edge + 0.05)
    # Every attempt to start a job counts, even one refused later for an unknown project.
    body = {"project_id": "nope"}
    answers = [await client.post("/api/create-ai-sandbox-v2", json=body) for _ in range(6)]
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "at most 5 a minute" in refused.json()["detail"]
    # Reading is not limited.
    assert (await client.get("/api/projects")).status_code == 200


async def test_the_schema_documents_what_the_routes_answer(client: httpx.AsyncClient) -> None:
    """What the fuzz test (test_fuzz_api.py) holds answers to: a route's own 422 is a sentence
    (or an object), not only FastAPI's list; downloads, the metrics and a CSV report are not
    JSON; and a ticket's fields may be left out but are never null."""
    schema = (await client.get("/openapi.json")).json()
    detail = schema["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert [arm["type"] for arm in detail["anyOf"]] == ["array", "string", "object"]
    paths = schema["paths"]

    def content(path: str, method: str = "get") -> list[str]:
        return list(paths[path][method]["responses"]["200"]["content"])

    assert content("/api/projects/{project_id}/zip") == ["application/zip"]
    assert content("/api/create-zip", "post") == ["application/zip"]
    assert content("/metrics") == ["text/plain"]
    assert content("/api/batches/{batch_id}/report") == ["application/json", "text/csv"]
    ticket = schema["components"]["schemas"]["TicketPatch"]["properties"]
    assert all("anyOf" not in field and field["type"] != "null" for field in ticket.values())
    assert ticket["depends_on"]["maxItems"] == ticket["files"]["maxItems"] == 50
