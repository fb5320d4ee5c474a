"""Test doubles shared by Paynto's services, tests and benchmarks.

``from paynto_common.testing import ScriptedLLM, Reply`` gives a scripted OpenAI-compatible
model provider (see :mod:`paynto_common.testing.scripted_llm`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paynto_common.testing.scripted_llm import Reply, ReplyFactory, ScriptedLLM

__all__ = ["Reply", "ReplyFactory", "ScriptedLLM"]


def __getattr__(name: str) -> Any:
    # Imported on first use: an eager import would make `python -m
    # paynto_common.testing.scripted_llm` load the module twice (runpy warns about it).
    if name in __all__:
        from paynto_common.testing import scripted_llm

        return getattr(scripted_llm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
