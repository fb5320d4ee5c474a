"""Database models and the async engine (SQLite by default, Postgres through DATABASE_URL).

A project's files live in versions: one version per applied turn, holding the whole file set,
so a sandbox is only a cache and can always be rebuilt from the latest version.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
    exists,
    insert,
    literal,
    or_,
)
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from paynto_common import metrics, sqlite_driver
from paynto_common.errors import PermanentJobError
from paynto_common.sqlite_driver import COMMIT_NOW as COMMIT_NOW  # the services take it here


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def insert_of(row: SQLModel, only_if: Any = None) -> Any:
    """An ``INSERT`` of ``row`` as built (its defaults made already; an id the database
    assigns left to it): for a transaction's last write, executed with :data:`COMMIT_NOW`,
    which the ORM's own flush cannot take.

    With ``only_if`` (a condition such as an ``exists()``), the row is inserted only when it
    holds, in the same statement; a ``.returning(...)`` says whether it was (asyncpg gives no
    row count for such an insert). A check and its insert are then one trip to the database,
    and nothing can change between them."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {name: value for name, value in row.model_dump().items()
              if value is not None or not table.c[name].primary_key}
    if only_if is None:
        return insert(table).values(values)
    chosen = select(*(literal(value, table.c[name].type) for name, value in values.items()))
    return insert(table).from_select(list(values), chosen.where(only_if))


LOCAL_USER_ID = "local"
"""The one user of ``AUTH_MODE=local`` (and the owner of projects made before accounts)."""


class Role:
    USER = "user"
    # Lists users and usage, and may stop anyone's job.
    ADMIN = "admin"


class User(SQLModel, table=True):
    """A person (or a script's account). Signs in with GitHub, or uses API tokens."""

    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(unique=True)
    role: str = Role.USER
    # Set once the person signed in with GitHub: their numeric GitHub id and login.
    github_id: int | None = Field(default=None, unique=True, sa_type=BigInteger)
    github_login: str | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ApiToken(SQLModel, table=True):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    name: str = ""
    token_hash: str = Field(unique=True)
    # The token's first characters, so a person can tell their tokens apart.
    prefix: str
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class AuthSession(SQLModel, table=True):
    """A browser's sign-in. The cookie holds the session's secret; the row only its SHA-256."""

    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    secret_hash: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class OAuthAttempt(SQLModel, table=True):
    """A sign-in that went to the provider and has not come back: its ``state`` (hashed) and
    PKCE verifier. Used once: the callback deletes it, so a replayed callback finds nothing."""

    state_hash: str = Field(primary_key=True)
    code_verifier: str
    # Where to go after signing in (a path of ours).
    next_path: str = "/"
    created_at: datetime = Field(default_factory=utcnow)


class UserSecret(SQLModel, table=True):
    """A credential of a user's (a GitHub access token, ...), encrypted with the operator's
    key (``SECRETS_KEY``) before it is stored."""

    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    name: str
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Scrape(SQLModel, table=True):
    """A site as the scraper read it for a user: its pages (``ScrapedPage`` each, the first
    the one asked for) and the first page's screenshot. A clone job's generation reads it by
    id; the gateway serves it, and the screenshot, to its user only."""

    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    # The project a clone read it for (its thumbnail is the screenshot); none for a scrape
    # asked on its own. Deleted with the project.
    project_id: str | None = Field(default=None, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    title: str = ""
    provider: str = "local"
    pages: list[dict[str, Any]] = Field(default_factory=list,
                                        sa_column=Column(JSON, nullable=False))
    # A PNG, or why there is none.
    screenshot: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    screenshot_note: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Project(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str
    # Who may see and change it; a project made outside the gateway (a worker's test, a script
    # on the database) belongs to the local user. Stays nullable for rows of old releases.
    owner_id: str | None = Field(default=LOCAL_USER_ID, index=True)
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
    # Stopped by its owner (or an admin) before it ended.
    CANCELLED = "cancelled"
    TERMINAL = frozenset({COMPLETE, ERROR, CANCELLED})


class Job(SQLModel, table=True):
    # A project's turns newest first (its history for the model, the studio's list): read
    # from the end of the index, not found by sorting every job the project ever had.
    __table_args__ = (Index("ix_job_project_id_created_at", "project_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = Field(foreign_key="project.id", index=True)
    kind: str
    # Who started it; workers act on the project only for its owner.
    user_id: str | None = Field(default=None, index=True)
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
    # No foreign key: a deleted project's spend stays on its owner's ledger.
    project_id: str = Field(index=True)
    user_id: str | None = Field(default=None, index=True)
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


class BatchStatus:
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"
    ENDED = frozenset({CANCELLED, DONE})


class ItemStatus:
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TERMINAL = frozenset({DONE, FAILED, CANCELLED})


class Batch(SQLModel, table=True):
    """Many sites cloned for one user, each an item worked by the batch workers."""

    id: str = Field(default_factory=new_id, primary_key=True)
    user_id: str = Field(foreign_key="user.id", index=True)
    name: str = ""
    status: str = BatchStatus.RUNNING
    # What every clone of the batch is asked: pages read, model, the person's wishes, and
    # whether each copy is built for production afterwards.
    pages: int = 1
    model: str | None = None
    prompt: str = Field(default="", sa_column=Column(Text, nullable=False))
    build_check: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BatchItem(SQLModel, table=True):
    """One URL of a batch: its pipeline's step, attempts, the project and jobs it made."""

    __table_args__ = (UniqueConstraint("batch_id", "position"),)
    id: str = Field(default_factory=new_id, primary_key=True)
    batch_id: str = Field(foreign_key="batch.id", index=True)
    position: int
    url: str = Field(sa_column=Column(Text, nullable=False))
    status: str = ItemStatus.QUEUED
    # clone, build or export: where the pipeline is (or ended).
    step: str = ""
    attempts: int = 0
    project_id: str | None = None
    job_id: str | None = None
    build_job_id: str | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    # Every failed attempt's reason, in order (retries made visible).
    failures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class GitLink(SQLModel, table=True):
    """A project linked to a git remote: every version it gets is committed and pushed there,
    in order, in the background. ``head`` is where the last push left ``branch``."""

    project_id: str = Field(primary_key=True, foreign_key="project.id")
    user_id: str = Field(foreign_key="user.id", index=True)
    remote_url: str = Field(sa_column=Column(Text, nullable=False))
    branch: str = "main"
    # The name of the user's secret (``UserSecret``) holding the token; None: no token.
    secret: str | None = None
    username: str = "x-access-token"
    head: str | None = None
    pushed_version: int = 0
    # linked, synced, moved (pushed to a new branch: the remote's had moved) or failed.
    status: str = "linked"
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GitPush(SQLModel, table=True):
    """One version pushed as one commit (a version is never pushed twice)."""

    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: str = Field(index=True)
    version: int
    branch: str
    commit: str
    moved: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Site(SQLModel, table=True):
    """A project's published site, served by the gateway at ``/sites/<slug>/``: the build of
    ``live_publish_id`` (None: unpublished). ``auto_publish``: each sync to the project's git
    remote publishes its newest version too. The Vercel project name and Netlify site id are
    kept so that the next deploy updates the same site."""

    project_id: str = Field(primary_key=True, foreign_key="project.id")
    user_id: str = Field(foreign_key="user.id", index=True)
    slug: str = Field(unique=True)
    live_publish_id: str | None = None
    auto_publish: bool = False
    vercel_project: str | None = None
    netlify_site_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PublishStatus:
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class Publish(SQLModel, table=True):
    """One production build of a version, immutable once ``ready`` (its files in
    ``PublishFile``, its deploys elsewhere in ``Deploy``); rolling back makes an earlier one
    live again."""

    id: str = Field(default_factory=new_id, primary_key=True)
    project_id: str = Field(index=True)
    version: int
    job_id: str | None = None
    status: str = PublishStatus.BUILDING
    error: str | None = Field(default=None, sa_column=Column(Text))
    files: int = 0
    bytes: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Deploy(SQLModel, table=True):
    """A publish sent on to a provider (vercel, netlify): ``status`` is deploying, ready (live
    at ``url``) or failed (``error``). A row of its own per provider, so two deploys of one
    publish never write over each other."""

    publish_id: str = Field(primary_key=True)
    provider: str = Field(primary_key=True)
    job_id: str
    status: str = "deploying"
    url: str | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow)


class PublishFile(SQLModel, table=True):
    """One file of a publish's ``dist/``, served as it is."""

    publish_id: str = Field(primary_key=True)
    path: str = Field(primary_key=True)
    media_type: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Database:
    """An async engine and session factory; one per process, passed down, never global."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # A server's connections may die under the pool (a restart, a failover): each is
        # pinged as it is taken. A SQLite file's cannot, and the ping would double the cost
        # of every short statement (a claim: 3.1 ms with it, 1.6 ms without).
        kwargs: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            # Several service processes share the file: wait on locks instead of failing.
            kwargs["connect_args"] = {"timeout": 30}
            # Kept, not made and dropped: a connection is a thread and four pragmas, and a
            # worker running dozens of jobs outgrew the default 5 (+10 made for a moment)
            # many times a second. (A database in memory has one connection, no pool.)
            database = make_url(url).database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                kwargs["pool_size"] = 64
            if "+aiosqlite" in url:
                # One trip to the driver's thread a statement, not four (see the module).
                kwargs["module"] = sqlite_driver.dbapi()
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if "+aiosqlite" in url:
                sqlite_driver.listen(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def write(self, stmt: Any) -> list[Any]:
        """Run one write as a transaction of its own, committed with the statement
        (:data:`COMMIT_NOW`); returns what it returns (``RETURNING``), a value a row."""
        async with self.session() as s:
            result = await s.exec(stmt, execution_options=COMMIT_NOW)
            # Without RETURNING, a CursorResult that has no rows (with it, the ORM's own).
            returns = not isinstance(result, CursorResult) or result.returns_rows
            rows = list(result.scalars().all()) if returns else []
            await s.commit()
        return rows

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (see ``paynto_common.migrations``); every
        service does this on start. Processes starting together take turns: the first
        migrates, the others find nothing left to do. A database made before migrations is
        adopted with its rows."""
        from paynto_common import migrations

        async with self.engine.connect() as conn:
            if await conn.run_sync(migrations.is_current):
                return
        # Blocking (a lock wait, then DDL) on a connection of its own: off the event loop.
        await asyncio.to_thread(migrations.migrate, self.url)

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

    async def claim_job(self, job_id: str, attempt: int | None = None, *,
                        user_id: str | None = None) -> Job | None:
        """Mark a job running (with its delivery's attempt), in one statement that also reads
        what is stored on it; None when it already ended (a late redelivery, or cancelled:
        nothing to do). Every worker starts every job with this.

        A job acts for one user (``user_id``, the message's, else the row's): a job for a
        project its user does not own fails for good, before anything is done."""
        fields: dict[str, Any] = {} if attempt is None else {"attempts": attempt}
        # One statement in the usual case (the check is part of the update): every job of
        # every worker starts here, so a second round trip would be paid on each.
        def owned_by(acting: Any) -> Any:
            return exists().where(col(Project.id) == col(Job.project_id),
                                  col(Project.owner_id) == acting)

        allowed = (owned_by(user_id) if user_id is not None
                   else or_(col(Job.user_id).is_(None), owned_by(col(Job.user_id))))
        stmt = (
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).not_in(JobStatus.TERMINAL), allowed)
            .values(status=JobStatus.RUNNING, updated_at=utcnow(), **fields)
            .returning(Job)
        )
        async with self.session() as s:
            job = (await s.exec(stmt, execution_options=COMMIT_NOW)).scalars().first()
            await s.commit()
            if job is not None:
                return job
            stored = await s.get(Job, job_id)
        if stored is None:
            raise PermanentJobError(f"unknown job {job_id}")
        if stored.status in JobStatus.TERMINAL:
            return None
        raise PermanentJobError(
            f"job {job_id} acts for user {user_id or stored.user_id}, who does not own "
            f"project {stored.project_id}")

    async def job(self, job_id: str) -> Job | None:
        async with self.session() as s:
            return await s.get(Job, job_id)

    async def set_job_status(self, job_id: str, status: str, **fields: Any) -> Job | None:
        """Move a job on, in one statement. A terminal job stays as it is (a late redelivery
        or failure cannot reopen or overwrite it): then, as for an unknown id, the stored row
        (or None) is returned unchanged. The one move that ends a job counts it in
        ``paynto_jobs_finished_total`` (so each job once, in whichever process ends it)."""
        stmt = (
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).not_in(JobStatus.TERMINAL))
            .values(status=status, updated_at=utcnow(), **fields)
            .returning(Job)
        )
        async with self.session() as s:
            job = (await s.exec(stmt, execution_options=COMMIT_NOW)).scalars().first()
            await s.commit()
            if job is None:
                return await s.get(Job, job_id)
        if status in JobStatus.TERMINAL:
            metrics.job_finished(job.kind, status, job.created_at)
        return job


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _sqlite_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_wal(cur: Any, attempts: int = 600) -> None:
    """Put the database in WAL mode. Switching needs an exclusive lock, and SQLite answers
    "database is locked" at once, without the busy timeout, when waiting could deadlock
    (two processes opening a new database together, one of them already migrating it).
    The mode is kept in the file, so only the first opening ever switches; the others
    find it set, and those racing it wait a moment and look again."""
    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode")
            if str(cur.fetchone()[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # sqlite3's, or the async driver's adaptation of it
            if "database is locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)
