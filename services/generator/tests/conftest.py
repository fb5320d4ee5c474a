"""Fixtures the generator's tests share: settings built from only what a test gives, a
scripted model provider, and reading back what a job published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from generator.settings import GeneratorSettings
from paynto_common.bus import Bus
from paynto_common.messages import JobEvent
from paynto_common.testing import ScriptedLLM

# Every setting that decides which model a job uses: a test states the ones it wants and
# gets None for the rest, whatever the environment of the test run holds.
_MODEL_SETTINGS = (
    "llm_model", "llm_api_base", "llm_api_key", "llm_fast_model", "llm_fallback_model",
    "llm_fallback_api_base", "llm_fallback_api_key", "ai_gateway_api_key", "openai_api_key",
    "anthropic_api_key", "gemini_api_key", "groq_api_key", "morph_api_key",
)

@pytest.fixture
def make_settings() -> Callable[..., GeneratorSettings]:
    """Generator settings holding exactly the given model settings (no .env file)."""

    def make(**values: Any) -> GeneratorSettings:
        return GeneratorSettings(_env_file=None, **{**dict.fromkeys(_MODEL_SETTINGS), **values})

    return make


@pytest.fixture
async def llm() -> AsyncIterator[ScriptedLLM]:
    async with ScriptedLLM.running() as server:
        yield server


@pytest.fixture
def read_events(bus: Bus) -> Callable[[str], Awaitable[list[JobEvent]]]:
    """Every event published on a channel so far, in order."""

    async def read(channel: str) -> list[JobEvent]:
        last = await bus.js.get_last_msg(bus.subjects.events_stream, bus.subjects.events(channel))
        events: list[JobEvent] = []
        async with asyncio.timeout(10):
            async for seq, event in bus.job_events(channel):
                events.append(event)
                if seq >= last.seq:
                    break
        return events

    return read
