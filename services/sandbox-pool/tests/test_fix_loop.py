"""The fix loop's decisions, as pure functions of the errors, the bounds and what was spent."""

from __future__ import annotations

from paynto_common.messages import AutoFix, AutoFixReport, PreviewError
from sandbox_pool.autofix import error_signature, next_fix, problem

BROKEN = [PreviewError(kind="compile", path="src/App.jsx", message="Unexpected token (3:4)",
                       plugin="vite:react-babel")]
THROWS = [PreviewError(kind="runtime", path="src/Menu.jsx", message="Error: boom")]


def test_no_errors_after_a_fix_says_the_loop_fixed_it() -> None:
    assert next_fix(0, AutoFix(), [], 0).report is None
    step = next_fix(2, AutoFix(), [], 0)
    assert step.bounds is None and step.notice is None
    assert step.report == AutoFixReport(rounds=2, fixed=True)


def test_without_bounds_errors_are_only_reported() -> None:
    step = next_fix(0, None, BROKEN, 0)
    assert (step.bounds, step.report, step.notice) == (None, None, None)


def test_errors_within_bounds_go_back_to_the_model() -> None:
    long = [PreviewError(kind="runtime", path="src/A.jsx", message="x" * 3000, stack="at A")]
    step = next_fix(0, AutoFix(max_rounds=2), long, 0)
    assert step.fix_round == 1 and step.report is None
    assert step.bounds == AutoFix(max_rounds=2, previous=error_signature(long))
    (sent,) = step.errors
    assert (sent.kind, sent.path, len(sent.message), sent.stack) == ("runtime", "src/A.jsx",
                                                                      2000, None)
    assert step.notice_key == "autofix"
    assert step.notice is not None and step.notice.wire() == {
        "message": "1 error after the change; asking the model to fix it (attempt 1 of 2)",
        "autofix": 1}


def test_the_loop_stops_at_its_rounds_a_repeated_error_or_its_budget() -> None:
    rounds = next_fix(2, AutoFix(max_rounds=2), BROKEN, 0)
    same = next_fix(1, AutoFix(previous=error_signature(BROKEN)), BROKEN, 0)
    spent = next_fix(0, AutoFix(token_budget=1000), BROKEN, 1000)
    stops = {
        "gave up after 2 fix attempts (AUTOFIX_ROUNDS)": rounds,
        "the same error came back after a fix": same,
        "the job's token budget is spent (1000 of 1000 tokens, AUTOFIX_TOKEN_BUDGET)": spent,
    }
    for why, step in stops.items():
        assert step.bounds is None
        assert step.report == AutoFixReport(rounds=step.fix_round, fixed=False, stopped=why)
        assert step.notice_key == "autofix-stop"
        assert step.notice is not None and step.notice.wire() == {
            "message": f"auto-fix stopped: {why}", "autofix_stopped": why}
    once = next_fix(1, AutoFix(max_rounds=1), BROKEN, 0).report
    assert once is not None and once.stopped == "gave up after 1 fix attempt (AUTOFIX_ROUNDS)"


def test_a_signature_ignores_line_numbers() -> None:
    moved = [PreviewError(kind="compile", path="src/App.jsx", message="Unexpected token (9:1)\n"
                                                                       "   7 | code")]
    assert error_signature(moved) == error_signature(BROKEN) == [
        "src/App.jsx: Unexpected token (#:#)"]


def test_the_problem_in_a_line() -> None:
    assert problem(BROKEN) == "1 module does not compile: src/App.jsx"
    two = [*BROKEN, PreviewError(path="src/B.jsx", message="x")]
    assert problem(two) == "2 modules do not compile: src/App.jsx, src/B.jsx"
    assert problem([*BROKEN, *THROWS]) == "the app throws when it renders: Error: boom"
