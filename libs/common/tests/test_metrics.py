"""The metrics where they are counted, against real NATS JetStream and real SQLite/Postgres:
redeliveries, dead letters, jobs finished with their kind and age, the consumer's backlog;
and the names every dashboard is written against."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from nats.js.api import ConsumerConfig
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from paynto_common import metrics
from paynto_common.bus import Bus, ConsumerOptions, Delivery, PermanentJobError
from paynto_common.db import Database, Job, JobStatus, utcnow
from paynto_common.messages import GenerateRequest
from paynto_common.service import health_app, readiness, refresh_consumer_gauges
from paynto_common.testing.worker import new_job

SERVICE = "generator"  # whose subjects ``bus.subjects.generate`` falls under

# What the Grafana dashboard and the alert rules are written against: a name changed here
# breaks them, so this list changes only with them.
CONTRACT = {
    "paynto_http_requests_total", "paynto_http_request_seconds", "paynto_jobs_handled_total",
    "paynto_job_seconds", "paynto_jobs_in_flight", "paynto_events_published_total",
    "paynto_jobs_finished_total", "paynto_job_duration_seconds",
    "paynto_prompt_to_preview_seconds", "paynto_sse_streams_open", "paynto_consumer_pending",
    "paynto_consumer_ack_pending", "paynto_job_redeliveries_total", "paynto_dead_letters_total",
    "paynto_sandboxes_active", "paynto_sandboxes_warm", "paynto_sandbox_pool_target",
    "paynto_sandbox_claims_total",
    "paynto_sandbox_recoveries_total", "paynto_package_installs_total",
    "paynto_package_install_seconds", "paynto_model_calls_total", "paynto_model_tokens_total",
    "paynto_model_cost_usd_total", "paynto_scrapes_total", "paynto_scrape_seconds",
    "paynto_batch_items_total", "paynto_git_pushes_total", "paynto_git_push_seconds",
    "paynto_deploys_total", "paynto_publishes_total", "paynto_publish_build_seconds",
}
# Labels whose values are ids, URLs or text would give a series per job or per person.
UNBOUNDED_LABELS = {"job_id", "project_id", "user_id", "url", "path", "prompt", "id"}


def value(name: str, **labels: str) -> float:
    """A sample's value now (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def job(job_id: str) -> GenerateRequest:
    return GenerateRequest(job_id=job_id, project_id="p1", prompt="hello")


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def consuming(bus: Bus, handler: Callable[[Delivery], Awaitable[None]],
                    opts: ConsumerOptions, failed: list[str]
                    ) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()

    async def on_failure(_data: bytes, reason: str) -> None:
        failed.append(reason)

    task = asyncio.create_task(bus.run_consumer(SERVICE, handler, on_failure, stop, opts))
    return stop, task


# ----- names ----------------------------------------------------------------------------------


def test_names_are_the_contract_and_follow_the_conventions() -> None:
    names = metrics.names()
    assert names == CONTRACT
    for name in names:
        assert re.fullmatch(r"paynto_[a-z0-9_]+", name), name
    kinds = {family.name: family.type for metric in metrics.ALL
             for family in metric.describe()}
    for family, kind in kinds.items():
        if kind == "counter":
            assert f"{family}_total" in names, family
        else:
            assert not family.endswith("_total"), f"{family} is a {kind}, not a counter"
        if kind == "histogram":
            # A histogram measures something: its unit is in its name.
            assert family.endswith(("_seconds", "_bytes", "_usd")), family
    for metric in metrics.ALL:
        labels = set(metric._labelnames)
        assert not labels & UNBOUNDED_LABELS, (metric, labels)


def test_every_family_in_the_registry_is_named() -> None:
    """Nothing defines a paynto_ metric outside ``paynto_common.metrics`` unnoticed."""
    registered = {f"{family.name}_total" if family.type == "counter" else family.name
                  for family in REGISTRY.collect() if family.name.startswith("paynto_")}
    assert registered == metrics.names()


# ----- the bus --------------------------------------------------------------------------------


async def test_a_redelivery_counts_and_a_job_out_of_attempts_is_a_dead_letter(bus: Bus) -> None:
    subject = bus.subjects.generate
    attempts: list[int] = []

    async def broken(d: Delivery) -> None:
        attempts.append(d.attempt)
        raise RuntimeError("always broken")

    failed: list[str] = []
    await bus.publish_job(subject, job("dl"), msg_id="dl")
    stop, task = await consuming(
        bus, broken, ConsumerOptions(ack_wait=1.0, max_deliver=2, backoff=(0.05,)), failed)
    await until(lambda: failed != [])
    stop.set()
    await task
    assert attempts == [1, 2]
    assert value("paynto_job_redeliveries_total", service=SERVICE, subject=subject) == 1
    assert value("paynto_dead_letters_total", service=SERVICE, subject=subject) == 1
    assert value("paynto_jobs_handled_total", service=SERVICE, subject=subject,
                 outcome="retry") == 1
    assert value("paynto_jobs_handled_total", service=SERVICE, subject=subject,
                 outcome="failed") == 1
    assert value("paynto_job_seconds_count", service=SERVICE, subject=subject) == 2


async def test_a_permanent_failure_is_failed_not_a_dead_letter(bus: Bus) -> None:
    """A job refused for good (malformed, not the user's) did not run out of deliveries: the
    dead-letter alert stays for jobs the system could not get through."""
    subject = bus.subjects.generate

    async def refuses(d: Delivery) -> None:
        raise PermanentJobError("unsafe path ../x")

    failed: list[str] = []
    await bus.publish_job(subject, job("pf"), msg_id="pf")
    stop, task = await consuming(bus, refuses, ConsumerOptions(ack_wait=1.0), failed)
    await until(lambda: failed != [])
    stop.set()
    await task
    assert value("paynto_jobs_handled_total", service=SERVICE, subject=subject,
                 outcome="failed") == 1
    assert value("paynto_dead_letters_total", service=SERVICE, subject=subject) == 0
    assert value("paynto_job_redeliveries_total", service=SERVICE, subject=subject) == 0


async def test_a_max_deliveries_advisory_is_a_dead_letter(bus: Bus) -> None:
    """The job's last delivery died with its worker: the advisory that fails it counts it."""
    subject = bus.subjects.generate
    # The "dead" worker: takes every delivery and never acks, like a killed process.
    dead = await bus.js.pull_subscribe(
        bus.subjects.service_filter(SERVICE), durable=SERVICE,
        stream=bus.subjects.jobs_stream, config=ConsumerConfig(ack_wait=0.5, max_deliver=2))
    await bus.publish_job(subject, job("adv"), msg_id="adv")
    for _ in range(2):
        assert await dead.fetch(1, timeout=5)

    async def never(d: Delivery) -> None:
        raise AssertionError("the job belongs to the dead worker")

    failed: list[str] = []
    stop, task = await consuming(
        bus, never, ConsumerOptions(ack_wait=0.5, max_deliver=2, concurrency=1), failed)
    await until(lambda: failed != [])
    stop.set()
    await task
    assert value("paynto_dead_letters_total", service=SERVICE, subject=subject) == 1


async def test_the_consumer_backlog_is_read_into_its_gauges(bus: Bus) -> None:
    psub = await bus.js.pull_subscribe(
        bus.subjects.service_filter(SERVICE), durable=SERVICE,
        stream=bus.subjects.jobs_stream, config=ConsumerConfig(ack_wait=30))
    for name in ("q1", "q2", "q3"):
        await bus.publish_job(bus.subjects.generate, job(name), msg_id=name)
    (taken,) = await psub.fetch(1, timeout=5)  # delivered, not acknowledged
    await refresh_consumer_gauges(bus, SERVICE)
    assert value("paynto_consumer_pending", service=SERVICE) == 2
    assert value("paynto_consumer_ack_pending", service=SERVICE) == 1
    await taken.ack_sync()
    # As a worker's /metrics does: the gauges are read again before each scrape.
    app = health_app({}, lambda: refresh_consumer_gauges(bus, SERVICE))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://health") as client:
        text = (await client.get("/metrics")).text
    samples = {(s.name, s.labels.get("service")): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("paynto_consumer_pending", SERVICE)] == 2
    assert samples[("paynto_consumer_ack_pending", SERVICE)] == 0


# ----- jobs ending --------------------------------------------------------------------------


async def test_a_job_ending_counts_once_with_its_kind_and_age(database: Database) -> None:
    kind = "generate"
    before = value("paynto_jobs_finished_total", kind=kind, outcome="complete")
    sum_before = value("paynto_job_duration_seconds_sum", kind=kind, outcome="complete")
    count_before = value("paynto_job_duration_seconds_count", kind=kind, outcome="complete")
    row = await new_job(database, kind)
    # Made five minutes ago: its duration runs from its row's creation, not from a worker's.
    async with database.session() as s:
        stored = await s.get(Job, row.id)
        assert stored is not None
        stored.created_at = utcnow() - timedelta(minutes=5)
        s.add(stored)
        await s.commit()
    await database.set_job_status(row.id, JobStatus.RUNNING)
    assert value("paynto_jobs_finished_total", kind=kind, outcome="complete") == before
    await database.set_job_status(row.id, JobStatus.COMPLETE)
    # A late failure or a second completion of the ended job counts nothing.
    await database.set_job_status(row.id, JobStatus.ERROR, error="late")
    await database.set_job_status(row.id, JobStatus.COMPLETE)
    assert value("paynto_jobs_finished_total", kind=kind, outcome="complete") == before + 1
    assert value("paynto_job_duration_seconds_count", kind=kind,
                 outcome="complete") == count_before + 1
    assert value("paynto_job_duration_seconds_sum", kind=kind,
                 outcome="complete") - sum_before >= 300


async def test_each_outcome_is_counted_under_its_own_label(db: Database) -> None:
    kind = "publish"
    outcomes = (JobStatus.ERROR, JobStatus.CANCELLED)
    before = {o: value("paynto_jobs_finished_total", kind=kind, outcome=o) for o in outcomes}
    for outcome in outcomes:
        row = await new_job(db, kind)
        await db.set_job_status(row.id, outcome)
    for outcome in outcomes:
        assert value("paynto_jobs_finished_total", kind=kind,
                     outcome=outcome) == before[outcome] + 1


# ----- readiness ------------------------------------------------------------------------------


async def test_readiness_names_the_dependency_that_does_not_answer() -> None:
    async def yes() -> bool:
        return True

    async def no() -> bool:
        return False

    answer = await readiness({"nats": yes, "database": yes, "redis": no})
    assert answer.status_code == 503
    assert b'"down":["redis"]' in answer.body
    assert (await readiness({"nats": yes})).status_code == 200
