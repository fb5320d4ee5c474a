"""Database models and the async engine (SQLite by default, Postgres through DATABASE_URL).

A project's files live in versions: one version per applied turn, holding the whole file set,
so a sandbox is only a cache and can always be rebuilt from the latest version.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from paynto_common.errors import PermanentJobError

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Project(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    owner_id: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Version(SQLModel, table=True):
    """A whole snapshot of a project's files after one applied turn."""

    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # A redelivered job must not store a second version.
        UniqueConstraint("job_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    number: int
    job_id: str | None = None
    files: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    model: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    ERROR = "error"
    TERMINAL = frozenset({COMPLETE, ERROR})


class Job(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    kind: str
    status: str = JobStatus.QUEUED
    prompt: str | None = Field(default=None, sa_column=Column(Text))
    model: str | None = None
    # The full model output once generation finished, so a redelivery need not call the model.
    response: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ModelCall(SQLModel, table=True):
    """One finished call to a model and what it used: the cost ledger's line. Recorded when
    the call ends, so spend counts even if the job it served later fails or is run again."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(index=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    model: str
    # What the call was for: answer, continuation, fix, plan, plan-repair, fast-apply.
    purpose: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)


class Sandbox(SQLModel, table=True):
    """Where a project's preview runs; the gateway proxies to ``endpoint``."""

    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    provider: str
    status: str = "starting"
    # "unix:/path/to/.vite.sock" for the local provider, an https URL for hosted ones.
    endpoint: str | None = None
    version: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PlanState:
    """A plan's build run: ``planned`` until it is first built, ``running`` while tickets are
    being dispatched, ``paused`` (running tickets finish, no new ones start), ``done`` when
    every ticket is done, ``stopped`` when nothing more can run (a ticket failed)."""

    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    STOPPED = "stopped"


class Plan(SQLModel, table=True):
    """A build plan of a project: a blueprint and the tickets that build it."""

    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    # The planning job; unique so a redelivered planning job stores one plan.
    job_id: str = Field(unique=True)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    model: str | None = None
    blueprint: dict[str, Any] = Field(default_factory=dict,
                                      sa_column=Column(JSON, nullable=False))
    state: str = PlanState.PLANNED
    # The current build run: its events go to ``plan_channel(run_id)``.
    run_id: str | None = None
    # The budgets the run checks before starting each ticket, as the run's starter had them:
    # {"project_usd", "user_usd", "user"} (0: no limit).
    limits: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TicketState:
    BACKLOG = "backlog"
    QUEUED = "queued"
    GENERATING = "generating"
    APPLYING = "applying"
    CHECKING = "checking"
    DONE = "done"
    FAILED = "failed"
    BLOCKED = "blocked"
    TERMINAL = frozenset({DONE, FAILED, BLOCKED})
    # Dispatched and not yet finished.
    IN_FLIGHT = frozenset({QUEUED, GENERATING, APPLYING, CHECKING})


class Ticket(SQLModel, table=True):
    """One card of a plan's kanban board; built by one generate job, applied as one version."""

    __table_args__ = (UniqueConstraint("plan_id", "key"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    plan_id: str = Field(foreign_key="plan.id", index=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    key: str
    position: int
    title: str
    type: str
    priority: str
    complexity: str
    depends_on: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    acceptance: str = Field(default="", sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = TicketState.BACKLOG
    job_id: str | None = Field(default=None, index=True)
    version: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow)


class Database:
    """An async engine and session factory; one per process, passed down, never global."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.is_sqlite:
            # Several service processes share the file: wait on locks instead of failing.
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def create_all(self) -> None:
        """Create missing tables; tolerate another process doing the same at the same time."""
        for attempt in range(5):
            try:
                async with self.engine.begin() as conn:
                    await conn.run_sync(SQLModel.metadata.create_all)
                return
            except (IntegrityError, ProgrammingError, OperationalError) as exc:
                if attempt == 4:
                    raise
                log.info("create_all raced with another process (%s); retrying", exc)
                await asyncio.sleep(0.2 * (attempt + 1))

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.engine.dispose()

    # Queries more than one service needs.

    async def latest_version(self, project_id: str) -> Version | None:
        async with self.session() as s:
            result = await s.exec(
                select(Version)
                .where(Version.project_id == project_id)
                .order_by(col(Version.number).desc())
                .limit(1)
            )
            return result.first()

    async def claim_job(self, job_id: str, attempt: int | None = None) -> Job | None:
        """Mark a job running (with its delivery's attempt), in one statement that also reads
        what is stored on it; None when it already ended (a late redelivery: nothing to do).
        Every worker starts every job with this."""
        fields: dict[str, Any] = {} if attempt is None else {"attempts": attempt}
        job = await self.set_job_status(job_id, JobStatus.RUNNING, **fields)
        if job is None:
            raise PermanentJobError(f"unknown job {job_id}")
        return None if job.status in JobStatus.TERMINAL else job

    async def job(self, job_id: str) -> Job | None:
        async with self.session() as s:
            return await s.get(Job, job_id)

    async def set_job_status(self, job_id: str, status: str, **fields: Any) -> Job | None:
        """Move a job on, in one statement. A terminal job stays as it is (a late redelivery
        or failure cannot reopen or overwrite it): then, as for an unknown id, the stored row
        (or None) is returned unchanged."""
        stmt = (
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).not_in(JobStatus.TERMINAL))
            .values(status=status, updated_at=utcnow(), **fields)
            .returning(Job)
        )
        async with self.session() as s:
            job = (await s.exec(stmt)).scalars().first()
            await s.commit()
            if job is None:
                job = await s.get(Job, job_id)
            return job


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
