"""Model jobs and every job's record: generate and apply (their events as SSE), the models a
generation may name, a job's row and its events from any point, and a project's turns (its
jobs, newest first)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import and_, or_
from sqlmodel import col, select
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobDep,
    JobRateLimit,
    LastEventId,
    LinksDep,
    ProjectDep,
    SettingsDep,
    UserDep,
    load_job,
    unknown,
)
from gateway.api.schemas import ApplyBody, GenerateBody, JobOut, TurnOut
from gateway.auth import PreviewLinks
from gateway.jobs import cancel_job, event_stream, start_job, start_model_job
from paynto_common.answer import parse_answer, summarize_answer
from paynto_common.db import Job, JobStatus, new_id
from paynto_common.messages import (
    JOB_KINDS,
    ApplyRequest,
    GenerateRequest,
    ModelsReply,
    ModelsRequest,
)

router = APIRouter()


@router.post("/api/generate-ai-code-stream", dependencies=[JobRateLimit])
async def generate(body: GenerateBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                   user: UserDep, links: LinksDep) -> EventSourceResponse:
    message = GenerateRequest(job_id=new_id(), project_id=body.project_id, prompt=body.prompt,
                              model=body.model)
    return await start_model_job(bus, db, settings, user, links, kind="generate",
                                 message=message)


@router.post("/api/apply-ai-code-stream", dependencies=[JobRateLimit])
async def apply(body: ApplyBody, bus: BusDep, db: DbDep, user: UserDep,
                links: LinksDep) -> EventSourceResponse:
    message = ApplyRequest(job_id=new_id(), project_id=body.project_id, response=body.response)
    job = await start_job(bus, db, user, kind="apply", message=message)
    return event_stream(bus, job.id, links=(links, job.project_id))


@router.get("/api/models")
async def models(bus: BusDep) -> dict[str, Any]:
    """The models the generators can use, and which is the default, fast and fallback one."""
    try:
        reply = await bus.request(bus.subjects.generator_models, ModelsRequest(), ModelsReply,
                                  timeout=3)
    except TimeoutError as exc:
        raise HTTPException(503, "no generator answered; is one running?") from exc
    return {"models": [model.model_dump() for model in reply.models]}


@router.get("/api/jobs/{job_id}/events")
async def job_events(after: LastEventId, job: JobDep, bus: BusDep,
                     links: LinksDep) -> EventSourceResponse:
    return event_stream(bus, job.id, after, links=(links, job.project_id))


async def _cancellable(job_id: str, db: DbDep, user: UserDep) -> Job:
    """The job to cancel: the user's own, or anyone's for an admin; else 404."""
    if user.is_admin:
        found = await db.job(job_id)
        if found is None:
            raise unknown("job", job_id)
        return found
    return await load_job(job_id, db, user)


@router.post("/api/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel(job: Annotated[Job, Depends(_cancellable)], bus: BusDep, db: DbDep,
                 user: UserDep) -> Job:
    """Stop a queued or running job; its stream ends with ``cancelled``. A job that already
    ended answers 409 with how it ended."""
    if not await cancel_job(bus, db, job.id, by=user.id):
        ended = await db.job(job.id)
        raise HTTPException(409, f"job {job.id} has already ended "
                                 f"({ended.status if ended else 'deleted'})")
    stopped = await db.job(job.id)
    assert stopped is not None
    return stopped


@router.get("/api/jobs/{job_id}", response_model=JobOut)
async def job_status(job: JobDep, links: LinksDep) -> Job:
    if job.result:
        job.result = links.sign(job.project_id, job.result)
    return job


async def _kinds(kinds: str | None = None) -> list[str] | None:
    """``?kinds=generate,restore`` as a list of known kinds (422 naming the unknown ones)."""
    if kinds is None:
        return None
    wanted = [kind.strip() for kind in kinds.split(",") if kind.strip()]
    strange = [kind for kind in wanted if kind not in JOB_KINDS]
    if strange or not wanted:
        raise HTTPException(422, f"kinds: unknown job kind(s) {', '.join(strange) or '(none)'}"
                                 f"; the kinds are {', '.join(JOB_KINDS)}")
    return wanted


@router.get("/api/projects/{project_id}/jobs", response_model=list[TurnOut])
async def project_jobs(project: ProjectDep, db: DbDep, links: LinksDep,
                       kinds: Annotated[list[str] | None, Depends(_kinds)],
                       limit: Annotated[int, Query(ge=1, le=100)] = 30,
                       before: str | None = None, active: bool = False) -> list[TurnOut]:
    """The project's jobs, newest first: ``before`` a job of it (the next page), of some
    ``kinds``, or only the ``active`` (queued and running) ones, which a browser that did not
    start a job looks for to follow it."""
    query = select(Job).where(Job.project_id == project.id)
    if before is not None:
        async with db.session() as s:
            mark = await s.get(Job, before)
        if mark is None or mark.project_id != project.id:
            raise unknown("job", before)
        # Ties on the time are broken by id, as the order is, so no job is shown twice.
        query = query.where(or_(col(Job.created_at) < mark.created_at,
                                and_(col(Job.created_at) == mark.created_at,
                                     col(Job.id) < mark.id)))
    if kinds is not None:
        query = query.where(col(Job.kind).in_(kinds))
    if active:
        query = query.where(col(Job.status).in_((JobStatus.QUEUED, JobStatus.RUNNING)))
    async with db.session() as s:
        rows = (await s.exec(query.order_by(col(Job.created_at).desc(), col(Job.id).desc())
                             .limit(limit))).all()
    return [TurnOut(id=job.id, kind=job.kind, status=job.status, prompt=job.prompt,
                    model=job.model, created_at=job.created_at, updated_at=job.updated_at,
                    error=job.error, explanation=_explanation(job.response),
                    result=_turn_result(links, job))
            for job in rows]


def _explanation(response: str | None) -> str | None:
    """What the model said it did: its ``<explanation>``, else a short account of its answer."""
    if not response:
        return None
    said = parse_answer(response).explanation
    return " ".join(said.split())[:600] if said else summarize_answer(response)


def _turn_result(links: PreviewLinks, job: Job) -> dict[str, Any] | None:
    """The job's result as the history shows it: preview links signed, and without the full
    model answers of its fix rounds (``GET /api/jobs/{id}`` still has them)."""
    if not job.result:
        return None
    return links.sign(job.project_id, {k: v for k, v in job.result.items() if k != "fixes"})
