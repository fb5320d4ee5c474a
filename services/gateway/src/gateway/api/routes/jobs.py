"""Model jobs and every job's record: generate and apply (their events as SSE), the models a
generation may name, a job's row and its events from any point."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobDep,
    JobRateLimit,
    LastEventId,
    LinksDep,
    SettingsDep,
    UserDep,
    load_job,
    unknown,
)
from gateway.api.schemas import ApplyBody, GenerateBody, JobOut
from gateway.jobs import cancel_job, event_stream, start_job, start_model_job
from paynto_common.db import Job, new_id
from paynto_common.messages import ApplyRequest, GenerateRequest, ModelsReply, ModelsRequest

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
