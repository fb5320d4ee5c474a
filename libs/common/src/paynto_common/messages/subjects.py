"""Stream, subject and channel names: every subject string lives here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass

# Durable consumer names, one per service, shared by all of its replicas.
GENERATOR = "generator"
SANDBOX_POOL = "sandbox-pool"
SCRAPER = "scraper"
GIT_SYNC = "git-sync"


@dataclass(frozen=True)
class Subjects:
    """Stream and subject names, optionally isolated under a namespace."""

    namespace: str = ""

    @property
    def _prefix(self) -> str:
        return f"{self.namespace}." if self.namespace else ""

    @property
    def _suffix(self) -> str:
        return f"_{self.namespace.upper().replace('-', '_')}" if self.namespace else ""

    @property
    def jobs_stream(self) -> str:
        return f"PAYNTO_JOBS{self._suffix}"

    @property
    def events_stream(self) -> str:
        return f"PAYNTO_EVENTS{self._suffix}"

    @property
    def jobs_all(self) -> str:
        return f"{self._prefix}jobs.>"

    @property
    def events_all(self) -> str:
        return f"{self._prefix}events.>"

    @property
    def generate(self) -> str:
        return f"{self._prefix}jobs.generator.generate"

    @property
    def plan(self) -> str:
        return f"{self._prefix}jobs.generator.plan"

    @property
    def apply(self) -> str:
        return f"{self._prefix}jobs.sandbox.apply"

    @property
    def sandbox_command(self) -> str:
        return f"{self._prefix}jobs.sandbox.command"

    @property
    def install(self) -> str:
        return f"{self._prefix}jobs.sandbox.install"

    @property
    def build(self) -> str:
        return f"{self._prefix}jobs.sandbox.build"

    @property
    def publish(self) -> str:
        """A version built for production and stored to be served at ``/sites/<slug>/``."""
        return f"{self._prefix}jobs.sandbox.publish"

    @property
    def sandbox_create(self) -> str:
        return f"{self._prefix}jobs.sandbox.create"

    @property
    def scrape(self) -> str:
        return f"{self._prefix}jobs.scraper.scrape"

    @property
    def scraper_scrape(self) -> str:
        """Core NATS request/reply: any scraper replica reads a site now (``ScrapeRequest``)."""
        return f"{self._prefix}svc.scraper.scrape"

    @property
    def git_commit(self) -> str:
        return f"{self._prefix}jobs.gitsync.commit"

    @property
    def deploy(self) -> str:
        """A published build sent on to Vercel or Netlify (git-sync: the work leaving)."""
        return f"{self._prefix}jobs.gitsync.deploy"

    @property
    def generator_models(self) -> str:
        """Core NATS request/reply: any generator replica answers which models it can use."""
        return f"{self._prefix}svc.generator.models"

    @property
    def sandbox_bucket(self) -> str:
        """The NATS KV bucket of sandbox leases, warm sandboxes and live replicas."""
        return f"PAYNTO_SANDBOXES{self._suffix}"

    def sandbox_replica(self, replica_id: str) -> str:
        """Where a sandbox-pool replica takes jobs forwarded to it by another replica (core
        NATS request/reply, outside the streams: the original delivery stays the record)."""
        return f"{self._prefix}sandbox.replica.{replica_id}"

    @property
    def cancel(self) -> str:
        """Core NATS, every worker listens: ``{"job_id"}`` of a job to stop where it runs."""
        return f"{self._prefix}control.cancel"

    def service_filter(self, service: str) -> str:
        """The subject filter of a service's durable consumer (filters never overlap)."""
        family = {
            GENERATOR: "generator",
            SANDBOX_POOL: "sandbox",
            SCRAPER: "scraper",
            GIT_SYNC: "gitsync",
        }[service]
        return f"{self._prefix}jobs.{family}.>"

    def events(self, job_id: str) -> str:
        return f"{self._prefix}events.{job_id}"


def project_channel(project_id: str) -> str:
    """The event channel of a project (what happens to it outside any one job: errors of its
    live preview), read and written like a job's; ids hold no dots, so it never meets one."""
    return f"project.{project_id}"


def plan_channel(run_id: str) -> str:
    """The event channel of one build run of a plan: ``ticket`` events as its tickets move,
    ``complete`` when the run ends (every ticket done, nothing more can run, or paused)."""
    return f"run.{run_id}"


def batch_channel(batch_id: str) -> str:
    """The event channel of a batch: ``batch_item`` events as its URLs move, ``complete``
    (``BatchEnded``) when it ends."""
    return f"batch.{batch_id}"


def preview_path(sandbox_id: str) -> str:
    """Where the gateway serves a sandbox's preview; the sandbox's dev server uses it as its
    base path, so both sides must build it the same way."""
    return f"/preview/{sandbox_id}/"
