"""The database layer on real SQLite and Postgres."""

from __future__ import annotations

import pytest
from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update

from paynto_common.db import (
    COMMIT_NOW,
    Database,
    Job,
    JobStatus,
    ModelCall,
    Project,
    User,
    Version,
    insert_of,
)
from paynto_common.errors import PermanentJobError
from paynto_common.testing.worker import new_job


async def test_job_moves_on_but_a_terminal_job_stays(database: Database) -> None:
    job = await new_job(database, "generate")
    running = await database.set_job_status(job.id, JobStatus.RUNNING, attempts=2)
    assert running is not None and (running.status, running.attempts) == ("running", 2)
    done = await database.set_job_status(job.id, JobStatus.COMPLETE, result={"version": 1})
    assert done is not None and done.status == "complete"
    # A late failure or redelivery leaves the finished job as it was.
    late = await database.set_job_status(job.id, JobStatus.ERROR, error="late")
    assert late is not None and (late.status, late.error) == ("complete", None)
    again = await database.set_job_status(job.id, JobStatus.RUNNING)
    assert again is not None and again.status == "complete"
    assert await database.set_job_status("missing", JobStatus.RUNNING) is None


async def test_claiming_a_job_marks_it_running_once_it_is_over_nothing_is_left(
        database: Database) -> None:
    job = await new_job(database, "generate")
    claimed = await database.claim_job(job.id, attempt=2)
    assert claimed is not None and (claimed.status, claimed.attempts) == ("running", 2)
    await database.set_job_status(job.id, JobStatus.COMPLETE)
    # A redelivery after the job ended: nothing to do.
    assert await database.claim_job(job.id, attempt=3) is None
    with pytest.raises(PermanentJobError, match="unknown job missing"):
        await database.claim_job("missing")


async def test_a_job_is_claimed_only_for_the_user_who_owns_its_project(
        database: Database) -> None:
    """The message's user, else the row's, must own the project: a job acting for anyone
    else fails for good and is left as it was, not marked running."""
    async with database.session() as s:
        owner, other = User(name="owner"), User(name="other")
        s.add_all([owner, other])
        await s.flush()
        project = Project(name="theirs", owner_id=owner.id)
        s.add(project)
        await s.flush()
        mine = Job(project_id=project.id, kind="generate", user_id=owner.id)
        forged = Job(project_id=project.id, kind="generate", user_id=other.id)
        s.add_all([mine, forged])
        await s.commit()
    with pytest.raises(PermanentJobError, match=f"user {other.id}, who does not own"):
        await database.claim_job(mine.id, attempt=1, user_id=other.id)
    with pytest.raises(PermanentJobError, match="does not own"):
        await database.claim_job(forged.id, attempt=1)
    for job_id in (mine.id, forged.id):
        stored = await database.job(job_id)
        assert stored is not None and stored.status == JobStatus.QUEUED
    claimed = await database.claim_job(mine.id, attempt=1, user_id=owner.id)
    assert claimed is not None and claimed.status == JobStatus.RUNNING
    assert (await database.claim_job(mine.id, attempt=2)) is not None  # the row's own user


async def test_one_version_per_job_and_per_number(database: Database) -> None:
    job = await new_job(database, "generate")
    async with database.session() as s:
        s.add(Version(project_id=job.project_id, number=1, job_id=job.id, files={"a": "1"}))
        await s.commit()
    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(Version(project_id=job.project_id, number=2, job_id=job.id, files={}))
            await s.commit()
    latest = await database.latest_version(job.project_id)
    assert latest is not None and latest.files == {"a": "1"}


async def test_a_job_needs_a_real_project(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(Job(project_id="missing", kind="generate"))
            await s.commit()


async def test_insert_of_writes_a_row_as_built(database: Database) -> None:
    """``insert_of`` (the INSERT a last write commits with, COMMIT_NOW) stores every field
    the row was built with, and leaves an id the database assigns to the database."""
    job = await new_job(database, "generate")
    calls = [ModelCall(job_id=job.id, project_id=job.project_id, model="m", purpose="answer",
                       prompt_tokens=n, cost_usd=0.5) for n in (1, 2)]
    for call in calls:
        async with database.session() as s:
            await s.exec(insert_of(call), execution_options=COMMIT_NOW)
            await s.commit()
    async with database.session() as s:
        stored = (await s.exec(select(ModelCall).order_by(col(ModelCall.id)))).all()
    assert [(c.prompt_tokens, c.cost_usd, c.created_at.replace(tzinfo=None)) for c in stored] \
        == [(c.prompt_tokens, c.cost_usd, c.created_at.replace(tzinfo=None)) for c in calls]
    ids = [c.id for c in stored]
    assert None not in ids and len(set(ids)) == 2


async def test_insert_of_only_if_inserts_when_the_condition_holds(database: Database) -> None:
    """With ``only_if``, the check and the insert are one statement: a row when it holds
    (stored as a plain insert_of stores it), nothing when it does not."""
    job = await new_job(database, "generate")
    owned = exists().where(col(Project.id) == job.project_id, col(Project.owner_id) == "nobody")
    mine = exists().where(col(Project.id) == job.project_id)
    refused = Job(project_id=job.project_id, kind="generate", prompt="no")
    taken = Job(project_id=job.project_id, kind="generate", prompt="yes", attempts=2)
    async with database.session() as s:
        assert (await s.exec(insert_of(refused, only_if=owned)
                             .returning(col(Job.id)))).all() == []
        assert (await s.exec(insert_of(taken, only_if=mine).returning(col(Job.id)),
                             execution_options=COMMIT_NOW)).all() == [(taken.id,)]
        await s.commit()
    assert await database.job(refused.id) is None
    stored = await database.job(taken.id)
    assert stored is not None
    assert stored.model_dump(exclude={"created_at", "updated_at"}) \
        == taken.model_dump(exclude={"created_at", "updated_at"})
    assert stored.created_at.replace(tzinfo=None) == taken.created_at.replace(tzinfo=None)


async def test_write_is_a_transaction_of_its_own_and_returns_what_it_returns(
        database: Database) -> None:
    job = await new_job(database, "generate")
    assert await database.write(update(Job).where(col(Job.id) == job.id)
                                .values(model="m")) == []
    [model] = await database.write(update(Job).where(col(Job.id) == job.id)
                                   .values(attempts=3).returning(col(Job.model)))
    assert model == "m"
    stored = await database.job(job.id)
    assert stored is not None and (stored.model, stored.attempts) == ("m", 3)
