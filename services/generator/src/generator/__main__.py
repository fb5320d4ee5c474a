"""Run the generator: ``python -m generator``."""

import asyncio
import json

from nats.aio.msg import Msg

from generator.handler import GenerateHandler
from generator.settings import GeneratorSettings
from paynto_common.bus import ConsumerOptions
from paynto_common.messages import GENERATOR
from paynto_common.service import Worker


async def main() -> None:
    settings = GeneratorSettings()
    worker = Worker(settings, GENERATOR, ConsumerOptions(
        ack_wait=settings.ack_wait_seconds, max_deliver=settings.max_deliver,
        concurrency=settings.concurrency,
    ))
    bus, db = await worker.start()
    handler = GenerateHandler(settings, bus, db)
    handler.warm_up()

    async def answer_models(msg: Msg) -> None:
        await msg.respond(json.dumps({"models": handler.models()}).encode())

    # GET /api/models asks here; one replica (a queue group) answers.
    await bus.nc.subscribe(bus.subjects.generator_models, queue=GENERATOR, cb=answer_models)
    await worker.run(handler)


asyncio.run(main())
