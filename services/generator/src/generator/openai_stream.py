"""A streamed chat completion from an OpenAI-compatible server, read with plain httpx.

Ollama, vLLM, LM Studio, llama.cpp and the like speak OpenAI's Chat Completions protocol at a
base URL of their own (``LLM_API_BASE``). For them litellm is only a detour: it builds each
request in a worker thread and, after the stream, rebuilds the whole answer to price it, about
4.6 ms of CPU a call here against 1.2 ms for the request itself (``make bench``). This reads
the stream itself: one kept connection pool per event loop, one POST, the ``data:`` lines.

It yields text deltas and then one :class:`~generator.llm.End`; failures are
:class:`~generator.llm.ModelError`, in the same words and classes as litellm's, so callers
cannot tell the two paths apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx

from generator.llm import End, ModelConfig, ModelError, http_failure

__all__ = ["stream_chat"]

# How much, and how long, is read after ``data: [DONE]`` to keep the connection.
AFTER_DONE_CHARS = 4096
AFTER_DONE_SECONDS = 1.0

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary())


def _client() -> httpx.AsyncClient:
    """This event loop's pool: connections to the model server are kept between calls."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200,
                                                       max_keepalive_connections=50))
        _clients[loop] = client
    return client


def request_body(cfg: ModelConfig, messages: list[dict[str, str]]) -> dict[str, Any]:
    return {
        # litellm's routing prefix is ours, not the server's name for the model.
        "model": cfg.model.removeprefix("openai/"),
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
    }


async def stream_chat(cfg: ModelConfig, messages: list[dict[str, str]]
                      ) -> AsyncGenerator[str | End, None]:
    """Text deltas, then one :class:`~generator.llm.End`. ``cfg.timeout`` bounds connecting
    and each read (the first byte, then every later chunk), not the whole answer."""
    assert cfg.api_base is not None
    where = f"{cfg.model} at {cfg.api_base}"
    headers = {"Accept": "text/event-stream"}
    key = cfg.api_key_value()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    url = cfg.api_base.rstrip("/") + "/chat/completions"
    end = End(None)
    try:
        async with _client().stream("POST", url, json=request_body(cfg, messages),
                                    headers=headers, timeout=cfg.timeout) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                try:
                    detail = _message(resp.json())
                except ValueError:
                    detail = resp.text[:500]
                raise http_failure(where, resp.status_code, detail, resp.headers)
            lines = resp.aiter_lines()
            async for line in lines:
                if not line.startswith("data:"):
                    continue  # blank separators, comments, "event:" lines
                data = line[5:].strip()
                if data == "[DONE]":
                    await _read_to_end(lines)
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    raise ModelError(f"{where} sent a chunk that is not JSON",
                                     transient=True) from None
                if not isinstance(chunk, dict):
                    continue
                if "error" in chunk:
                    raise ModelError(f"{where} failed mid-answer: {_message(chunk)}",
                                     transient=True)
                usage = chunk.get("usage")
                if isinstance(usage, dict):
                    end.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                    end.completion_tokens = int(usage.get("completion_tokens") or 0)
                for choice in chunk.get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
                    if choice.get("finish_reason"):
                        end.finish_reason = choice["finish_reason"]
    except httpx.TimeoutException as exc:
        raise ModelError(f"timed out after {cfg.timeout:g}s waiting for {where}: "
                         f"{type(exc).__name__}", transient=True) from exc
    except (httpx.ConnectError, OSError) as exc:
        raise ModelError(f"cannot reach {where}: {exc}", transient=True) from exc
    except httpx.TransportError as exc:
        # Read or protocol failures once the answer had started: the connection dropped.
        raise ModelError(f"stream ended early from {where}: {exc!r}", transient=True) from exc
    yield end


async def _read_to_end(lines: AsyncIterator[str]) -> None:
    """Read what follows ``[DONE]`` (the body's last chunk: a few bytes) so that the connection
    goes back to the pool. Left unread, httpx closes it, and the next call pays a new
    connection (about 1 ms of CPU and a round trip). A server that sends more, or holds the
    body open, is left as before: its connection is closed."""
    read = 0
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(AFTER_DONE_SECONDS):
            async for line in lines:
                read += len(line) + 1
                if read > AFTER_DONE_CHARS:
                    return


def _message(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error if error is not None else body)[:500]
