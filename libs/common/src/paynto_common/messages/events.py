"""Job events: one pydantic model per event payload (CONTRACT.md, "SSE events").

An event travels as a :class:`JobEvent` envelope (its channel, its name, its payload as JSON)
on ``events.<channel>``; the gateway relays the name and the payload unchanged as SSE. A
payload carries the fields its publisher set and no others, so adding an optional field
changes nothing on the wire for those who do not set it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

EventName = Literal[
    "job", "status", "stream", "file", "package", "preview", "complete", "error",
    "preview_error", "blueprint", "ticket", "plan_complete", "cancelled", "scrape",
    "batch_item", "git_sync", "published", "deploy",
]
TERMINAL_EVENTS: frozenset[str] = frozenset({"complete", "error", "cancelled"})


class Event(BaseModel):
    """The payload of one event; ``event`` is its SSE ``event:`` name."""

    model_config = ConfigDict(extra="ignore")
    event: ClassVar[EventName]

    def wire(self) -> dict[str, Any]:
        """The payload as clients read it: the fields its publisher set."""
        return self.model_dump(mode="json", exclude_unset=True)


class JobStarted(Event):
    """The first event of every job stream."""

    event: ClassVar[EventName] = "job"
    job_id: str
    # The plan ticket's key, when the job builds one.
    ticket: str | None = None


class Status(Event):
    """Progress worth telling a person; the optional fields let clients act on it."""

    event: ClassVar[EventName] = "status"
    message: str
    # Which model works on the job, whether it is AI, and why it was chosen.
    model: str | None = None
    ai: bool | None = None
    reason: str | None = None
    # The delivery this status belongs to; ``reset`` tells clients to drop the streamed text
    # of an earlier attempt (a worker stopped, a fallback model took over, a fix began).
    attempt: int | None = None
    reset: bool | None = None
    fallback: bool | None = None
    continuation: int | None = None
    repair: int | None = None
    # The fix loop: the round starting, or why it stopped.
    autofix: int | None = None
    autofix_stopped: str | None = None
    # The files sent to the model as context; the files merged by fast-apply.
    context: list[str] | None = None
    fast_apply: list[str] | None = None
    # Something refused or worked around: truncated, command_ignored, missing_import,
    # bad_package; the path or command concerned.
    warning: str | None = None
    path: str | None = None
    command: str | None = None
    edit: str | None = None
    recovered: bool | None = None
    stage: str | None = None
    # Build runs of a plan.
    plan_id: str | None = None
    run_id: str | None = None
    paused: bool | None = None


class StreamDelta(Event):
    """Model output as it arrives (several deltas may be joined into one event)."""

    event: ClassVar[EventName] = "stream"
    text: str
    attempt: int = 1


class FileWritten(Event):
    event: ClassVar[EventName] = "file"
    path: str


class PackageInstalled(Event):
    event: ClassVar[EventName] = "package"
    name: str


class PreviewReady(Event):
    event: ClassVar[EventName] = "preview"
    preview_url: str


class PreviewError(Event):
    """What the preview cannot show: a module that does not compile, or an error thrown when
    the app renders (from the render check, or from a browser showing the preview)."""

    event: ClassVar[EventName] = "preview_error"
    kind: Literal["compile", "runtime"] = "compile"
    message: str
    # The site file at fault (``file`` when a browser or the dev server reported it).
    path: str | None = None
    file: str | None = None
    plugin: str | None = None
    stack: str | None = None
    frame: str | None = None
    url: str | None = None
    line: int | None = None
    column: int | None = None


class JobFailed(Event):
    event: ClassVar[EventName] = "error"
    message: str


class JobCancelled(Event):
    """The job was stopped by its owner (or an admin) before it ended."""

    event: ClassVar[EventName] = "cancelled"
    by: str | None = None


class TicketView(Event):
    """A ticket of a plan's board as the API and its events show it."""

    event: ClassVar[EventName] = "ticket"
    id: str
    key: str
    title: str
    type: str
    priority: str
    complexity: str
    depends_on: list[str]
    acceptance: str
    description: str
    files: list[str]
    state: str
    job_id: str | None
    version: int | None
    error: str | None


class BlueprintMade(Event):
    event: ClassVar[EventName] = "blueprint"
    plan_id: str
    blueprint: dict[str, Any]


class PlanMade(Event):
    event: ClassVar[EventName] = "plan_complete"
    plan_id: str
    tickets: int
    model: str | None = None


# ``complete``: each kind of job ends with its own result.


class Completed(Event):
    event: ClassVar[EventName] = "complete"


class AutoFixReport(BaseModel):
    """What the fix loop did for a job: how many rounds, and whether they fixed it or why
    they stopped."""

    rounds: int
    fixed: bool | None = None
    stopped: str | None = None


class Applied(Completed):
    """A change applied (or a version restored, a sandbox made, packages installed): what was
    written, where it shows and which version it is."""

    files: list[str] = Field(default_factory=list)
    preview_url: str | None = None
    version: int | None = None
    # How many errors the preview showed after the change, and in a line what they were.
    preview_errors: int | None = None
    problem: str | None = None
    autofix: AutoFixReport | None = None
    restored_from: int | None = None
    sandbox_id: str | None = None
    packages: list[str] | None = None
    installed: list[str] | None = None


class Planned(Completed):
    plan_id: str
    tickets: int
    model: str | None = None


class Built(Completed):
    """A build check's end: whether ``vite build`` passed on the version, how long it took,
    and the tail of its output (its errors when it failed)."""

    version: int | None = None
    ok: bool = False
    seconds: float = 0.0
    output: str = ""


class SandboxLogs(Completed):
    running: bool
    lines: list[str]
    errors: list[PreviewError] = Field(default_factory=list)


class SandboxKilled(Completed):
    stopped: bool


class SandboxRestarted(Completed):
    sandbox_id: str
    preview_url: str


class RunEnded(Completed):
    """A build run of a plan ended: done, stopped (and why) or paused."""

    plan_id: str
    state: str
    tickets: dict[str, int]
    reason: str | None = None


class Scraped(Event):
    """A clone's site was read: what it is, its palette and where its screenshot is, before
    any code is written (the studio shows it while the model works)."""

    event: ClassVar[EventName] = "scrape"
    url: str
    final_url: str | None = None
    title: str = ""
    # The brand's colours, most prominent first, as ``#rrggbb``.
    palette: list[str] = Field(default_factory=list)
    fonts: list[str] = Field(default_factory=list)
    # Where the gateway serves the screenshot (the caller's own), or why there is none.
    screenshot_url: str | None = None
    screenshot_note: str | None = None
    # The stored scrape, and how many pages of the site it holds.
    scrape_id: str | None = None
    pages: int = 1
    provider: str | None = None


class BatchItemView(Event):
    """One URL of a batch as it moves: on the batch's channel each time it changes."""

    event: ClassVar[EventName] = "batch_item"
    id: str
    position: int
    url: str
    status: str
    step: str = ""
    attempts: int = 0
    project_id: str | None = None
    job_id: str | None = None
    error: str | None = None
    failures: list[str] = Field(default_factory=list)
    result: dict[str, Any] = Field(default_factory=dict)


class BatchEnded(Completed):
    """A batch ended: every item done, failed or cancelled (``status`` done), or cancelled."""

    batch_id: str
    status: str
    # Items by their status.
    items: dict[str, int] = Field(default_factory=dict)


class GitPushed(Event):
    """A version was pushed to the project's git remote as one commit (on its job's stream
    and the project's channel). ``moved``: the branch had moved on the remote, so the commit
    went to a new ``branch``; ``already``: it was there from an earlier push."""

    event: ClassVar[EventName] = "git_sync"
    version: int
    commit: str
    branch: str
    moved: bool = False
    already: bool = False


class GitSyncEnded(Completed):
    """A sync job's end: the versions it pushed and where the branch is now."""

    pushed: list[int] = Field(default_factory=list)
    branch: str = ""
    head: str | None = None
    status: str = ""


class Published(Completed):
    """A publish job's end: ``ok`` when the version built and is live at ``url`` (its
    ``files`` and ``bytes`` stored); otherwise ``output`` holds the build's errors and the
    site, if any, stays as it was."""

    publish_id: str
    version: int
    url: str
    ok: bool = False
    output: str = ""
    files: int = 0
    bytes: int = 0
    # How long ``vite build`` itself took.
    seconds: float = 0.0


class SitePublished(Event):
    """On the project's channel: a publish ended (``ok``: the site at ``url`` shows
    ``version`` now)."""

    event: ClassVar[EventName] = "published"
    publish_id: str
    version: int
    url: str
    ok: bool


class DeployView(Event):
    """A deploy to Vercel or Netlify moved (on its job's stream and the project's channel):
    ``status`` is deploying, ready (live at ``url``) or failed (``error`` says why)."""

    event: ClassVar[EventName] = "deploy"
    publish_id: str
    provider: str
    status: str
    url: str | None = None
    error: str | None = None


class DeployEnded(Completed):
    """A deploy job's end: where the build is live."""

    publish_id: str
    provider: str
    url: str | None = None


# The payload model of each event but ``complete``, whose model is the job kind's result.
EVENT_MODELS: dict[str, type[Event]] = {model.event: model for model in (
    JobStarted, Status, StreamDelta, FileWritten, PackageInstalled, PreviewReady, PreviewError,
    JobFailed, JobCancelled, TicketView, BlueprintMade, PlanMade, Scraped, BatchItemView,
    GitPushed, SitePublished, DeployView)}


class JobEvent(BaseModel):
    """One event on a channel, as it travels on the bus."""

    model_config = ConfigDict(extra="ignore")
    v: int = 1
    # The channel: a job id, or a project's or a build run's channel.
    job_id: str
    event: EventName
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, channel: str, payload: Event) -> JobEvent:
        return cls(job_id=channel, event=payload.event, data=payload.wire())
