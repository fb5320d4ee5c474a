"""Model jobs and every job's record: generate and apply (their events as SSE), the models a
generation may name, a job's row and its events from any point."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sse_starlette import EventSourceResponse

from gateway.api.deps import (
    BusDep,
    DbDep,
    JobDep,
    JobRateLimit,
    LastEventId,
    SettingsDep,
    UserDep,
)
from gateway.api.schemas import ApplyBody, GenerateBody, JobOut
from gateway.jobs import event_stream, start_job, start_model_job
from paynto_common.db import Job, new_id
from paynto_common.messages import ApplyRequest, GenerateRequest, ModelsReply, ModelsRequest

router = APIRouter()


@router.post("/api/generate-ai-code-stream", dependencies=[JobRateLimit])
async def generate(body: GenerateBody, bus: BusDep, db: DbDep, settings: SettingsDep,
                   user: UserDep) -> EventSourceResponse:
    message = GenerateRequest(job_id=new_id(), project_id=body.project_id, prompt=body.prompt,
                              model=body.model, user_id=user)
    return await start_model_job(bus, db, settings, kind="generate", message=message)


@router.post("/api/apply-ai-code-stream", dependencies=[JobRateLimit])
async def apply(body: ApplyBody, bus: BusDep, db: DbDep) -> EventSourceResponse:
    message = ApplyRequest(job_id=new_id(), project_id=body.project_id, response=body.response)
    job = await start_job(bus, db, kind="apply", message=message)
    return event_stream(bus, job.id)


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
async def job_events(after: LastEventId, job: JobDep, bus: BusDep) -> EventSourceResponse:
    return event_stream(bus, job.id, after)


@router.get("/api/jobs/{job_id}", response_model=JobOut)
async def job_status(job: JobDep) -> Job:
    return job
