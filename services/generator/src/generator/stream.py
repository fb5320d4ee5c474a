"""A model's text on its way to the client, as ``stream`` events."""

from __future__ import annotations

import asyncio
import contextlib

from paynto_common.bus import Bus
from paynto_common.messages import StreamDelta


class StreamPublisher:
    """Publishes a model's text as ``stream`` events without holding the model back.

    The first delta goes out at once. After each event the publisher lets ``gap`` seconds
    pass (an imperceptible 25 ms) and then sends everything that arrived meanwhile as one
    event: a model at 100 tokens a second makes ~40 events a second instead of 100, and the
    offline generator's few hundred chunks become one or two, for every client to relay.
    A model slower than the gap still gets one event per delta.
    """

    def __init__(self, bus: Bus, job_id: str, attempt: int, gap: float = 0.025) -> None:
        self.bus = bus
        self.job_id = job_id
        self.attempt = attempt
        self.gap = gap
        self._pending: list[str] = []
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def add(self, text: str) -> None:
        if self._task.done():
            self._task.result()  # the bus failed: raise it here, in the job
        self._pending.append(text)
        self._wake.set()

    async def close(self) -> None:
        """Publish what is left at once and stop; raises if a publish failed."""
        self._closing.set()
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._pending:
                text = "".join(self._pending)
                self._pending.clear()
                await self.bus.publish_event(self.job_id,
                                             StreamDelta(text=text, attempt=self.attempt))
                if not self._closing.is_set():
                    # Gather what arrives in the gap; closing ends the wait early.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), self.gap)
                if self._pending:
                    self._wake.set()
            if self._closing.is_set() and not self._pending:
                return
