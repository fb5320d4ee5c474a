"""Wiring of the generator: the worker, its routes (one job kind each) and the models it
answers for.

Jobs on ``subjects.generate`` go to :class:`generator.jobs.generate.GenerateJob`, jobs on
``subjects.plan`` to :class:`generator.jobs.plan.PlanJob`; ``GET /api/models`` asks any one
replica on ``subjects.generator_models``. A ticket's job failing fails its ticket on the board
(``kanban.job_failed``).
"""

from __future__ import annotations

from typing import Any

from generator import routing
from generator.calls import ModelCalls
from generator.jobs.generate import GenerateJob
from generator.jobs.plan import PlanJob
from generator.settings import GeneratorSettings
from paynto_common import kanban
from paynto_common.bus import Bus, ConsumerOptions, Route
from paynto_common.db import Database
from paynto_common.messages import (
    GENERATOR,
    GenerateRequest,
    ModelsReply,
    ModelsRequest,
    PlanRequest,
)
from paynto_common.service import Worker


def routes(settings: GeneratorSettings, bus: Bus, db: Database,
           calls: ModelCalls) -> dict[str, Route[Any]]:
    """Which job kind handles the jobs of each subject."""
    return {
        bus.subjects.generate: Route(GenerateRequest,
                                     GenerateJob(settings, bus, db, calls).handle),
        bus.subjects.plan: Route(PlanRequest, PlanJob(settings, bus, db, calls).handle),
    }


async def run(settings: GeneratorSettings) -> None:
    """Take generator jobs until a signal arrives."""
    worker = Worker(settings, GENERATOR, ConsumerOptions(
        ack_wait=settings.ack_wait_seconds, max_deliver=settings.max_deliver,
        concurrency=settings.concurrency,
    ), on_failure=[kanban.job_failed])
    bus, db = await worker.start()
    calls = ModelCalls(db)
    calls.warm_up()

    async def answer_models(_: ModelsRequest) -> ModelsReply:
        return ModelsReply(models=routing.models(settings))

    # One replica (a queue group) answers each question.
    stop_answering = await bus.serve(bus.subjects.generator_models, ModelsRequest,
                                     answer_models, queue=GENERATOR)
    try:
        await worker.run(routes(settings, bus, db, calls))
    finally:
        await stop_answering()
