"""Commands on the bus: one ``<Verb>Request`` model per job subject, and the core request/reply
messages some services answer directly.

Consumers ignore unknown fields, so senders may add fields without breaking older consumers
(bump ``v`` only for an incompatible change).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from paynto_common.messages.events import PreviewError


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
    errors: list[PreviewError] = Field(default_factory=list)
    autofix: AutoFix | None = None
    # Set when the job clones a site: the stored scrape (``db.Scrape``) whose pages the
    # model (or the offline clone writer) rebuilds; ``prompt`` then holds the person's wishes.
    scrape_id: str | None = None


class CloneRequest(JobMessage):
    """Clone a site into a project, as one job: the scraper reads it (``scrape`` event),
    stores what it read, then hands the job on to the generator as a generate job."""

    url: str
    model: str | None = None
    # What the person wants changed in the copy (may be empty).
    prompt: str = ""
    # How many pages of the site to read: the URL's, then same-site links from it.
    pages: int = Field(default=1, ge=1, le=10)
    screenshot: bool = True


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


class BuildRequest(JobMessage):
    """Build a version of the project for production (``vite build``) to prove it builds: a
    batch's check after a clone. None: the latest version."""

    version: int | None = None


class PublishRequest(JobMessage):
    """Build ``version`` for production and store its ``dist/`` as publish ``publish_id``,
    then make it the project's live site (``Site``, ``Publish``)."""

    publish_id: str
    version: int


class DeployRequest(JobMessage):
    """Send publish ``publish_id``'s stored build to ``provider`` with the owner's token."""

    publish_id: str
    provider: Literal["vercel", "netlify"]


class GitSyncRequest(JobMessage):
    """Push the project's versions not yet on its git remote, in order (``GitLink``)."""


class SandboxCommandRequest(JobMessage):
    """One of the few things a client may ask of its project's sandbox (never a shell)."""

    command: Literal["logs", "restart", "kill"]


# Core request/reply (``Bus.request`` / ``Bus.serve``), outside the job streams.


class ScrapeRequest(Message):
    """Read a site for a person, now (any one scraper replica answers): the scrape is stored
    as a ``db.Scrape`` of ``user_id``, and the reply names it."""

    url: str
    user_id: str
    pages: int = Field(default=1, ge=1, le=10)
    screenshot: bool = False


class ScrapeReply(Message):
    """The stored scrape's id, or why there is none: ``status`` says whose fault in HTTP's
    words (422 a refused URL, 403 robots.txt said no, 502 the site failed, 503 a provider
    is not set up)."""

    scrape_id: str | None = None
    error: str | None = None
    status: int = 200


class ModelsRequest(Message):
    """Which models can a generator use? (any one replica answers)"""


class ModelInfo(BaseModel):
    """A model a generator can use, and the roles it plays there; never a key or a URL."""

    id: str
    ai: bool = True
    roles: list[str] = Field(default_factory=list)


class ModelsReply(Message):
    models: list[ModelInfo]


class ForwardedJob(Message):
    """A job handed by the sandbox-pool replica that received it to the one owning the
    project's sandbox: the job's subject and its bytes, exactly as delivered."""

    subject: str
    data: str


class ForwardedOutcome(Message):
    """How a forwarded job ended on its owner replica."""

    ok: bool = False
    error: str | None = None
    # True when retrying cannot help (bad input, unsafe output).
    permanent: bool = False
