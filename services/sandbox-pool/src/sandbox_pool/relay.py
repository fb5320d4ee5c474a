"""A live preview's errors, onto its project's channel (``GET /api/projects/{id}/events``), as
the manager's error watcher picks them out of the dev server's output."""

from __future__ import annotations

import asyncio

from paynto_common.bus import Bus
from paynto_common.messages import PreviewError, project_channel


class PreviewErrorRelay:
    """Publishes each error it is told of, without holding up the server's output reader."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._pending: set[asyncio.Task[int]] = set()

    def __call__(self, project_id: str, error: PreviewError) -> None:
        task = asyncio.get_running_loop().create_task(
            self.bus.publish_event(project_channel(project_id), error))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
