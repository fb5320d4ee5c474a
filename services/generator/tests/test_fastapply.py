"""Merging ``<update>`` blocks with Morph: against a loopback server speaking its protocol,
and live against Morph when MORPH_API_KEY is set."""

from __future__ import annotations

import os

import pytest

from generator.fastapply import FastApplyError, find_updates, merge_updates, morph_messages
from generator.llm import ModelConfig
from paynto_common.testing.scripted_llm import Reply, ScriptedLLM

CODE = "export default function A() {\n  return <p>one</p>\n}\n"


def test_updates_are_found_in_order() -> None:
    answer = ('x <update path="a.jsx">\nA\n</update> y <update path="b.jsx">B</update>')
    assert [(u.path, u.snippet) for u in find_updates(answer)] == [("a.jsx", "A\n"),
                                                                     ("b.jsx", "B")]


def test_messages_follow_morphs_format() -> None:
    (message,) = morph_messages(" do it ", CODE, "snippet")
    assert message == {"role": "user", "content":
                       f"<instruction>do it</instruction>\n<code>{CODE}</code>\n"
                       "<update>snippet</update>"}


async def test_merge_replaces_updates_with_whole_files() -> None:
    merged = CODE.replace("one", "two")
    async with ScriptedLLM.running(replies=[Reply(f"```tsx\n{merged}```")]) as morph:
        cfg = ModelConfig(model="openai/morph-v3-fast", api_base=morph.base_url, api_key="k")
        out, usage, paths = await merge_updates(
            'Done.\n<update path="src/A.jsx">\n// ... existing code ...\n  return <p>two</p>\n'
            "// ... existing code ...\n</update>\nbye", {"src/A.jsx": CODE}, cfg, "say two")
    assert out == f'Done.\n<file path="src/A.jsx">\n{merged.rstrip()}\n</file>\nbye'
    assert paths == ["src/A.jsx"] and usage is not None and usage.prompt_tokens > 0


async def test_unsafe_or_baseless_updates_are_refused_before_any_call() -> None:
    async with ScriptedLLM.running() as morph:
        cfg = ModelConfig(model="openai/morph-v3-fast", api_base=morph.base_url, api_key="k")
        with pytest.raises(FastApplyError, match=r"refused the update of '\.\./x\.js'"):
            await merge_updates('<update path="../x.js">a</update>', {}, cfg, "i")
        with pytest.raises(FastApplyError, match="does not exist"):
            await merge_updates('<update path="src/New.jsx">// ... existing code ...\n'
                                "</update>", {}, cfg, "i")
        # A new file sent whole in update tags needs no merge.
        out, usage, _ = await merge_updates('<update path="src/New.jsx">X</update>', {}, cfg, "i")
    assert out == '<file path="src/New.jsx">\nX\n</file>' and usage is None
    assert morph.requests == []


@pytest.mark.live
@pytest.mark.timeout(120)
@pytest.mark.skipif(not os.environ.get("MORPH_API_KEY"), reason="MORPH_API_KEY not set")
async def test_live_morph_merges() -> None:
    cfg = ModelConfig(model="openai/morph-v3-fast", api_base="https://api.morphllm.com/v1",
                      api_key=os.environ["MORPH_API_KEY"], price_model="morph/morph-v3-fast")
    cfg.temperature = 0.0
    out, usage, _ = await merge_updates(
        '<update path="src/A.jsx">\n// ... existing code ...\n  return <p>two</p>\n'
        "// ... existing code ...\n</update>", {"src/A.jsx": CODE}, cfg,
        "Change the paragraph to say two")
    assert "<p>two</p>" in out and "existing code" not in out
    assert usage is not None and usage.completion_tokens > 0
