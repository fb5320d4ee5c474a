"""Search/replace edits: parsed as written, applied exactly or not at all."""

from __future__ import annotations

import pytest

from paynto_common.edits import Edit, EditBlock, EditError, apply_edits, parse_edits

APP = """export default function App() {
  return (
    <main>
      <h1>Old title</h1>
      <p>Old text</p>
    </main>
  )
}
"""


def edit(path: str, *blocks: tuple[str, str]) -> str:
    body = "".join(f"<<<<<<< SEARCH\n{s}\n=======\n{r}\n>>>>>>> REPLACE\n" for s, r in blocks)
    return f'<edit path="{path}">\n{body}</edit>'


def test_blocks_are_parsed_with_their_exact_text() -> None:
    answer = "Changing the title.\n" + edit(
        "src/App.jsx", ("      <h1>Old title</h1>", "      <h1>New title</h1>"),
        ("<p>Old text</p>", ""),
    )
    assert parse_edits(answer) == [Edit("src/App.jsx", (
        EditBlock("      <h1>Old title</h1>", "      <h1>New title</h1>"),
        EditBlock("<p>Old text</p>", ""),
    ))]


def test_paths_are_placed_like_file_tags() -> None:
    (only,) = parse_edits(edit("components/Hero.jsx", ("a", "b")))
    assert only.path == "src/components/Hero.jsx"


def test_an_edit_changes_only_its_file_and_only_the_block() -> None:
    files = {"src/App.jsx": APP, "src/Other.jsx": "export const x = 1\n"}
    changed = apply_edits(files, parse_edits(edit(
        "src/App.jsx", ("<h1>Old title</h1>", "<h1>New title</h1>"))))
    assert changed == {"src/App.jsx": APP.replace("Old title", "New title")}
    assert files["src/App.jsx"] == APP  # the input is not touched


def test_blocks_apply_in_order_on_the_result_of_the_last() -> None:
    changed = apply_edits({"src/a.js": "one two"}, [Edit("src/a.js", (
        EditBlock("one", "three"), EditBlock("three two", "done")))])
    assert changed == {"src/a.js": "done"}


@pytest.mark.parametrize(("search", "reason"), [
    ("<h2>Missing</h2>", "is not in the file"),
    ("Old", "occurs 2 times"),
    ("", "empty SEARCH"),
])
def test_a_block_that_does_not_match_exactly_once_refuses_everything(
    search: str, reason: str
) -> None:
    good = Edit("src/Other.jsx", (EditBlock("1", "2"),))
    bad = Edit("src/App.jsx", (EditBlock(search, "x"),))
    with pytest.raises(EditError, match=reason) as info:
        apply_edits({"src/App.jsx": APP, "src/Other.jsx": "export const x = 1\n"}, [good, bad])
    assert info.value.path == "src/App.jsx"


def test_whitespace_is_not_guessed() -> None:
    with pytest.raises(EditError, match="is not in the file"):
        apply_edits({"src/App.jsx": APP}, [Edit("src/App.jsx", (
            EditBlock("<h1>Old title</h1>\n<p>", "x"),))])


def test_editing_a_missing_file_is_an_error() -> None:
    with pytest.raises(EditError, match="no such file"):
        apply_edits({}, parse_edits(edit("src/New.jsx", ("a", "b"))))


def test_malformed_edits_are_errors_not_silence() -> None:
    with pytest.raises(EditError, match="no SEARCH/REPLACE block"):
        parse_edits('<edit path="src/App.jsx">just some text</edit>')
    with pytest.raises(EditError, match="names no file"):
        parse_edits("<edit>\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</edit>")


def test_answers_without_edits_have_none() -> None:
    assert parse_edits('<file path="src/App.jsx">x</file>') == []


def test_code_inside_an_edit_is_never_a_file_of_its_own() -> None:
    from paynto_common.answer import parse_answer
    from paynto_common.edits import without_edits

    answer = edit("src/App.jsx", ("a", "```jsx title=src/Evil.jsx\nalert(1)\n```"))
    assert parse_answer(without_edits(answer)).files == []
