"""Jobs handed from the replica that received them to the replica owning the project's sandbox.

The job's JetStream delivery stays with the receiving replica, which keeps it in progress while
the owner works and acks, retries or fails it by the owner's answer. Forwarding is a core NATS
request to the owner's own subject: if the owner dies meanwhile, its registry entry expires,
the receiver stops waiting and the delivery is retried, so nothing is lost and, since every job
handler is idempotent, nothing is done twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from paynto_common.bus import Bus, PermanentJobError
from paynto_common.messages import ForwardedJob, ForwardedOutcome
from sandbox_pool.registry import Registry

log = logging.getLogger(__name__)

# Runs a job here: (job subject, job bytes).
Runner = Callable[[str, bytes], Awaitable[None]]


class OwnerLostError(RuntimeError):
    """The replica a job was forwarded to went away before it answered."""


class Forwarder:
    """Forwards jobs to their owner replica, and runs with ``run`` those forwarded here."""

    def __init__(self, bus: Bus, registry: Registry, run: Runner) -> None:
        self.bus = bus
        self.registry = registry
        self.run = run
        self._stop: Callable[[], Awaitable[None]] | None = None

    async def serve(self) -> None:
        """Take jobs forwarded to this replica."""
        subject = self.bus.subjects.sandbox_replica(self.registry.replica_id)
        self._stop = await self.bus.serve(subject, ForwardedJob, self._answer)

    async def close(self) -> None:
        if self._stop is not None:
            await self._stop()
            self._stop = None

    async def _answer(self, job: ForwardedJob) -> ForwardedOutcome:
        try:
            await self.run(job.subject, job.data.encode())
        except PermanentJobError as exc:
            return ForwardedOutcome(error=str(exc), permanent=True)
        except Exception as exc:
            log.warning("forwarded job on %s failed: %s", job.subject, exc)
            return ForwardedOutcome(error=f"{type(exc).__name__}: {exc}")
        return ForwardedOutcome(ok=True)

    async def forward(self, owner: str, subject: str, data: bytes) -> None:
        """Run a job on ``owner`` and return when it finished there; raise PermanentJobError
        for a permanent failure, OwnerLostError or RuntimeError for one worth retrying."""
        try:
            outcome = await self.bus.request(
                self.bus.subjects.sandbox_replica(owner),
                ForwardedJob(subject=subject, data=data.decode()),
                ForwardedOutcome,
                # Asked again after each beat without an answer: is the owner still there?
                timeout=self.registry.ttl / 3,
                keep_waiting=lambda: self.registry.alive(owner),
            )
        except TimeoutError:
            raise OwnerLostError(f"replica {owner} went away while running the job") from None
        if outcome.ok:
            return
        message = outcome.error or "the owner replica failed the job"
        if outcome.permanent:
            raise PermanentJobError(message)
        raise RuntimeError(f"on replica {owner}: {message}")
