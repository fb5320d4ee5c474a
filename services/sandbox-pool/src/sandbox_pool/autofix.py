"""The fix loop's decisions: after an apply left errors in the preview, whether to send them back
to the model (within the job's bounds) or stop, and how to tell what went wrong in a line.

Pure functions of the errors, the job's bounds and what it spent; the apply job acts on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paynto_common.messages import AutoFix, AutoFixReport, PreviewError, Status


@dataclass(frozen=True)
class NextFix:
    """What follows an apply. With ``bounds``, the model is asked for fix round ``fix_round``
    with those bounds and ``errors``; else the job finishes, its result telling ``report`` of
    the loop (None when the loop never ran). ``notice`` goes to the client once per
    ``notice_key``."""

    fix_round: int
    bounds: AutoFix | None = None
    errors: list[PreviewError] = field(default_factory=list)
    report: AutoFixReport | None = None
    notice: Status | None = None
    notice_key: str = ""


def next_fix(fix_round: int, bounds: AutoFix | None, errors: list[PreviewError],
             spent_tokens: int) -> NextFix:
    """Decide after answer ``fix_round`` (0 the first) left ``errors``; ``bounds`` are the
    job's (None: errors are only reported), ``spent_tokens`` what its model calls used."""
    if not errors:
        report = AutoFixReport(rounds=fix_round, fixed=True) if fix_round else None
        return NextFix(fix_round, report=report)
    if bounds is None:
        return NextFix(fix_round)
    signature = error_signature(errors)
    stop = None
    if fix_round >= bounds.max_rounds:
        stop = (f"gave up after {fix_round} fix attempt{'s' if fix_round != 1 else ''} "
                "(AUTOFIX_ROUNDS)")
    elif fix_round and signature == bounds.previous:
        stop = "the same error came back after a fix"
    elif bounds.token_budget and spent_tokens >= bounds.token_budget:
        stop = (f"the job's token budget is spent ({spent_tokens} of {bounds.token_budget} "
                "tokens, AUTOFIX_TOKEN_BUDGET)")
    if stop is not None:
        return NextFix(
            fix_round, report=AutoFixReport(rounds=fix_round, fixed=False, stopped=stop),
            notice=Status(message=f"auto-fix stopped: {stop}", autofix_stopped=stop),
            notice_key="autofix-stop",
        )
    many = len(errors) != 1
    return NextFix(
        fix_round + 1,
        bounds=bounds.model_copy(update={"previous": signature}),
        # What the model needs of each error: where, and what it says.
        errors=[PreviewError(kind=e.kind, path=e.path, message=e.message[:2000])
                for e in errors],
        notice=Status(
            message=f"{len(errors)} error{'s' if many else ''} after the change; asking the "
                    f"model to fix {'them' if many else 'it'} (attempt {fix_round + 1} of "
                    f"{bounds.max_rounds})",
            autofix=fix_round + 1,
        ),
        notice_key="autofix",
    )


def problem(errors: list[PreviewError]) -> str:
    """What is wrong with an applied change, in a line."""
    thrown = [e for e in errors if e.kind == "runtime"]
    if thrown:
        return f"the app throws when it renders: {thrown[0].message}"[:500]
    paths = ", ".join(sorted({str(e.path) for e in errors}))
    many = len(errors) != 1
    return f"{len(errors)} module{'s' if many else ''} {'do' if many else 'does'} not " \
           f"compile: {paths}"


def error_signature(errors: list[PreviewError]) -> list[str]:
    """What a round's errors are, without line numbers (a fix that moves code moves them): the
    same signature twice means the fix did not help."""
    return sorted({f"{e.path}: " + re.sub(r"\d+", "#", e.message.strip()
                                          .split("\n", 1)[0])[:300] for e in errors})
