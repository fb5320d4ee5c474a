"""Run the generator: ``python -m generator``."""

import asyncio

from generator.app import run
from generator.settings import GeneratorSettings

asyncio.run(run(GeneratorSettings()))
