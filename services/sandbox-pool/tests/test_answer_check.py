"""Checking a model's answer: a pure function of its text and the project's files."""

from __future__ import annotations

import pytest

from sandbox_pool.answer_check import CheckedAnswer, RefusedAnswer, check_answer

APP = "export default function App() { return <h1>hi</h1> }\n"


def _file(path: str, text: str) -> str:
    return f'<file path="{path}">\n{text}</file>\n'


def _edit(path: str, search: str, replace: str) -> str:
    return (f'<edit path="{path}">\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n'
            ">>>>>>> REPLACE\n</edit>\n")


def _keys(checked: CheckedAnswer) -> list[str]:
    return [notice.key for notice in checked.notices]


def test_whole_files_are_written_over_the_base() -> None:
    base = {"src/App.jsx": "old\n", "src/Other.jsx": "kept\n"}
    checked = check_answer(_file("src/App.jsx", APP), base)
    assert checked.changed == {"src/App.jsx": APP}
    assert checked.files == {"src/App.jsx": APP, "src/Other.jsx": "kept\n"}
    assert checked.notices == []


@pytest.mark.parametrize("response, refusal", [
    ("no tags at all, just talk", "the answer holds no files"),
    (_file("../outside.js", "x"), "refused unsafe path 'src/../outside.js'"),
    (_file("package.json", "{}"), "refused unsafe path 'package.json'"),
    (_edit("src/App.jsx", "", "x"), "could not apply the edit of src/App.jsx: block 1"),
    ('<edit path="src/App.jsx">no blocks</edit>', "refused the answer's edit of src/App.jsx"),
])
def test_an_answer_that_can_never_apply_is_refused(response: str, refusal: str) -> None:
    with pytest.raises(RefusedAnswer) as caught:
        check_answer(response, {"src/App.jsx": APP})
    assert str(caught.value).startswith(refusal)


def test_an_edit_that_does_not_match_refuses_the_whole_answer() -> None:
    response = _file("src/New.jsx", APP) + _edit("src/App.jsx", "not there", "x")
    with pytest.raises(RefusedAnswer, match=r"could not apply the edit of src/App\.jsx"):
        check_answer(response, {"src/App.jsx": APP})


def test_edits_apply_to_the_base_and_are_told_once_per_file() -> None:
    response = _edit("src/App.jsx", "<h1>hi</h1>", "<h1>hello</h1>")
    checked = check_answer(response, {"src/App.jsx": APP})
    assert checked.changed == {"src/App.jsx": APP.replace("hi", "hello")}
    (notice,) = checked.notices
    assert notice.key == "edit:src/App.jsx"
    assert notice.status.wire() == {"message": "edited src/App.jsx (1 block)",
                                    "edit": "src/App.jsx"}


def test_a_whole_file_of_the_same_answer_wins_over_its_edit() -> None:
    whole = "export default function App() { return <p>whole</p> }\n"
    response = _file("src/App.jsx", whole) + _edit("src/App.jsx", "<h1>hi</h1>", "<h1>x</h1>")
    checked = check_answer(response, {"src/App.jsx": APP})
    assert checked.changed == {"src/App.jsx": whole}
    assert _keys(checked) == []


def test_warnings_come_with_keys_a_redelivery_finds_again() -> None:
    response = (_file("src/App.jsx", APP) + "<command>npm run dev</command>\n"
                + '<file path="src/Cut.jsx">\nexport default function Cut() {\n  return (\n')
    first, again = check_answer(response, {}), check_answer(response, {})
    assert _keys(first) == _keys(again)
    truncated = next(n for n in first.notices if n.key == "truncated:src/Cut.jsx")
    assert truncated.status.wire() == {
        "message": "src/Cut.jsx looks truncated (the answer was cut or elided code)",
        "warning": "truncated", "path": "src/Cut.jsx"}
    (command,) = [n for n in first.notices if n.key.startswith("command:")]
    assert len(command.key) == len("command:") + 16
    assert command.status.wire() == {
        "message": "ignored a <command> from the model: commands are never run",
        "warning": "command_ignored", "command": "npm run dev"}


def test_an_entry_in_another_language_is_wired_in() -> None:
    checked = check_answer(_file("src/App.tsx", APP), {})
    assert checked.changed["src/App.jsx"] == "export { default } from './App.tsx'\n"
    assert _keys(checked) == ["entry"]
    assert "wired src/App.tsx into the app" in checked.notices[0].status.message
    # The template's own entry, when the answer writes it, is left alone.
    both = check_answer(_file("src/App.tsx", APP) + _file("src/App.jsx", APP), {})
    assert both.changed["src/App.jsx"] == APP and _keys(both) == []


def test_a_missing_local_import_gets_a_placeholder() -> None:
    app = ("import Hero from './components/Hero'\n"
           "export default function App() { return <Hero /> }\n")
    checked = check_answer(_file("src/App.jsx", app), {})
    placeholder = next(p for p in checked.changed if p.startswith("src/components/Hero"))
    assert placeholder in checked.files
    assert _keys(checked) == [f"missing:{placeholder}"]
    assert checked.notices[0].status.warning == "missing_import"


def test_packages_of_the_answer_are_kept() -> None:
    checked = check_answer(_file("src/App.jsx", APP) + "<package>clsx</package>\n", {})
    assert checked.packages == ["clsx"]


def test_a_stored_version_is_the_result_again_and_edits_are_not_reapplied() -> None:
    """A redelivered answer: its version exists, so its edits (which no longer match what
    they edited) are taken from it."""
    response = _file("src/New.jsx", APP) + _edit("src/App.jsx", "<h1>hi</h1>", "<h1>yo</h1>")
    stored = {"src/App.jsx": APP.replace("hi", "yo"), "src/New.jsx": APP}
    checked = check_answer(response, {"src/App.jsx": "changed since\n"}, stored=stored)
    assert checked.files == stored
    assert checked.changed == {"src/New.jsx": APP, "src/App.jsx": APP.replace("hi", "yo")}
    assert _keys(checked) == []
