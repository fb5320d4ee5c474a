"""After a job, every service's ``/metrics`` counts it: the whole system as processes (a
generate job with the offline generator, a site read by the scraper), each service scraped at
its own port and read with Prometheus' own parser. Also ``/readyz`` names each dependency,
and the gateway answers 503 naming Redis when Redis does not answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_cli.launcher import System
from paynto_common.bus import Bus
from paynto_common.messages import GENERATOR, GIT_SYNC, SANDBOX_POOL, SCRAPER
from paynto_common.metrics import names
from paynto_common.runtime import free_port
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM
from scraper.testing.sites import ServedSite, serve_site
from tests.system import completed, create_project, generate, running_system

# Each worker's health port in the launcher, and the name its metrics carry.
WORKERS = {"generator": GENERATOR, "sandbox_pool": SANDBOX_POOL, "scraper": SCRAPER,
           "git_sync": GIT_SYNC}


@dataclass(frozen=True)
class Scraped:
    """One ``/metrics`` answer: its families (as a query names them) and its samples."""

    families: set[str]
    samples: list[tuple[str, dict[str, str], float]]

    def total(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
        return sum(value for sample, have, value in self.samples
                   if sample == name and labels.items() <= have.items())

    def has(self, name: str, **labels: str) -> bool:
        return any(sample == name and labels.items() <= have.items()
                   for sample, have, _value in self.samples)


async def scrape(client: httpx.AsyncClient, url: str) -> Scraped:
    answer = await client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    assert answer.headers["content-type"].startswith("text/plain"), url
    families: set[str] = set()
    samples: list[tuple[str, dict[str, str], float]] = []
    for family in text_string_to_metric_families(answer.text):
        if family.name.endswith("_created"):
            continue  # the client's own series of when each counter started
        families.add(f"{family.name}_total" if family.type == "counter" else family.name)
        samples += [(s.name, dict(s.labels), s.value) for s in family.samples]
    return Scraped(families, samples)


async def until_scraped(client: httpx.AsyncClient, url: str, name: str, want: float,
                        timeout: float = 15.0, **labels: str) -> Scraped:
    """Scrape ``url`` until ``name`` (with ``labels``) reads ``want``."""
    async with asyncio.timeout(timeout):
        while True:
            got = await scrape(client, url)
            if got.has(name, **labels) and got.total(name, **labels) == want:
                return got
            await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    # Loopback on any port: the site the scraper reads here. Nothing else internal.
    env = {"SCRAPER_ALLOW_HOSTS": "127.0.0.1", "AUTOFIX_ROUNDS": "0"}
    with running_system(tmp_path_factory.mktemp("metrics"), nats_url, extra_env=env) as sys_:
        yield sys_


@pytest.fixture
async def site() -> AsyncIterator[ServedSite]:
    from starlette.responses import PlainTextResponse

    # The fixture's robots.txt asks for a delay between pages; one page is read here.
    quick = {"/robots.txt": PlainTextResponse("User-agent: *\nDisallow: /admin/\n")}
    async with serve_site(overrides=quick) as served:
        yield served


def health_url(system: System, worker: str, path: str) -> str:
    return f"http://127.0.0.1:{system.health_ports[worker]}{path}"


@pytest.mark.e2e
@pytest.mark.timeout(300)
async def test_after_a_job_every_service_counts_it(system: System, site: ServedSite) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url,
                                 timeout=httpx.Timeout(30, read=120)) as c:
        project = await create_project(c, "metrics")
        done = completed(await generate(c, project, "a landing page for a bakery"))
        assert done.data["preview_url"]
        read = await c.post("/api/scrape-website", json={"url": f"{site.url}/"})
        assert read.status_code == 200, read.text

        # The gateway: requests by route template, the job's stream opened and closed.
        gateway = await until_scraped(c, "/metrics", "paynto_sse_streams_open", 0,
                                      stream="job")
        assert gateway.total("paynto_http_requests_total", method="POST",
                             route="/api/generate-ai-code-stream", status="200") >= 1
        assert gateway.total("paynto_http_requests_total", method="POST",
                             route="/api/projects", status="201") >= 1
        assert gateway.total("paynto_http_request_seconds_count", method="POST",
                             route="/api/generate-ai-code-stream") >= 1
        assert gateway.total("paynto_events_published_total", event="job") >= 1
        assert project not in str(gateway.samples)  # no ids in labels

        # The generator: the job taken and handled, the offline writer's run, its backlog.
        generator = await scrape(c, health_url(system, "generator", "/metrics"))
        assert generator.total("paynto_jobs_handled_total", service=GENERATOR,
                               outcome="ok") >= 1
        assert generator.total("paynto_job_seconds_count", service=GENERATOR) >= 1
        assert generator.total("paynto_model_calls_total", provider="offline",
                               model="offline", outcome="ok") >= 1
        assert generator.has("paynto_consumer_pending", service=GENERATOR)
        assert generator.has("paynto_consumer_ack_pending", service=GENERATOR)
        assert generator.total("paynto_events_published_total", event="stream") >= 1

        # The sandbox pool: a sandbox claimed (cold: the suite keeps no warm pool), the
        # preview ready, the job ended there with its kind.
        pool = await scrape(c, health_url(system, "sandbox_pool", "/metrics"))
        assert pool.total("paynto_jobs_handled_total", service=SANDBOX_POOL, outcome="ok") >= 1
        assert pool.total("paynto_sandbox_claims_total", source="cold") >= 1
        assert pool.total("paynto_sandboxes_active") >= 1
        assert pool.total("paynto_sandboxes_warm") == 0
        assert pool.total("paynto_prompt_to_preview_seconds_count") >= 1
        assert pool.total("paynto_jobs_finished_total", kind="generate",
                          outcome="complete") >= 1
        assert pool.total("paynto_job_duration_seconds_count", kind="generate",
                          outcome="complete") >= 1

        # The scraper: the site read.
        scraper = await scrape(c, health_url(system, "scraper", "/metrics"))
        assert scraper.total("paynto_scrapes_total", provider="local", outcome="ok") >= 1
        assert scraper.total("paynto_scrape_seconds_count") >= 1

        # Every service lists every family, counted there or not (zero is a value).
        every = {"gateway": gateway, "generator": generator, "sandbox_pool": pool,
                 "scraper": scraper}
        for worker in ("git_sync", "batch_worker"):
            every[worker] = await scrape(c, health_url(system, worker, "/metrics"))
        for service, scraped in every.items():
            assert names() <= scraped.families, (service, names() - scraped.families)
        assert every["git_sync"].has("paynto_consumer_pending", service=GIT_SYNC)


@pytest.mark.e2e
@pytest.mark.timeout(300)
async def test_an_open_event_stream_is_counted_until_its_client_goes(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url,
                                 timeout=httpx.Timeout(30, read=120)) as c:
        project = await create_project(c, "streams")
        before = (await scrape(c, "/metrics")).total("paynto_sse_streams_open",
                                                     stream="project")
        async with c.stream("GET", f"/api/projects/{project}/events") as events:
            assert events.status_code == 200
            await until_scraped(c, "/metrics", "paynto_sse_streams_open", before + 1,
                                stream="project")
        # The client went: the gateway notices and stops counting it.
        await until_scraped(c, "/metrics", "paynto_sse_streams_open", before,
                            stream="project")


@pytest.mark.e2e
@pytest.mark.timeout(300)
async def test_every_service_says_what_it_is_ready_with(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=30) as c:
        answers = {"gateway": await c.get("/readyz")}
        for worker in (*WORKERS, "batch_worker"):
            answers[worker] = await c.get(health_url(system, worker, "/readyz"))
    checked = {service: set(answer.json()["checks"]) for service, answer in answers.items()}
    assert checked["gateway"] == {"nats", "database", "redis"}
    assert checked["batch_worker"] == {"nats", "database", "redis"}
    for worker in WORKERS:
        assert checked[worker] == {"nats", "database"}, worker
    for service, answer in answers.items():
        assert answer.status_code == 200 and answer.json()["down"] == [], service


async def test_the_gateway_is_not_ready_without_redis(tmp_path: Path, bus: Bus,
                                                       sqlite_url: str) -> None:
    """Redis at a port nothing listens on: 503, and the answer names it."""
    settings = GatewaySettings(data_dir=tmp_path, database_url=sqlite_url,
                               redis_url=f"redis://127.0.0.1:{free_port()}/0",
                               bus_namespace=bus.subjects.namespace,
                               rate_limit_jobs_per_minute=0)
    app = create_app(settings, bus=bus)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["down"] == ["redis"]
    assert body["checks"] == {"nats": True, "database": True, "redis": False}



@pytest.mark.filterwarnings(
    "ignore:Accessing the 'model_(computed_)?fields' attribute on the instance:DeprecationWarning")
async def test_a_model_call_counts_its_tokens_and_cost_by_provider() -> None:
    """Through litellm to a scripted OpenAI-compatible server, priced as a real model: one
    answer and one refusal."""
    from generator.llm import ModelConfig, ModelError, stream_completion

    labels = {"provider": "openai", "model": "openai/gpt-4.1-mini"}
    series = {"ok": ("paynto_model_calls_total", {"outcome": "ok"}),
              "error": ("paynto_model_calls_total", {"outcome": "error"}),
              "input": ("paynto_model_tokens_total", {"direction": "input"}),
              "output": ("paynto_model_tokens_total", {"direction": "output"}),
              "cost": ("paynto_model_cost_usd_total", {})}

    def now() -> dict[str, float]:
        return {key: REGISTRY.get_sample_value(name, labels | extra) or 0.0
                for key, (name, extra) in series.items()}

    before = now()
    replies = [Reply("a whole answer", prompt_tokens=120, completion_tokens=30),
               Reply(status=400)]
    async with ScriptedLLM.running(replies=replies) as llm:
        cfg = ModelConfig(model="openai/scripted", api_base=llm.base_url, api_key="k",
                          price_model="openai/gpt-4.1-mini")
        messages = [{"role": "user", "content": "a bakery"}]
        async for _piece in stream_completion(cfg, messages):
            pass
        with pytest.raises(ModelError):
            async for _piece in stream_completion(cfg, messages):
                pass
    grew = {key: value - before[key] for key, value in now().items()}
    assert (grew["ok"], grew["error"]) == (1, 1)
    assert (grew["input"], grew["output"]) == (120, 30)
    assert grew["cost"] > 0
