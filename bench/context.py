"""Tokens sent to the model for a one-line edit of a 30-file site: the files the request
concerns (and every other path by name) against every file whole, counted with litellm's
tokenizer for gpt-4o (bundled, no network)."""

from __future__ import annotations

import os

from paynto_common.testing.sites import sectioned_site

PROMPT = "Change the footer's line 3 to 'Made in Lisbon'"


def context() -> list[tuple[str, str, str]]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from litellm import token_counter

    from generator.context import select_files
    from generator.prompts import build_messages

    files = sectioned_site()
    chosen = select_files(PROMPT, files)
    selected = token_counter(model="gpt-4o",
                             messages=build_messages(PROMPT, chosen.sent, chosen.left_out))
    everything = token_counter(model="gpt-4o", messages=build_messages(PROMPT, files))
    return [("tokens sent for a one-line edit, 30-file site", f"{selected} tokens",
             f"{len(chosen.sent)} file(s) sent, {len(chosen.left_out)} named; all files "
             f"whole: {everything} tokens ({everything / selected:.1f}× more)")]
