"""Liveness, readiness and metrics: what an orchestrator and Prometheus ask."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.api.deps import BusDep, DbDep
from gateway.ratelimit import RateLimiter
from paynto_common.service import metrics_response, readiness

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, bus: BusDep, db: DbDep) -> JSONResponse:
    """Ready when NATS, the database and Redis answer; else 503 naming what does not."""
    limiter: RateLimiter = request.app.state.limiter

    async def redis() -> bool:
        # The limiter's client: its short socket timeouts bound the wait.
        try:
            return bool(await limiter.redis.ping())
        except Exception:
            return False

    return await readiness({"nats": bus.ping, "database": db.ping, "redis": redis})


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics() -> Response:
    return metrics_response()
