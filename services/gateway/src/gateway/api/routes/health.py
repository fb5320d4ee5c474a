"""Liveness, readiness and metrics: what an orchestrator and Prometheus ask."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from gateway.api.deps import BusDep, DbDep
from paynto_common.service import metrics_response, readiness

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(bus: BusDep, db: DbDep) -> JSONResponse:
    return await readiness({"nats": bus.ping, "database": db.ping})


@router.get("/metrics")
async def metrics() -> Response:
    return metrics_response()
