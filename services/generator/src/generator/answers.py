"""Reading a model's answers: whether one is finished, what the calls used, and the answer a
job already stored. A short account of an earlier answer is ``paynto_common.answer``'s
``summarize_answer`` (the gateway shows it too)."""

from __future__ import annotations

from generator.llm import Usage
from generator.routing import OFFLINE_LABEL
from paynto_common.answer import parse_answer
from paynto_common.db import Job
from paynto_common.edits import without_edits
from paynto_common.messages import GenerateResult, ModelUsage, read_result

# How many times an unfinished answer is sent back to be finished.
MAX_CONTINUATIONS = 2


def unfinished(response: str, usage: Usage | None) -> tuple[str, str] | None:
    """What to ask the model when its answer is unfinished, and the text to put between the
    answer and what it sends next; None when the answer is whole."""
    parsed = parse_answer(without_edits(response))
    cut = [f.path for f in parsed.files if not f.complete]
    if cut or (usage is not None and usage.finish_reason == "length"):
        where = f" inside {cut[-1]}" if cut else ""
        return (f"cut off{where}: your answer stopped{where} before it was finished. "
                "Continue from exactly the last character you wrote, repeating nothing, and "
                "close every open tag.", "")
    elided = [p for p in parsed.truncated if p not in cut]
    if elided:
        return (f"code left out of {', '.join(elided)}: those files hold placeholders such as "
                "'...' instead of code. Send each of them again, whole, in <file> tags, with "
                "nothing left out.", "\n")
    return None


def add_usage(first: Usage | None, more: Usage | None) -> Usage | None:
    """Two calls' usage as one; the later call's finish reason."""
    if first is None or more is None:
        return first or more
    return Usage(first.prompt_tokens + more.prompt_tokens,
                 first.completion_tokens + more.completion_tokens,
                 first.cost_usd + more.cost_usd, more.finish_reason)


def model_usage(usage: Usage | None) -> ModelUsage | None:
    """What a job's row keeps of its calls' usage."""
    if usage is None:
        return None
    return ModelUsage(prompt_tokens=usage.prompt_tokens,
                      completion_tokens=usage.completion_tokens, cost_usd=usage.cost_usd)


def stored_answer(job: Job, fix_round: int) -> tuple[str, str] | None:
    """The answer a job already has for this round (stored before a worker stopped) and the
    model that wrote it."""
    if fix_round == 0:
        return (job.response, job.model or OFFLINE_LABEL) if job.response is not None else None
    fix = read_result(job.result, GenerateResult).fixes.get(str(fix_round))
    return (fix.response, fix.model) if fix is not None else None
