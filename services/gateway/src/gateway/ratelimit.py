"""A per-client limit on starting jobs, kept in Redis so every gateway replica shares it.

Fixed one-minute windows: simple, and exact enough for "don't let one client flood the
model". When Redis does not answer the request goes through (logged): losing the limiter for
a moment is better than refusing everyone's work.
"""

from __future__ import annotations

import logging
import math
import time

from fastapi import HTTPException, Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
WINDOW_S = 60


class RateLimiter:
    def __init__(self, redis: Redis, per_minute: int, prefix: str) -> None:
        self.redis = redis
        self.per_minute = per_minute
        self.prefix = prefix

    async def retry_after(self, client: str) -> float | None:
        """None when ``client`` may start another job now, else the seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // WINDOW_S)
        key = f"{self.prefix}:jobs:{client}:{window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_S * 2)
                count, _ = await pipe.execute()
        except RedisError as exc:
            log.warning("rate limiter unavailable, letting the request through: %s", exc)
            return None
        if int(count) <= self.per_minute:
            return None
        return (window + 1) * WINDOW_S - now

    async def check(self, request: Request) -> None:
        """Raise 429 with ``Retry-After`` when the caller started too many jobs this minute."""
        client = request.client.host if request.client else "unknown"
        wait = await self.retry_after(client)
        if wait is not None:
            raise HTTPException(
                429,
                f"too many jobs: at most {self.per_minute} a minute; try again in "
                f"{math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
