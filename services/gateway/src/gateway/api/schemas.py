"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from paynto_common import kanban
from paynto_common.db import Plan, Ticket
from paynto_common.kanban import Complexity, Priority, TicketType
from paynto_common.messages import TicketView

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# The largest value of a 4-byte INTEGER column (Postgres'; SQLite's holds 8 bytes): a version
# number past it names no version, and is refused (422) before a query could fail on it.
MAX_INT = 2**31 - 1
# A token sent on in an HTTP header (GitHub's, a deploy provider's): printable ASCII without
# spaces, as every provider issues them; anything else could not even be sent.
TOKEN_PATTERN = r"^[\x21-\x7e]+$"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


def document_refusals(openapi: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422's ``detail`` as its list of validation errors only; a route's
    own refusal says what is wrong in a sentence (a batch's: in an object naming the URLs
    refused). The schema says all three, so a client knows every shape it may get."""
    refusal = openapi.get("components", {}).get("schemas", {}).get("HTTPValidationError")
    if refusal is not None:
        listed = refusal["properties"]["detail"]
        refusal["properties"]["detail"] = {
            "title": listed.pop("title", "Detail"),
            "anyOf": [listed, {"type": "string"}, {"type": "object"}],
        }
    return openapi


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Postgres stores no NUL character in text (SQLite does): a 422 naming the field on
        either database, rather than a 500 on Postgres alone. Checked before the field's own
        validation, so its constraints keep their own messages."""
        if _holds_nul(value):
            raise ValueError("contains a NUL character (\\u0000), which no text may hold")
        return value


class ProjectCreate(Body):
    name: str = Field(min_length=1, max_length=200)


class ProjectPatch(Body):
    name: str = Field(min_length=1, max_length=200)


class ForkBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    # The version to start from; the latest when left out.
    version: int | None = Field(default=None, ge=1, le=MAX_INT)


class ProjectOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


class ProjectSummary(ProjectOut):
    """A project as the projects home lists it: how far it got, when it last changed, and
    whether a job is building it now."""

    latest_version: int
    # The later of a rename and the newest version.
    changed_at: datetime
    # The newest queued or running job, for a "building…" badge.
    active_job: str | None
    # The newest screenshot of the project (a clone's), else none.
    thumbnail_url: str | None = None


class ProjectFiles(BaseModel):
    files: dict[str, str]
    version: int


class VersionOut(BaseModel):
    """One stored version of a project, without its files."""

    number: int
    created_at: datetime
    model: str | None
    job_id: str | None
    files: list[str]


class HunkOut(BaseModel):
    """A run of changed lines with its context (``paynto_common.diffs.Hunk``)."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: list[str]


class FileDiffOut(BaseModel):
    """How one file differs between two versions (``paynto_common.diffs.FileDiff``)."""

    path: str
    status: Literal["added", "removed", "changed"]
    additions: int
    deletions: int
    too_large: bool
    hunks: list[HunkOut]


class VersionDiff(BaseModel):
    """What changed from version ``against`` (0: no files) to version ``number``."""

    number: int
    against: int
    files: list[FileDiffOut]


class JobOut(BaseModel):
    """A job's row: what it is, how far it got, and its result once it has one."""

    id: str
    project_id: str
    kind: str
    status: str
    model: str | None
    attempts: int
    error: str | None
    result: dict[str, Any] | None


class TurnOut(BaseModel):
    """One job of a project's history: what was asked, how it ended, a short account of the
    model's answer, and its result (preview link signed for the caller)."""

    id: str
    kind: str
    status: str
    prompt: str | None
    model: str | None
    created_at: datetime
    updated_at: datetime
    error: str | None
    explanation: str | None
    result: dict[str, Any] | None


class GenerateBody(Body):
    project_id: str = Field(pattern=ID_PATTERN)
    prompt: str = Field(min_length=1)
    model: str | None = Field(default=None, max_length=200)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt is empty")
        return value


class ApplyBody(Body):
    project_id: str = Field(pattern=ID_PATTERN)
    response: str = Field(min_length=1)


class InstallBody(Body):
    project_id: str = Field(pattern=ID_PATTERN)
    # Names are checked against npm's rules by the sandbox pool before anything runs.
    packages: list[Annotated[str, Field(min_length=1, max_length=214)]] = Field(
        min_length=1, max_length=20
    )


class SandboxBody(Body):
    project_id: str = Field(pattern=ID_PATTERN)


class SandboxOut(BaseModel):
    sandbox_id: str
    preview_url: str


class PlanBody(GenerateBody):
    """What to plan: the same fields as a generation."""


class PlanOut(BaseModel):
    id: str
    project_id: str
    prompt: str
    model: str | None
    state: str
    run_id: str | None
    blueprint: dict[str, Any]
    tickets: list[TicketView]
    created_at: datetime

    @classmethod
    def of(cls, plan: Plan, tickets: Sequence[Ticket]) -> PlanOut:
        """A plan and its board (``tickets`` in build order)."""
        return cls(id=plan.id, project_id=plan.project_id, prompt=plan.prompt, model=plan.model,
                   state=plan.state, run_id=plan.run_id, blueprint=plan.blueprint,
                   created_at=plan.created_at, tickets=[kanban.ticket_view(t) for t in tickets])


def _not_nullable(schema: dict[str, Any]) -> None:
    """A field's schema without its null arm: None in Python is "left out", never a value."""
    for arm in [arm for arm in schema.pop("anyOf", []) if arm.get("type") != "null"]:
        schema.update(arm)


TicketKey = Annotated[str, Field(pattern=kanban.KEY_PATTERN)]
SitePath = Annotated[str, Field(min_length=1, max_length=kanban.MAX_PATH_CHARS)]


class TicketPatch(Body):
    """Fields of a ticket to change (before it is built, or to build it again differently);
    one left out stays as it is, and none may be null (a ticket has no null fields)."""

    title: str | None = Field(default=None, min_length=1, max_length=kanban.MAX_TITLE_CHARS,
                              json_schema_extra=_not_nullable)
    description: str | None = Field(default=None, max_length=kanban.MAX_DESCRIPTION_CHARS,
                                    json_schema_extra=_not_nullable)
    acceptance: str | None = Field(default=None, max_length=kanban.MAX_ACCEPTANCE_CHARS,
                                   json_schema_extra=_not_nullable)
    type: TicketType | None = Field(default=None, json_schema_extra=_not_nullable)
    priority: Priority | None = Field(default=None, json_schema_extra=_not_nullable)
    complexity: Complexity | None = Field(default=None, json_schema_extra=_not_nullable)
    depends_on: list[TicketKey] | None = Field(default=None, max_length=kanban.MAX_DEPENDENCIES,
                                               json_schema_extra=_not_nullable)
    files: list[SitePath] | None = Field(default=None, max_length=kanban.MAX_FILES,
                                         json_schema_extra=_not_nullable)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null: leave the field out to keep it as it is")
        return value


class TicketCreate(TicketPatch):
    """A new ticket at the end of a plan (its key is the next free T<n>)."""

    title: str = Field(min_length=1, max_length=kanban.MAX_TITLE_CHARS)


class ScrapeBody(Body):
    """A site to read now: ``pages`` of it (the URL's, then same-site links)."""

    url: str = Field(min_length=1, max_length=2048)
    pages: int = Field(default=1, ge=1, le=10)
    screenshot: bool = False


class UrlBody(Body):
    url: str = Field(min_length=1, max_length=2048)


class CloneBody(Body):
    """A site to clone into a project (a new one, named after the site, when none is given);
    ``prompt`` says what to change in the copy."""

    url: str = Field(min_length=1, max_length=2048)
    project_id: str | None = Field(default=None, pattern=ID_PATTERN)
    model: str | None = Field(default=None, max_length=200)
    prompt: str = ""
    pages: int = Field(default=1, ge=1, le=10)
    screenshot: bool = True
