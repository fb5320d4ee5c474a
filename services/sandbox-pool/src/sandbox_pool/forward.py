"""Jobs handed from the replica that received them to the replica owning the project's sandbox.

The job's JetStream delivery stays with the receiving replica, which keeps it in progress while
the owner works and acks, retries or fails it by the owner's answer. Forwarding is a core NATS
request to the owner's own subject: if the owner dies meanwhile, its registry entry expires,
the receiver stops waiting and the delivery is retried, so nothing is lost and, since every job
handler is idempotent, nothing is done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg

from paynto_common.bus import Bus, PermanentJobError
from sandbox_pool.registry import Registry

log = logging.getLogger(__name__)

SUBJECT_HEADER = "Paynto-Job-Subject"
# Runs a job here: (job subject, job bytes, headers).
Runner = Callable[[str, bytes, dict[str, str]], Awaitable[None]]


class OwnerLostError(RuntimeError):
    """The replica a job was forwarded to went away before it answered."""


class Forwarder:
    def __init__(self, bus: Bus, registry: Registry, run: Runner) -> None:
        self.bus = bus
        self.registry = registry
        self.run = run
        self._sub: object | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Take jobs forwarded to this replica."""
        subject = self.bus.subjects.sandbox_replica(self.registry.replica_id)
        self._sub = await self.bus.nc.subscribe(subject, cb=self._on_message)

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()  # type: ignore[attr-defined]
        for task in list(self._tasks):
            task.cancel()

    async def _on_message(self, msg: Msg) -> None:
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: Msg) -> None:
        headers = dict(msg.headers or {})
        subject = headers.pop(SUBJECT_HEADER, "")
        answer: dict[str, object]
        try:
            await self.run(subject, msg.data, headers)
            answer = {"ok": True}
        except PermanentJobError as exc:
            answer = {"error": str(exc), "permanent": True}
        except Exception as exc:
            log.warning("forwarded job on %s failed: %s", subject, exc)
            answer = {"error": f"{type(exc).__name__}: {exc}", "permanent": False}
        if msg.reply:
            await self.bus.nc.publish(msg.reply, json.dumps(answer).encode())

    async def forward(self, owner: str, subject: str, data: bytes,
                      headers: dict[str, str]) -> None:
        """Run a job on ``owner`` and return when it finished there; raise PermanentJobError
        for a permanent failure, OwnerLostError or RuntimeError for one worth retrying."""
        nc = self.bus.nc
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox, max_msgs=1)
        try:
            await nc.publish(self.bus.subjects.sandbox_replica(owner), data, reply=inbox,
                             headers={**headers, SUBJECT_HEADER: subject})
            while True:
                try:
                    reply = await sub.next_msg(timeout=self.registry.ttl / 3)
                    break
                except TimeoutError:
                    if not await self.registry.alive(owner):
                        raise OwnerLostError(
                            f"replica {owner} went away while running the job") from None
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        answer = json.loads(reply.data)
        if answer.get("ok"):
            return
        message = str(answer.get("error", "the owner replica failed the job"))
        if answer.get("permanent"):
            raise PermanentJobError(message)
        raise RuntimeError(f"on replica {owner}: {message}")
