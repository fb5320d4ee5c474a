"""What every provider shares: the checks of a new sandbox's arguments, and the preview errors
its dev server prints."""

from __future__ import annotations

import json

import pytest

from sandbox_pool.provider import PREVIEW_ERROR_MARKER, check_sandbox_args, parse_preview_error


@pytest.mark.parametrize("sandbox_id, base", [("../x", "/p/"), ("ok", "no-slash"),
                                               ("ok", "/a b/"), ("", "/"), ("x" * 65, "/p/")])
def test_bad_sandbox_ids_and_base_paths_are_refused(sandbox_id: str, base: str) -> None:
    with pytest.raises(ValueError):
        check_sandbox_args(sandbox_id, base)
    check_sandbox_args("a1_b-2", "/preview/a1_b-2/")


def test_a_preview_error_line_becomes_an_error_with_only_its_fields() -> None:
    line = PREVIEW_ERROR_MARKER + json.dumps({
        "kind": "compile", "message": "m" * 3000, "file": "src/App.jsx", "line": 3,
        "column": "4", "plugin": "", "extra": "ignored"})
    error = parse_preview_error(line)
    assert error is not None
    assert error.wire() == {"kind": "compile", "message": "m" * 2000, "file": "src/App.jsx",
                            "line": 3}
    thrown = parse_preview_error(PREVIEW_ERROR_MARKER + '{"kind": "x", "message": "boom"}')
    assert thrown is not None and thrown.wire() == {"kind": "runtime", "message": "boom"}


@pytest.mark.parametrize("line", ["VITE ready", PREVIEW_ERROR_MARKER + "not json",
                                  PREVIEW_ERROR_MARKER + "[1]",
                                  PREVIEW_ERROR_MARKER + '{"kind": "compile"}'])
def test_other_lines_are_no_errors(line: str) -> None:
    assert parse_preview_error(line) is None
