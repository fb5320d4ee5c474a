"""Versioned message models and the subject names beside them.

Every subject string lives here and nowhere else. Commands are ``<Verb>Request``; job events
are published on ``events.<job_id>``. Consumers ignore unknown fields, so senders may add fields
without breaking older consumers (bump ``v`` only for an incompatible change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Event names a job stream may carry (CONTRACT.md, "SSE events").
EventName = Literal[
    "job", "status", "stream", "file", "package", "preview", "complete", "error",
    "preview_error", "blueprint", "ticket", "plan_complete",
]
TERMINAL_EVENTS: frozenset[str] = frozenset({"complete", "error"})

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
    def sandbox_create(self) -> str:
        return f"{self._prefix}jobs.sandbox.create"

    @property
    def scrape(self) -> str:
        return f"{self._prefix}jobs.scraper.scrape"

    @property
    def git_commit(self) -> str:
        return f"{self._prefix}jobs.gitsync.commit"

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


def preview_path(sandbox_id: str) -> str:
    """Where the gateway serves a sandbox's preview; the sandbox's dev server uses it as its
    base path, so both sides must build it the same way."""
    return f"/preview/{sandbox_id}/"


class Message(BaseModel):
    """Base of every bus message: versioned, tolerant of fields it does not know."""

    model_config = ConfigDict(extra="ignore")
    v: int = 1


class AutoFix(BaseModel):
    """The bounds of a job's fix loop, carried along with it from answer to answer."""

    model_config = ConfigDict(extra="ignore")
    # How many times errors may go back to the model.
    max_rounds: int = 2
    # Stop once the job's model calls used this many tokens (0: no limit).
    token_budget: int = 0
    # What the errors of the last round looked like, to stop when the same ones come back.
    previous: list[str] = Field(default_factory=list)


class JobMessage(Message):
    job_id: str
    project_id: str
    user_id: str | None = None


class GenerateRequest(JobMessage):
    """Ask the generator to write code for a prompt, then have it applied."""

    prompt: str
    model: str | None = None
    # Set when the job builds a ticket of a plan (the generator reads the ticket and its plan).
    ticket_id: str | None = None
    # Set when the job goes back to the model to fix what the last apply left broken.
    fix_round: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)
    autofix: AutoFix | None = None


class PlanRequest(JobMessage):
    """Ask the generator for a build plan (a blueprint and tickets) for a prompt."""

    prompt: str
    model: str | None = None


class ApplyRequest(JobMessage):
    """Ask the sandbox pool to store model output as a version and show it in a sandbox."""

    response: str
    # The generator's model label, recorded on the version ("offline" for the offline one).
    model: str | None = None
    # Set to restore a stored version: these files, exactly, become the next version (no
    # model output is parsed and nothing of the latest version is kept).
    restore_version: int | None = None
    ticket_id: str | None = None
    # Which answer of the job this is: 0 the first, n the n-th fix (each its own version).
    fix_round: int = 0
    # Set when compile errors after this apply go back to the model (absent: they are only
    # reported).
    autofix: AutoFix | None = None

    @property
    def version_key(self) -> str:
        """What the version stored by this apply is known by (one per job and fix round)."""
        return self.job_id if self.fix_round == 0 else f"{self.job_id}:fix{self.fix_round}"


class CreateSandboxRequest(JobMessage):
    """Ask the sandbox pool for a running sandbox holding the project's latest version."""


class InstallPackagesRequest(JobMessage):
    """Ask the sandbox pool to install npm packages into the project's sandbox."""

    packages: list[str]


class SandboxCommandRequest(JobMessage):
    """One of the few things a client may ask of its project's sandbox (never a shell)."""

    command: Literal["logs", "restart", "kill"]


class JobEvent(Message):
    """One event of a job's stream, relayed to clients as SSE."""

    job_id: str
    event: EventName
    data: dict[str, Any] = Field(default_factory=dict)
