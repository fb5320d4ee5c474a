"""Prometheus metrics shared by the job bus; each process has one default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOBS_HANDLED = Counter(
    "paynto_jobs_handled_total",
    "Jobs taken from the bus, by service, subject and outcome",
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
