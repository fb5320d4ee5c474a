"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProjectCreate(Body):
    name: str = Field(min_length=1, max_length=200)


class ForkBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    # The version to start from; the latest when left out.
    version: int | None = Field(default=None, ge=1)


class ProjectOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


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


class TicketOut(BaseModel):
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


class PlanOut(BaseModel):
    id: str
    project_id: str
    prompt: str
    model: str | None
    state: str
    run_id: str | None
    blueprint: dict[str, Any]
    tickets: list[TicketOut]
    created_at: datetime


TicketType = Literal["setup", "layout", "component", "page", "feature", "content", "style",
                     "data"]
Priority = Literal["high", "medium", "low"]
Complexity = Literal["XS", "S", "M", "L", "XL"]
TicketKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")]
SitePath = Annotated[str, Field(min_length=1, max_length=300)]


class TicketPatch(Body):
    """Fields of a ticket to change (before it is built, or to build it again differently)."""

    title: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=4000)
    acceptance: str | None = Field(default=None, max_length=1000)
    type: TicketType | None = None
    priority: Priority | None = None
    complexity: Complexity | None = None
    depends_on: list[TicketKey] | None = Field(default=None, max_length=50)
    files: list[SitePath] | None = Field(default=None, max_length=50)


class TicketCreate(TicketPatch):
    """A new ticket at the end of a plan (its key is the next free T<n>)."""

    title: str = Field(min_length=1, max_length=120)
