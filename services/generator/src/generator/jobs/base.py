"""What every job kind of the generator is given."""

from __future__ import annotations

from generator.calls import ModelCalls
from generator.settings import GeneratorSettings
from paynto_common.bus import Bus
from paynto_common.db import Database


class JobHandler:
    """A kind of job: its ``handle(request, attempt)`` is a route of the worker."""

    def __init__(self, settings: GeneratorSettings, bus: Bus, db: Database,
                 calls: ModelCalls) -> None:
        self.settings = settings
        self.bus = bus
        self.db = db
        self.calls = calls
