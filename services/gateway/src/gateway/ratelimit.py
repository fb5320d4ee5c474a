"""Limits on starting jobs, per user and per client address, kept in Redis so every gateway
replica shares them.

Two buckets count every attempt to start a job: the user's (``RATE_LIMIT_JOBS_PER_MINUTE``)
and the client address's (``RATE_LIMIT_ADDRESS_PER_MINUTE``, by default a few users' worth,
since an office or a carrier's NAT puts many people behind one address). Either one full answers
429 with ``Retry-After`` and says which. The user bucket stops one account flooding the models
from many addresses; the address bucket stops one address hiding behind many accounts. The
address is :func:`gateway.client_address.client_address`: behind a load balancer it is the
client, not the balancer, only when the balancer is in ``TRUSTED_PROXIES``.

Fixed one-minute windows: simple, and exact enough for "don't let one client flood the model".

When Redis does not answer, what happens is decided by ``AUTH_MODE``:

* ``local``: every request goes through. There is one user on loopback, so there is nobody to
  protect the models from, and refusing them would only stop the one person working.
* ``required``: each gateway process counts in its own memory, with the same limits, until Redis
  answers again. Failing open would let anyone flood the models for as long as the outage lasts
  (an outage an attacker may have caused); failing closed would stop everyone's work because a
  counter is missing. Counting per process keeps each user and address bounded: at most the
  limit times the number of gateway replicas while Redis is away.

An outage is logged once when it starts and once when Redis is back, not per request; while it
lasts Redis is tried again every few seconds, not on every request, so a Redis that hangs
rather than refuses costs one timeout per few seconds, not one per request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.auth import resolve_user
from gateway.client_address import IPNetwork, client_address
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
WINDOW_S = 60
# While Redis is away, how long requests count in memory before Redis is tried again.
OUTAGE_RECHECK_S = 5.0

Outage = Literal["open", "memory"]


@dataclass(frozen=True)
class _Bucket:
    key: str
    limit: int
    refusal: str
    """What the 429 says when this bucket is full."""


@dataclass(frozen=True)
class Refusal:
    """Why a job may not start now, and how long until it may."""

    reasons: list[str]
    wait_s: float

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait_s))

    @property
    def detail(self) -> str:
        return f"{'; '.join(self.reasons)}; try again in {self.retry_after} s"


class _MemoryCounts:
    """One window's counts in this process: the fallback while Redis is away."""

    def __init__(self) -> None:
        self.window = -1
        self.counts: dict[str, int] = {}

    def incr(self, key: str, window: int) -> int:
        if window != self.window:
            # Fixed windows: the last one's counts can never matter again.
            self.window = window
            self.counts.clear()
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


class RateLimiter:
    def __init__(self, redis: Redis, *, per_user: int, per_address: int, prefix: str,
                 proxies: Sequence[IPNetwork] = (), on_outage: Outage = "memory",
                 recheck_s: float = OUTAGE_RECHECK_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.per_user = per_user
        self.per_address = per_address
        self.prefix = prefix
        self.proxies = list(proxies)
        self.on_outage: Outage = on_outage
        self.recheck_s = recheck_s
        # Wall-clock seconds: windows are whole minutes of it, the same on every replica.
        self.clock = clock
        self._memory = _MemoryCounts()
        self._down_since: float | None = None
        self._retry_redis_at = 0.0

    @classmethod
    def from_settings(cls, redis: Redis, settings: GatewaySettings) -> RateLimiter:
        """The limits, trusted proxies and outage rule ``settings`` give (see the module)."""
        return cls(
            redis, per_user=settings.rate_limit_jobs_per_minute,
            per_address=settings.address_jobs_per_minute,
            prefix=f"paynto:{settings.bus_namespace}", proxies=settings.trusted_proxies,
            on_outage="open" if settings.auth_mode == "local" else "memory",
        )

    @property
    def enabled(self) -> bool:
        return self.per_user > 0 or self.per_address > 0

    async def retry_after(self, user_id: str | None, address: str) -> Refusal | None:
        """Count one job for ``user_id`` and ``address``: None when it may start now, else
        why not and for how long."""
        now = self.clock()
        window = int(now // WINDOW_S)
        buckets = []
        if self.per_user > 0 and user_id is not None:
            buckets.append(_Bucket(
                f"{self.prefix}:jobs:user:{user_id}:{window}", self.per_user,
                f"too many jobs: at most {self.per_user} a minute for each user"))
        if self.per_address > 0:
            buckets.append(_Bucket(
                f"{self.prefix}:jobs:address:{address}:{window}", self.per_address,
                f"too many jobs from your address ({address}): at most {self.per_address} a "
                "minute from one address"))
        if not buckets:
            return None
        counts = await self._count([b.key for b in buckets], window)
        if counts is None:
            return None
        reasons = [b.refusal for b, count in zip(buckets, counts, strict=True) if count > b.limit]
        if not reasons:
            return None
        return Refusal(reasons, (window + 1) * WINDOW_S - now)

    async def check(self, request: Request) -> None:
        """Raise 429 with ``Retry-After`` when the caller's user or address started too many
        jobs this minute."""
        if not self.enabled:
            return
        user_id = (await resolve_user(request)).id if self.per_user > 0 else None
        refusal = await self.retry_after(user_id, client_address(request, self.proxies))
        if refusal is not None:
            raise HTTPException(429, refusal.detail,
                                headers={"Retry-After": str(refusal.retry_after)})

    async def _count(self, keys: list[str], window: int) -> list[int] | None:
        """Each key's count after this request; None: let the request through uncounted."""
        if self._down_since is None or time.monotonic() >= self._retry_redis_at:
            try:
                counts = await self._count_in_redis(keys)
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
            else:
                if self._down_since is not None:
                    log.warning("rate limiter: Redis answers again after %.0f s; counting "
                                "there again", time.monotonic() - self._down_since)
                    self._down_since = None
                return counts
        if self.on_outage == "open":
            return None
        return [self._memory.incr(key, window) for key in keys]

    async def _count_in_redis(self, keys: list[str]) -> list[int]:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, WINDOW_S * 2)
            replies = await pipe.execute()
        return [int(count) for count in replies[::2]]

    def _redis_failed(self, exc: BaseException) -> None:
        self._retry_redis_at = time.monotonic() + self.recheck_s
        if self._down_since is not None:
            return
        self._down_since = time.monotonic()
        fallback = ("letting every job through (AUTH_MODE=local: one user, nobody to limit)"
                    if self.on_outage == "open" else
                    "counting in this process's memory, the same limits per gateway replica")
        log.warning("rate limiter: Redis does not answer (%s); %s until it does",
                    str(exc) or type(exc).__name__, fallback)
