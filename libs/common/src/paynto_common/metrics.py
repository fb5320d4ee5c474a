"""Every Prometheus metric of Paynto, in one module: each process imports it, so each has one
default registry, and :func:`names` can tell a dashboard what exists.

Names follow Prometheus' conventions: a ``paynto_`` prefix, counters end in ``_total``, units
(``_seconds``, ``_usd``) are in the name. Labels stay few-valued: a route's template, a job's
kind, a subject, an outcome, a provider; never an id, a URL or a prompt.

A family nobody in a process counts (the scraper's in the gateway) is exposed there without
samples, or at zero: every ``/metrics`` lists the same families.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

# Seconds, for work that takes from milliseconds to minutes (a job, a publish's build).
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

# ----- HTTP (the gateway) ---------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "paynto_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "paynto_http_request_seconds",
    "Time to the response's first byte",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
SSE_STREAMS_OPEN = Gauge(
    "paynto_sse_streams_open",
    "Server-sent event streams being relayed now, by what they follow (job, project, plan, "
    "batch)",
    ["stream"],
)

# ----- the job bus (every worker) -------------------------------------------------------------

JOBS_HANDLED = Counter(
    "paynto_jobs_handled_total",
    "Job deliveries taken from the bus, by service, subject and outcome",
    ["service", "subject", "outcome"],
)
JOB_SECONDS = Histogram(
    "paynto_job_seconds",
    "Time spent handling one delivery of a job",
    ["service", "subject"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
JOBS_IN_FLIGHT = Gauge("paynto_jobs_in_flight", "Jobs being handled now", ["service"])
EVENTS_PUBLISHED = Counter(
    "paynto_events_published_total", "Job events published, by event name", ["event"]
)
JOB_REDELIVERIES = Counter(
    "paynto_job_redeliveries_total",
    "Deliveries of a job after its first (a retry, or a worker that died holding it)",
    ["service", "subject"],
)
DEAD_LETTERS = Counter(
    "paynto_dead_letters_total",
    "Jobs failed for good because their deliveries ran out (a last attempt that failed, or "
    "the server's max-deliveries advisory)",
    ["service", "subject"],
)
CONSUMER_PENDING = Gauge(
    "paynto_consumer_pending",
    "Jobs waiting in the stream for the service's durable consumer",
    ["service"],
)
CONSUMER_ACK_PENDING = Gauge(
    "paynto_consumer_ack_pending",
    "Jobs delivered to the service and not yet acknowledged",
    ["service"],
)

# ----- jobs, wherever they end ----------------------------------------------------------------

JOBS_FINISHED = Counter(
    "paynto_jobs_finished_total",
    "Jobs that reached an end (complete, error, cancelled), once each, by kind",
    ["kind", "outcome"],
)
JOB_DURATION = Histogram(
    "paynto_job_duration_seconds",
    "From a job's row being created to its end",
    ["kind", "outcome"],
    buckets=_JOB_BUCKETS,
)
PROMPT_TO_PREVIEW = Histogram(
    "paynto_prompt_to_preview_seconds",
    "From a prompt's job row being created to its preview being ready",
    buckets=(0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300),
)

# ----- the sandbox pool -----------------------------------------------------------------------

SANDBOXES_ACTIVE = Gauge("paynto_sandboxes_active",
                         "Project sandboxes running on this replica")
SANDBOXES_WARM = Gauge("paynto_sandboxes_warm",
                       "Warm sandboxes this replica holds for projects to claim")
SANDBOX_POOL_TARGET = Gauge(
    "paynto_sandbox_pool_target",
    "Warm sandboxes the pool aims for across replicas: SANDBOX_POOL_SIZE plus recent demand, "
    "up to SANDBOX_POOL_MAX",
)
SANDBOX_CLAIMS = Counter(
    "paynto_sandbox_claims_total",
    "Sandboxes given to a project, by source: warm (from the pool) or cold (a pool miss: "
    "started for it)",
    ["source"],
)
SANDBOX_RECOVERIES = Counter(
    "paynto_sandbox_recoveries_total",
    "Projects restored into a new sandbox after theirs went away",
)
PACKAGE_INSTALLS = Counter(
    "paynto_package_installs_total", "npm installs into sandboxes, by outcome", ["outcome"]
)
PACKAGE_INSTALL_SECONDS = Histogram(
    "paynto_package_install_seconds", "Time one npm install into a sandbox took",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
PUBLISHES = Counter(
    "paynto_publishes_total", "Publish jobs ended, by outcome (ok, build_failed, error)",
    ["outcome"],
)
PUBLISH_BUILD_SECONDS = Histogram(
    "paynto_publish_build_seconds", "Time a publish's production build (vite build) took",
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)

# ----- the generator --------------------------------------------------------------------------

MODEL_CALLS = Counter(
    "paynto_model_calls_total",
    "Calls to a model (and runs of the offline generator), by provider, model and outcome",
    ["provider", "model", "outcome"],
)
MODEL_TOKENS = Counter(
    "paynto_model_tokens_total",
    "Tokens models read (input) and wrote (output)",
    ["provider", "model", "direction"],
)
MODEL_COST = Counter(
    "paynto_model_cost_usd_total",
    "What model calls cost, in US dollars (litellm's prices; unpriced models count zero)",
    ["provider", "model"],
)

# ----- the scraper ----------------------------------------------------------------------------

SCRAPES = Counter(
    "paynto_scrapes_total", "Sites read for people, by provider and outcome",
    ["provider", "outcome"],
)
SCRAPE_SECONDS = Histogram(
    "paynto_scrape_seconds", "Time reading one site (its pages and screenshot) took",
    buckets=(0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)

# ----- the batch worker -----------------------------------------------------------------------

BATCH_ITEMS = Counter(
    "paynto_batch_items_total",
    "Batch items by outcome: done, failed, cancelled (each once), retried (each retry)",
    ["outcome"],
)

# ----- git-sync -------------------------------------------------------------------------------

GIT_PUSHES = Counter(
    "paynto_git_pushes_total",
    "Versions pushed to git remotes, by outcome (pushed, moved, already, failed)",
    ["outcome"],
)
GIT_PUSH_SECONDS = Histogram(
    "paynto_git_push_seconds", "Time one version's push to its remote took",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
DEPLOYS = Counter(
    "paynto_deploys_total", "Deploys to Vercel or Netlify, by provider and outcome",
    ["provider", "outcome"],
)

ALL: tuple[MetricWrapperBase, ...] = (
    HTTP_REQUESTS, HTTP_SECONDS, SSE_STREAMS_OPEN,
    JOBS_HANDLED, JOB_SECONDS, JOBS_IN_FLIGHT, EVENTS_PUBLISHED, JOB_REDELIVERIES,
    DEAD_LETTERS, CONSUMER_PENDING, CONSUMER_ACK_PENDING,
    JOBS_FINISHED, JOB_DURATION, PROMPT_TO_PREVIEW,
    SANDBOXES_ACTIVE, SANDBOXES_WARM, SANDBOX_POOL_TARGET, SANDBOX_CLAIMS, SANDBOX_RECOVERIES,
    PACKAGE_INSTALLS, PACKAGE_INSTALL_SECONDS, PUBLISHES, PUBLISH_BUILD_SECONDS,
    MODEL_CALLS, MODEL_TOKENS, MODEL_COST,
    SCRAPES, SCRAPE_SECONDS,
    BATCH_ITEMS,
    GIT_PUSHES, GIT_PUSH_SECONDS, DEPLOYS,
)


def names() -> set[str]:
    """The name of every metric family Paynto defines, as a query or dashboard writes it
    (counters with ``_total``; a histogram's series add ``_bucket``, ``_sum`` and ``_count``)."""
    out: set[str] = set()
    for metric in ALL:
        for family in metric.describe():
            out.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return out


def model_labels(model: str) -> tuple[str, str]:
    """``(provider, model)`` for a model's name: the provider is litellm's prefix
    (``anthropic/claude-…`` → ``anthropic``); a name without one is its own provider."""
    provider = model.split("/", 1)[0] if "/" in model else model
    return provider, model


def since(created_at: datetime) -> float:
    """Seconds from a stored time until now. SQLite hands times back without their zone:
    they were written in UTC."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - created_at).total_seconds())


def job_finished(kind: str, outcome: str, created_at: datetime) -> None:
    """Count a job that just reached its end (``complete``, ``error``, ``cancelled``)."""
    JOBS_FINISHED.labels(kind, outcome).inc()
    JOB_DURATION.labels(kind, outcome).observe(since(created_at))
