"""One model call (or the offline generator) streamed to the client and recorded in the cost
ledger: what every job kind of the generator does to get text."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from opentelemetry import trace

from generator.llm import ModelError, Usage, preload, stream_completion
from generator.offline import OfflineGenerator
from generator.routing import OFFLINE_LABEL, Source
from generator.stream import StreamPublisher
from paynto_common import ledger
from paynto_common.db import Database
from paynto_common.errors import PermanentJobError
from paynto_common.messages import GenerateRequest
from paynto_common.metrics import MODEL_CALLS
from paynto_common.telemetry import job_attributes

tracer = trace.get_tracer("paynto.generator")
P = ParamSpec("P")
C = TypeVar("C")
Collect = Callable[Concatenate[C, Source, GenerateRequest, P],
                   Awaitable[tuple[str, Usage | None]]]


def _traced(collect: Collect[C, P]) -> Collect[C, P]:
    """Each model call is a span (GenAI semantic conventions): the model, the tokens and the
    cost, never the messages or the answer (the prompt is the person's, the answer theirs)."""

    @functools.wraps(collect)
    async def call(calls: C, source: Source, req: GenerateRequest, *args: P.args,
                   **kwargs: P.kwargs) -> tuple[str, Usage | None]:
        purpose = args[2] if len(args) > 2 else kwargs.get("purpose", "")
        provider = source.label.split("/", 1)[0] if source.cfg is not None else "offline"
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider,
            "gen_ai.request.model": source.label, "paynto.model_purpose": purpose,
            "paynto.offline": source.cfg is None,
            **job_attributes(req.job_id, req.project_id),
        }
        if source.cfg is not None:
            attributes["gen_ai.request.max_tokens"] = source.cfg.max_tokens
        kind = trace.SpanKind.CLIENT if source.cfg is not None else trace.SpanKind.INTERNAL
        with tracer.start_as_current_span(f"chat {source.label}", kind=kind,
                                          attributes=attributes) as span:
            text, usage = await collect(calls, source, req, *args, **kwargs)
            span.set_attribute("paynto.output_chars", len(text))
            if usage is not None:
                span.set_attributes({
                    "gen_ai.usage.input_tokens": usage.prompt_tokens,
                    "gen_ai.usage.output_tokens": usage.completion_tokens,
                    "paynto.cost_usd": usage.cost_usd,
                })
                if usage.finish_reason:
                    span.set_attribute("gen_ai.response.finish_reasons", [usage.finish_reason])
            return text, usage

    return call


class ModelCalls:
    """Streams the text of a job's model calls; one per process, shared by its job kinds."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.offline = OfflineGenerator()
        self._litellm: asyncio.Task[None] | None = None

    def warm_up(self) -> None:
        """Start loading litellm in the background, so the first model job does not wait."""
        if self._litellm is None:
            self._litellm = asyncio.create_task(preload())

    async def ready(self) -> None:
        """Wait until litellm is loaded (starting now if it was not)."""
        self.warm_up()
        assert self._litellm is not None
        # Shielded: a job cancelled while it waits must not cancel the load other jobs share.
        await asyncio.shield(self._litellm)

    @_traced
    async def collect(self, source: Source, req: GenerateRequest,
                      messages: list[dict[str, str]], publisher: StreamPublisher,
                      purpose: str, lead: str = "") -> tuple[str, Usage | None]:
        """Stream one model call (or the offline generator) to the client; its text and usage.
        A finished model call goes into the cost ledger at once, as ``purpose``."""
        parts: list[str] = []
        usage: Usage | None = None
        if lead:
            publisher.add(lead)
        if source.cfg is None:
            chunks = (_pieces(source.canned) if source.canned is not None
                      else self.offline.stream(req.prompt))
            async for chunk in chunks:
                parts.append(chunk)
                publisher.add(chunk)
            # Counted beside the models (no tokens, no cost): the dashboards show it ran.
            MODEL_CALLS.labels(OFFLINE_LABEL, OFFLINE_LABEL, "ok").inc()
            return "".join(parts), None
        async for piece in stream_completion(source.cfg, messages):
            if isinstance(piece, Usage):
                usage = piece
                continue
            parts.append(piece)
            publisher.add(piece)
        if usage is not None:
            await ledger.record(self.db, req.job_id, req.project_id, source.label, purpose,
                                usage.prompt_tokens, usage.completion_tokens, usage.cost_usd)
        return "".join(parts), usage


def refused(source: Source, exc: ModelError) -> PermanentJobError:
    """A model's permanent refusal as the job's failure."""
    return PermanentJobError(f"model {source.label} refused: {exc.message}")


async def _pieces(text: str, size: int = 2000) -> AsyncIterator[str]:
    for start in range(0, len(text), size):
        yield text[start:start + size]
