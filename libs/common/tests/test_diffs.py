"""Tests for paynto_common.diffs: what a diff of two file maps holds, and that its hunks, applied
to the old files, give the new ones exactly (over many random pairs)."""

from __future__ import annotations

import difflib
import random
import re

from paynto_common.diffs import NO_NEWLINE, FileDiff, Hunk, diff_files

# A line with its own "\n", or a last line without one.
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def patch(old: str, file: FileDiff) -> str:
    """``old`` with ``file``'s hunks applied, checking each hunk against the text as it goes
    (its context and removed lines are there, its starts and counts are right)."""
    lines = _LINE_RE.findall(old)
    out: list[str] = []
    at = 0
    for hunk in file.hunks:
        first = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        assert first >= at, "hunks overlap or are out of order"
        out += lines[at:first]
        olds, news = [], []
        for i, line in enumerate(hunk.lines):
            if line == NO_NEWLINE:
                assert i > 0 and hunk.lines[i - 1] != NO_NEWLINE
                continue
            ends = i + 1 < len(hunk.lines) and hunk.lines[i + 1] == NO_NEWLINE
            text = line[1:] + ("" if ends else "\n")
            assert line[0] in " +-", line
            if line[0] in " -":
                olds.append(text)
            if line[0] in " +":
                news.append(text)
        assert (len(olds), len(news)) == (hunk.old_lines, hunk.new_lines)
        assert lines[first:first + len(olds)] == olds
        new_first = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
        assert new_first == len(out)
        out += news
        at = first + len(olds)
    return "".join(out + lines[at:])


def apply_all(old: dict[str, str], diffs: list[FileDiff]) -> dict[str, str]:
    files = dict(old)
    for file in diffs:
        if file.status == "removed":
            assert patch(files.pop(file.path), file) == ""
        else:
            files[file.path] = patch(files.get(file.path, ""), file)
    return files


# Few distinct lines, so lines repeat and the matcher has choices to make; "\x0c", "\u2028"
# and "\r" are characters of a line, not line breaks.
VOCABULARY = ["", "}", "  return x;", "import a from 'a';", "<div>", "</div>", "\x0c",
              "a\u2028b", "crlf\r", "  const y = 1;"]


def random_text(rng: random.Random) -> str:
    lines = [rng.choice(VOCABULARY) for _ in range(rng.randrange(0, 40))]
    return "\n".join(lines) + ("\n" if lines and rng.random() < 0.7 else "")


def mutated(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randrange(0, 6)):
        at = rng.randrange(0, len(lines) + 1)
        roll = rng.random()
        if roll < 0.4:
            lines[at:at] = [rng.choice(VOCABULARY) for _ in range(rng.randrange(1, 4))]
        elif roll < 0.7:
            del lines[at:at + rng.randrange(1, 4)]
        else:
            lines[at:at + 1] = [rng.choice(VOCABULARY)]
    return "\n".join(lines)


def random_files(rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    old = {f"src/f{i}.jsx": random_text(rng) for i in range(rng.randrange(0, 5))}
    new = {}
    for path, text in old.items():
        roll = rng.random()
        if roll < 0.15:
            continue  # removed
        new[path] = text if roll < 0.3 else mutated(rng, text)
    for i in range(rng.randrange(0, 3)):
        new[f"src/new{i}.css"] = random_text(rng)
    return old, new


def test_the_hunks_turn_the_old_files_into_the_new() -> None:
    for seed in range(500):
        rng = random.Random(seed)
        old, new = random_files(rng)
        context = rng.choice([0, 1, 3])

        diffs = diff_files(old, new, context=context)

        assert apply_all(old, diffs) == new, f"seed {seed}"
        assert [d.path for d in diffs] == sorted(d.path for d in diffs)
        for file in diffs:
            assert old.get(file.path) != new.get(file.path)  # unchanged files are left out
            plus = sum(line[0] == "+" for hunk in file.hunks for line in hunk.lines)
            minus = sum(line[0] == "-" for hunk in file.hunks for line in hunk.lines)
            assert (file.additions, file.deletions) == (plus, minus), f"seed {seed}"


def test_a_change_in_the_middle_with_its_context() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 11))
    new = old.replace("line 5\n", "line five\nline 5b\n")

    (file,) = diff_files({"a.txt": old}, {"a.txt": new})

    assert (file.path, file.status, file.additions, file.deletions) == ("a.txt", "changed", 2, 1)
    assert file.hunks == [Hunk(old_start=2, old_lines=7, new_start=2, new_lines=8, lines=[
        " line 2", " line 3", " line 4", "-line 5", "+line five", "+line 5b", " line 6",
        " line 7", " line 8"])]


def test_hunk_headers_are_those_of_a_unified_diff() -> None:
    rng = random.Random(7)
    for _ in range(50):
        old = random_text(rng).rstrip("\n") + "\n"
        new = mutated(rng, old).rstrip("\n") + "\n"
        if old == new:
            continue
        (file,) = diff_files({"f": old}, {"f": new})
        a, b = old.split("\n")[:-1], new.split("\n")[:-1]
        headers = [line for line in difflib.unified_diff(a, b, n=3, lineterm="")
                   if line.startswith("@@")]
        ours = [f"@@ -{_range(h.old_start, h.old_lines)} +{_range(h.new_start, h.new_lines)} @@"
                for h in file.hunks]
        assert ours == headers


def _range(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start},{count}"


def test_added_and_removed_files_and_a_missing_final_newline() -> None:
    diffs = diff_files({"gone.js": "a\nb\n", "same.js": "x\n", "tail.js": "end\n"},
                       {"new.js": "one\ntwo", "same.js": "x\n", "tail.js": "end"})

    assert [(d.path, d.status, d.additions, d.deletions) for d in diffs] == [
        ("gone.js", "removed", 0, 2), ("new.js", "added", 2, 0), ("tail.js", "changed", 1, 1)]
    gone, added, tail = diffs
    assert gone.hunks == [Hunk(1, 2, 0, 0, ["-a", "-b"])]
    assert added.hunks == [Hunk(0, 0, 1, 2, ["+one", "+two", NO_NEWLINE])]
    assert tail.hunks == [Hunk(1, 1, 1, 1, ["-end", "+end", NO_NEWLINE])]
    assert diff_files({"a": "same"}, {"a": "same"}) == []
    assert diff_files({}, {"empty.txt": ""}) == [FileDiff("empty.txt", "added", 0, 0)]


def test_a_file_over_the_line_limit_is_only_marked_too_large() -> None:
    big = "x\n" * 11

    diffs = diff_files({"big": big, "small": "a\n"}, {"big": big + "y\n", "small": "b\n",
                                                      "huge": big}, max_lines=10)

    assert [(d.path, d.too_large, d.hunks, d.additions) for d in diffs] == [
        ("big", True, [], 0), ("huge", True, [], 11), ("small", False, diffs[2].hunks, 1)]
    assert diffs[2].hunks == [Hunk(1, 1, 1, 1, ["-a", "+b"])]
