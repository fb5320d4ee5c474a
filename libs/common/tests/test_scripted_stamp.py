"""The scripted model server's stamped replies (for measuring relay delay): each streamed
piece ends at a ``{t}`` and carries the time it was sent, in order."""

from __future__ import annotations

import json
import re
import time

import httpx

from paynto_common.testing.scripted_llm import Reply, ScriptedLLM


async def test_each_piece_carries_the_time_it_was_sent() -> None:
    before = time.time()
    text = "".join(f"<p{n}>{{t}};" for n in range(5))
    async with ScriptedLLM.running(replies=[Reply(text, stamp=True)]) as llm:
        async with httpx.AsyncClient(base_url=llm.base_url) as client:
            body = {"model": "scripted", "stream": True,
                    "messages": [{"role": "user", "content": "hi"}]}
            pieces = []
            async with client.stream("POST", "/chat/completions", json=body) as resp:
                async for line in resp.aiter_lines():
                    if line.startswith("data: {"):
                        delta = json.loads(line[6:])["choices"]
                        if delta and delta[0]["delta"].get("content"):
                            pieces.append(delta[0]["delta"]["content"])
    after = time.time()
    # One piece per placeholder (the last one's ";" trails on its own).
    assert [re.sub(r"\d+\.\d{6}", "T", p) for p in pieces] == \
        ["<p0>T", ";<p1>T", ";<p2>T", ";<p3>T", ";<p4>T", ";"]
    stamps = [float(re.search(r"\d+\.\d{6}", p).group()) for p in pieces[:-1]]  # type: ignore[union-attr]
    assert stamps == sorted(stamps) and before <= stamps[0] and stamps[-1] <= after
