"""Streaming chat completions from any model litellm can reach.

Which model answers is decided once, from the environment, by :func:`resolve_model`. The first
rule that matches wins; ``None`` means no provider is configured and the generator runs offline.

=====  ===========================================  ===========================================
Rule   Environment                                  Resulting model (api_base, api_key)
=====  ===========================================  ===========================================
1      ``LLM_MODEL=offline``                        ``None`` (offline), whatever else is set
2      ``LLM_API_BASE`` (needs ``LLM_MODEL``)       ``LLM_MODEL`` at ``LLM_API_BASE`` with
                                                    ``LLM_API_KEY``; for a local OpenAI-compatible
                                                    server, e.g. Ollama
                                                    ``http://127.0.0.1:11434/v1`` with
                                                    ``openai/llama3.1``
3      ``AI_GATEWAY_API_KEY``                       ``openai/`` + (``LLM_MODEL`` or
                                                    ``openai/gpt-4.1-mini``) through Vercel AI
                                                    Gateway ``https://ai-gateway.vercel.sh/v1``
                                                    (``LLM_MODEL`` is a gateway id such as
                                                    ``anthropic/claude-sonnet-4.5``)
4      ``LLM_MODEL``                                that model (``ollama/llama3.1``,
                                                    ``anthropic/claude-sonnet-4-5``...) with
                                                    ``LLM_API_KEY``, else its provider's key below
5      ``OPENAI_API_KEY``                           ``openai/gpt-4.1-mini``
6      ``ANTHROPIC_API_KEY``                        ``anthropic/claude-sonnet-4-5``
7      ``GEMINI_API_KEY``                           ``gemini/gemini-2.5-flash``
8      ``GROQ_API_KEY``                             ``groq/moonshotai/kimi-k2-instruct``
9      nothing of the above                         ``None`` (offline)
=====  ===========================================  ===========================================

Empty variables count as unset. ``LLM_API_BASE`` without ``LLM_MODEL`` is a configuration error
(:class:`ValueError`): the server's model name cannot be guessed.

Retries are deliberately not done here: litellm is called with ``num_retries=0`` (left alone it
makes three attempts for a 429, a 5xx or a timeout). A :class:`ModelError` says whether the
failure is ``transient``; the job bus redelivers transient failures with backoff, so one
policy governs retries for the whole job rather than one hidden per layer.

litellm is imported on first use only: the import takes several seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import AsyncGenerator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from paynto_common.metrics import MODEL_CALLS, MODEL_COST, MODEL_TOKENS, model_labels

__all__ = ["ModelConfig", "ModelError", "Usage", "resolve_model", "stream_completion"]

AI_GATEWAY_BASE = "https://ai-gateway.vercel.sh/v1"
AI_GATEWAY_DEFAULT_MODEL = "openai/gpt-4.1-mini"

# Provider key → (litellm model prefix, default model). Order is the pick order when LLM_MODEL
# is unset and several keys are present.
PROVIDER_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("OPENAI_API_KEY", "openai/", "openai/gpt-4.1-mini"),
    ("ANTHROPIC_API_KEY", "anthropic/", "anthropic/claude-sonnet-4-5"),
    ("GEMINI_API_KEY", "gemini/", "gemini/gemini-2.5-flash"),
    ("GROQ_API_KEY", "groq/", "groq/moonshotai/kimi-k2-instruct"),
)


@dataclass
class ModelConfig:
    """Which model to call and how.

    ``price_model`` names the model in litellm's price list when ``model`` (the routing name)
    has no price of its own, e.g. ``vercel_ai_gateway/anthropic/claude-sonnet-4.5`` for a
    gateway-routed ``openai/anthropic/claude-sonnet-4.5``.
    """

    model: str
    api_base: str | None = None
    api_key: SecretStr | str | None = None
    temperature: float = 0.7
    max_tokens: int = 8192
    timeout: float = 120.0
    price_model: str | None = None
    # "openai": read the stream with our own client (generator.openai_stream); "litellm":
    # through litellm. Unset, an "openai/" model at a base URL of its own with no price of its
    # own (a local OpenAI-compatible server) is read directly, every other through litellm.
    client: str = ""

    def __post_init__(self) -> None:
        if not self.client:
            direct = (self.api_base is not None and self.model.startswith("openai/")
                      and self.price_model is None)
            self.client = "openai" if direct else "litellm"

    def api_key_value(self) -> str | None:
        """The API key as plain text (``None`` lets litellm read the provider's variable)."""
        if isinstance(self.api_key, SecretStr):
            return self.api_key.get_secret_value()
        return self.api_key


@dataclass
class Usage:
    """Tokens and cost of one completion, yielded once, after the last text delta.

    ``cost_usd`` is 0.0 when litellm has no price for the model (local models).
    ``finish_reason`` is the provider's: ``"length"`` means the answer hit ``max_tokens``.
    """

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    finish_reason: str | None = None


@dataclass
class End:
    """How a stream ended: the provider's finish reason (None: it never said) and the token
    counts it reported (None when it sent no usage)."""

    finish_reason: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class ModelError(Exception):
    """A model call failed.

    ``transient`` failures (rate limits, 5xx, timeouts, lost connections, a stream cut short)
    are worth retrying later; permanent ones (bad request, bad key, unknown model) are not.
    ``status`` is the HTTP status the provider answered with, ``None`` when there was no
    answer (timeout, connection failure, cut stream). ``retry_after`` is the provider's hint
    in seconds, when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"ModelError({self.message!r}, transient={self.transient}, status={self.status})"


def _litellm() -> Any:
    # Without this litellm downloads its price map from GitHub at import; offline that means
    # failed attempts, retries and warnings before it falls back to the bundled copy. It must be
    # set before the first import.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # Otherwise every exception also prints a "Give Feedback / Get Help" banner to stdout.
    litellm.suppress_debug_info = True
    return litellm


async def preload() -> None:
    """Import litellm in a thread: it takes seconds, and on the event loop it would stall the
    in-progress heartbeats of running jobs long enough for the bus to redeliver them.

    A daemon thread of its own, not the loop's executor: ``asyncio.run`` waits for the
    executor's threads as it ends, so a generator stopped in its first seconds (every test's
    system, a quick ``make run`` and Ctrl-C) waited out the import, 5 s and more."""
    loaded: concurrent.futures.Future[None] = concurrent.futures.Future()
    loaded.set_running_or_notify_cancel()  # a waiter cancelled at exit cannot cancel it

    def load() -> None:
        try:
            _litellm()
        except BaseException as exc:  # handed to the waiting job, as to_thread would
            loaded.set_exception(exc)
        else:
            loaded.set_result(None)

    threading.Thread(target=load, name="import litellm", daemon=True).start()
    # wrap_future hands the outcome to the loop, and drops it if the loop has closed.
    await asyncio.wrap_future(loaded)


async def stream_completion(
    cfg: ModelConfig, messages: list[dict[str, str]]
) -> AsyncGenerator[str | Usage, None]:
    """Stream a chat completion (:func:`_completion`), counted in the model metrics: the
    call by outcome (ok, error, cancelled), its tokens and its cost, by provider and model."""
    provider, model = model_labels(cfg.price_model or cfg.model)
    outcome = "error"
    try:
        # Closed with this one: a reader stopping early releases the connection at once.
        async with contextlib.aclosing(_completion(cfg, messages)) as pieces:
            async for piece in pieces:
                if isinstance(piece, Usage):
                    outcome = "ok"
                    MODEL_TOKENS.labels(provider, model, "input").inc(piece.prompt_tokens)
                    MODEL_TOKENS.labels(provider, model, "output").inc(
                        piece.completion_tokens)
                    MODEL_COST.labels(provider, model).inc(piece.cost_usd)
                yield piece
    except (asyncio.CancelledError, GeneratorExit):
        # The job stopped (or its reader did) before the answer ended.
        if outcome != "ok":
            outcome = "cancelled"
        raise
    finally:
        MODEL_CALLS.labels(provider, model, outcome).inc()


async def _completion(
    cfg: ModelConfig, messages: list[dict[str, str]]
) -> AsyncGenerator[str | Usage, None]:
    """Stream a chat completion: text deltas as ``str``, then exactly one :class:`Usage`.

    Raises :class:`ModelError` for provider failures, including a stream that ends before the
    provider said it was finished; the text yielded up to that point is then incomplete.
    No retries happen here (see the module docstring). ``cfg.timeout`` bounds the wait for
    the first byte and for each later read, not the whole answer.
    """
    from generator.openai_stream import stream_chat

    pieces = stream_chat(cfg, messages) if cfg.client == "openai" else _litellm_chat(cfg, messages)
    parts: list[str] = []
    end = End(None)
    async with contextlib.aclosing(pieces):
        async for piece in pieces:
            if isinstance(piece, End):
                end = piece
            else:
                parts.append(piece)
                yield piece
    if end.finish_reason is None:
        # litellm catches this itself for OpenAI-style streams; other providers' streams can
        # end quietly, and a half answer must not pass for a whole one.
        raise ModelError(
            f"stream ended early: {cfg.model} stopped without a finish reason",
            transient=True,
        )
    yield _usage(_litellm(), cfg, messages, "".join(parts), end)


async def _litellm_chat(cfg: ModelConfig, messages: list[dict[str, str]]
                        ) -> AsyncGenerator[str | End, None]:
    """The same stream through litellm: text deltas, then one :class:`End`."""
    litellm = _litellm()
    try:
        response = await litellm.acompletion(
            model=cfg.model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            api_base=cfg.api_base,
            api_key=cfg.api_key_value(),
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
            timeout=cfg.timeout,
            num_retries=0,
            # Some models refuse parameters (reasoning models take no temperature); dropping
            # them beats failing the whole generation.
            drop_params=True,
        )
    except Exception as exc:
        raise _model_error(exc, cfg) from exc

    end = End(None)
    try:
        stream = aiter(response)
        while True:
            try:
                chunk = await anext(stream)
            except StopAsyncIteration:
                break
            except Exception as exc:
                raise _model_error(exc, cfg) from exc
            usage = getattr(chunk, "usage", None)
            if usage:
                end.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
                end.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
            for choice in chunk.choices or ():
                text = choice.delta.content if choice.delta else None
                if text:
                    yield text
                if choice.finish_reason:
                    end.finish_reason = choice.finish_reason
    finally:
        # Closing releases the HTTP connection at once when the caller stops early (a
        # cancelled job), so the provider stops generating tokens nobody will read.
        aclose = getattr(response, "aclose", None)
        if aclose is not None:
            await aclose()
    yield end


def _usage(litellm: Any, cfg: ModelConfig, messages: list[dict[str, str]], text: str,
           end: End) -> Usage:
    prompt_tokens, completion_tokens = end.prompt_tokens, end.completion_tokens
    if prompt_tokens is None or completion_tokens is None:
        # Some OpenAI-compatible servers ignore stream_options; count with litellm's tokenizer.
        prompt_tokens = _count(litellm, cfg.model, messages=messages)
        completion_tokens = _count(litellm, cfg.model, text=text)
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=cfg.price_model or cfg.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        cost = float(prompt_cost) + float(completion_cost)
    except Exception:
        # Unpriced models (local ones, new ones) raise; their cost is unknown, counted as 0.
        cost = 0.0
    return Usage(prompt_tokens, completion_tokens, cost, end.finish_reason)


def _count(litellm: Any, model: str, **content: Any) -> int:
    try:
        return int(litellm.token_counter(model=model, **content))
    except Exception:
        return 0


# Statuses worth another try: timeouts, conflicts, rate limits and every server-side failure.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
STATUS_WORDS = {
    400: "rejected the request",
    401: "refused the API key",
    403: "denied access",
    404: "does not know this model",
    429: "is rate limiting us",
}


def http_failure(where: str, status: int, detail: str, headers: Any) -> ModelError:
    """A provider's HTTP error answer as a :class:`ModelError` (``headers`` give the retry
    hint, when there is one)."""
    return ModelError(
        f"{where} {STATUS_WORDS.get(status, 'failed')} (HTTP {status}): {detail}",
        transient=status >= 500 or status in TRANSIENT_STATUSES,
        status=status,
        retry_after=retry_after(headers),
    )


def _model_error(exc: Exception, cfg: ModelConfig) -> ModelError:
    """Classify an exception raised by litellm (or its HTTP stack) as a :class:`ModelError`."""
    import httpx
    import openai

    litellm = _litellm()
    detail = str(getattr(exc, "message", "") or exc)
    where = cfg.model + (f" at {cfg.api_base}" if cfg.api_base else "")
    causes = list(_causes(exc))

    # Subclass order matters: MidStreamFallbackError is a ServiceUnavailableError.
    if isinstance(exc, litellm.exceptions.MidStreamFallbackError):
        return ModelError(f"stream ended early from {where}: {detail}", transient=True)
    if any(isinstance(e, litellm.Timeout | TimeoutError | httpx.TimeoutException) for e in causes):
        return ModelError(
            f"timed out after {cfg.timeout:g}s waiting for {where}: {detail}", transient=True
        )
    # litellm 1.110 reports a refused connection as InternalServerError (status 500); only the
    # chain of causes shows that no server answered at all.
    if any(
        isinstance(e, openai.APIConnectionError | httpx.TransportError | OSError) for e in causes
    ):
        return ModelError(f"cannot reach {where}: {detail}", transient=True)

    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    if status is None:
        # Not an HTTP answer we understand (a bug in litellm or here): retrying won't help.
        return ModelError(f"model call to {where} failed: {detail}", transient=False)
    return http_failure(where, status, detail,
                        getattr(getattr(exc, "response", None), "headers", None))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def retry_after(headers: Any) -> float | None:
    """The provider's hint in seconds (``retry-after-ms``, then ``retry-after``), if any."""
    if headers is None:
        return None
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        if "retry-after" in headers:
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        # An HTTP-date Retry-After is legal but rare from model providers; ignore it.
        return None
    return None


def resolve_model(llm_model: str | None, env: Mapping[str, str]) -> ModelConfig | None:
    """Pick the model from settings and environment; ``None`` means offline.

    ``llm_model`` is the ``LLM_MODEL`` setting; when it is ``None``, ``env["LLM_MODEL"]`` is
    used. The rules are the table in this module's docstring.
    """

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    model = (llm_model or "").strip() or get("LLM_MODEL")
    if model is not None and model.lower() == "offline":
        return None

    api_base = get("LLM_API_BASE")
    api_key = get("LLM_API_KEY")
    if api_base is not None:
        if model is None:
            raise ValueError("LLM_API_BASE is set but LLM_MODEL is not: name the server's model")
        return ModelConfig(model=model, api_base=api_base, api_key=_secret(api_key))

    gateway_key = get("AI_GATEWAY_API_KEY")
    if gateway_key is not None:
        gateway_model = model or AI_GATEWAY_DEFAULT_MODEL
        return ModelConfig(
            # The gateway speaks OpenAI's protocol; litellm's "openai/" prefix selects that
            # client and is stripped before the gateway sees the model id.
            model=f"openai/{gateway_model}",
            api_base=AI_GATEWAY_BASE,
            api_key=SecretStr(gateway_key),
            price_model=f"vercel_ai_gateway/{gateway_model}",
        )

    if model is not None:
        if api_key is None:
            api_key = next(
                (get(var) for var, prefix, _ in PROVIDER_DEFAULTS if model.startswith(prefix)),
                None,
            )
        return ModelConfig(model=model, api_key=_secret(api_key))

    for var, _, default_model in PROVIDER_DEFAULTS:
        key = get(var)
        if key is not None:
            return ModelConfig(model=default_model, api_key=SecretStr(key))
    return None


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value is not None else None
