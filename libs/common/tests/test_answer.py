"""Tests for paynto_common.answer: the tagged-file answer parser and the stream tracker."""

from __future__ import annotations

import random

import pytest

from paynto_common.answer import (
    ParsedAnswer,
    ParsedFile,
    StreamFileTracker,
    normalize_path,
    parse_answer,
)

APP = 'export default function App() {\n  return <h1 className="text-xl">Hi</h1>;\n}\n'


def _file(path: str, body: str, close: bool = True) -> str:
    return f'<file path="{path}">\n{body}' + ("</file>\n" if close else "")


# --- normalize_path ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("src/App.jsx", "src/App.jsx"),
        ("App.jsx", "src/App.jsx"),
        ("components/Hero.jsx", "src/components/Hero.jsx"),
        ("./components/Hero.jsx", "src/components/Hero.jsx"),
        ("/src/App.jsx", "src/App.jsx"),
        ("//src//App.jsx", "src/App.jsx"),
        ("././src/./App.jsx", "src/App.jsx"),
        ("  src/App.jsx  ", "src/App.jsx"),
        ('"src/App.jsx"', "src/App.jsx"),
        ("'App.jsx'", "src/App.jsx"),
        ("`App.jsx`", "src/App.jsx"),
        ("src\\components\\Hero.jsx", "src/components/Hero.jsx"),
        ("public/logo.svg", "public/logo.svg"),
        ("/public/logo.svg", "public/logo.svg"),
        ("index.html", "index.html"),
        ("/index.html", "index.html"),
        ("package.json", "package.json"),
        ("vite.config.js", "vite.config.js"),
        ("vite.config.ts", "vite.config.ts"),
        ("tailwind.config.js", "tailwind.config.js"),
        ("postcss.config.cjs", "postcss.config.cjs"),
        ("tsconfig.json", "tsconfig.json"),
        ("tsconfig.node.json", "tsconfig.node.json"),
        ("eslint.config.js", "eslint.config.js"),
        (".eslintrc.json", ".eslintrc.json"),
        (".gitignore", ".gitignore"),
        # A config-looking name inside a folder is an ordinary source file.
        ("lib/vite.config.js", "src/lib/vite.config.js"),
        ("styles/index.html", "src/styles/index.html"),
        ("srcfoo/x.js", "src/srcfoo/x.js"),
        ("", ""),
        ("   ", ""),
        ("./", ""),
        ("/", ""),
        # Absolute paths outside the project's folders stay absolute, for the safety check.
        ("/abs/path", "/abs/path"),
        ("/etc/passwd", "/etc/passwd"),
    ],
)
def test_normalize_path(raw: str, expected: str) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    "raw", ["src/../../x", "../x", "..\\..\\etc\\passwd", "src/a/../../b", "/../x", "./../x"]
)
def test_normalize_path_never_hides_dotdot(raw: str) -> None:
    assert ".." in normalize_path(raw).split("/")


@pytest.mark.parametrize("raw", ["C:\\Users\\x.js", "c:/x.js", "D:"])
def test_normalize_path_keeps_drive_letters_visible(raw: str) -> None:
    assert normalize_path(raw)[1] == ":"


def test_normalize_path_is_idempotent() -> None:
    for raw in ["App.jsx", "./a/b.jsx", "public/x", "vite.config.js", "src/../x", "/index.html"]:
        once = normalize_path(raw)
        assert normalize_path(once) == once


# --- basic parsing -----------------------------------------------------------------------------


def test_single_file() -> None:
    r = parse_answer(_file("src/App.jsx", APP))
    assert r.files == [ParsedFile("src/App.jsx", APP, True)]
    assert r.truncated == []
    assert r.warnings == []


def test_empty_text() -> None:
    assert parse_answer("") == ParsedAnswer()


def test_plain_prose_has_no_files() -> None:
    r = parse_answer("Sure! I can't do that right now.")
    assert r.files == [] and r.explanation is None and r.warnings == []


def test_paths_are_normalized() -> None:
    r = parse_answer(_file("./components/Hero.jsx", "x\n") + _file("/index.html", "<html/>\n"))
    assert [f.path for f in r.files] == ["src/components/Hero.jsx", "index.html"]


def test_single_quoted_and_bare_path_attributes() -> None:
    text = "<file path='a.jsx'>1</file><file path=b.jsx>2</file>"
    assert [f.path for f in parse_answer(text).files] == ["src/a.jsx", "src/b.jsx"]


def test_other_attributes_are_ignored() -> None:
    r = parse_answer('<file lang="jsx" path="src/App.jsx" mode="full">x</file>')
    assert [f.path for f in r.files] == ["src/App.jsx"]


def test_file_without_path_is_ignored_with_warning() -> None:
    r = parse_answer('<file>orphan</file><file path="a.js">ok</file>')
    assert [f.path for f in r.files] == ["src/a.js"]
    assert any("without a path" in w for w in r.warnings)


def test_empty_path_is_ignored_with_warning() -> None:
    r = parse_answer('<file path="  ">x</file>')
    assert r.files == []
    assert any("empty path" in w for w in r.warnings)


def test_body_whitespace_is_trimmed_and_newline_terminated() -> None:
    r = parse_answer('<file path="a.js">\n\n  const a = 1;\n\n   \n</file>')
    assert r.files[0].content == "  const a = 1;\n"


def test_crlf_bodies_become_lf() -> None:
    r = parse_answer('<file path="a.js">\r\nline1\r\nline2\r\n</file>')
    assert r.files[0].content == "line1\nline2\n"


def test_order_is_first_seen() -> None:
    text = _file("c.js", "c\n") + _file("a.js", "a\n") + _file("b.js", "b\n")
    assert [f.path for f in parse_answer(text).files] == ["src/c.js", "src/a.js", "src/b.js"]


def test_closing_tag_with_space() -> None:
    r = parse_answer('<file path="a.js">x</file >')
    assert r.files[0].complete


def test_jsx_component_named_file_is_not_a_tag() -> None:
    body = 'import { File } from "lucide-react";\nconst X = () => <File className="h-4" />;\n'
    r = parse_answer(_file("src/X.jsx", body))
    assert r.files == [ParsedFile("src/X.jsx", body, True)]


def test_stray_closing_tag_is_ignored_with_warning() -> None:
    r = parse_answer("</file>" + _file("a.js", "a\n"))
    assert [f.path for f in r.files] == ["src/a.js"]
    assert any("stray" in w for w in r.warnings)


def test_empty_file_is_kept_with_warning() -> None:
    r = parse_answer('<file path="src/empty.css"></file>')
    assert r.files == [ParsedFile("src/empty.css", "", True)]
    assert any("empty file" in w for w in r.warnings)


# --- unclosed files ----------------------------------------------------------------------------


def test_unclosed_last_file_is_kept_incomplete() -> None:
    text = _file("src/App.jsx", APP) + _file("src/Hero.jsx", "export default function H", False)
    r = parse_answer(text)
    assert r.files[1] == ParsedFile("src/Hero.jsx", "export default function H\n", False)
    assert r.truncated == ["src/Hero.jsx"]
    assert any("no closing tag" in w for w in r.warnings)


def test_unclosed_middle_file_ends_at_next_file() -> None:
    text = '<file path="a.js">const a = 1;\n<file path="b.js">const b = 2;\n</file>'
    r = parse_answer(text)
    assert r.files == [
        ParsedFile("src/a.js", "const a = 1;\n", False),
        ParsedFile("src/b.js", "const b = 2;\n", True),
    ]
    assert r.truncated == ["src/a.js"]


def test_unclosed_file_ends_at_top_level_tag_on_its_own_line() -> None:
    text = '<file path="a.js">\nconst a = 1;\n<packages>\nzod\n</packages>\n<command>x</command>'
    r = parse_answer(text)
    assert r.files == [ParsedFile("src/a.js", "const a = 1;\n", False)]
    assert r.packages == ["zod"]
    assert r.commands == ["x"]


def test_top_level_tag_inside_a_line_does_not_end_a_file() -> None:
    body = "const s = '<packages>';\n"
    r = parse_answer(_file("a.js", body))
    assert r.files == [ParsedFile("src/a.js", body, True)]
    assert r.packages == []


def test_opening_tag_only() -> None:
    r = parse_answer('<file path="src/App.jsx">')
    assert r.files == [ParsedFile("src/App.jsx", "", False)]
    assert r.truncated == ["src/App.jsx"]


# --- duplicates --------------------------------------------------------------------------------


def test_duplicate_complete_beats_incomplete_even_if_shorter() -> None:
    text = _file("a.js", "short\n") + _file("a.js", "much longer but cut off", False)
    r = parse_answer(text)
    assert r.files == [ParsedFile("src/a.js", "short\n", True)]
    assert r.truncated == []
    assert any("complete" in w for w in r.warnings)


def test_duplicate_later_complete_replaces_earlier_incomplete() -> None:
    text = '<file path="a.js">cut off, and long as well\n<file path="a.js">ok\n</file>'
    r = parse_answer(text)
    assert r.files == [ParsedFile("src/a.js", "ok\n", True)]
    assert r.truncated == []


def test_duplicate_longer_beats_shorter() -> None:
    text = _file("a.js", "longer version\n") + _file("a.js", "short\n")
    assert parse_answer(text).files == [ParsedFile("src/a.js", "longer version\n", True)]
    text = _file("a.js", "short\n") + _file("a.js", "longer version\n")
    assert parse_answer(text).files == [ParsedFile("src/a.js", "longer version\n", True)]


def test_duplicate_tie_keeps_the_later() -> None:
    text = _file("a.js", "one\n") + _file("a.js", "two\n")
    assert parse_answer(text).files == [ParsedFile("src/a.js", "two\n", True)]


def test_duplicate_keeps_first_seen_position() -> None:
    text = _file("a.js", "a\n") + _file("b.js", "b\n") + _file("./a.js", "a, but longer\n")
    r = parse_answer(text)
    assert [f.path for f in r.files] == ["src/a.js", "src/b.js"]
    assert r.files[0].content == "a, but longer\n"


def test_duplicates_are_detected_after_normalization() -> None:
    text = _file("App.jsx", "1\n") + _file("/src/App.jsx", "22\n")
    r = parse_answer(text)
    assert r.files == [ParsedFile("src/App.jsx", "22\n", True)]
    assert any("more than once" in w for w in r.warnings)


# --- fences inside file bodies -----------------------------------------------------------------


def test_wrapping_fence_is_stripped() -> None:
    r = parse_answer(_file("src/App.jsx", "```jsx\n" + APP + "```\n"))
    assert r.files[0].content == APP


def test_wrapping_tilde_fence_and_longer_fence() -> None:
    r = parse_answer(_file("a.js", "~~~~\nx\n~~~~\n") + _file("b.js", "````js\ny\n````\n"))
    assert [f.content for f in r.files] == ["x\n", "y\n"]


def test_only_one_fence_is_stripped() -> None:
    body = "```md\n```js\nx\n```\n```\n"
    assert parse_answer(_file("README.md", body)).files[0].content == "```js\nx\n```\n"


def test_unwrapped_fence_lines_inside_are_kept() -> None:
    body = "# Title\n\n```js\nx\n```\n"
    assert parse_answer(_file("src/notes.md", body)).files[0].content == body


def test_fence_opened_in_truncated_file_is_dropped() -> None:
    r = parse_answer('<file path="a.js">\n```js\nconst a = 1;\n')
    assert r.files == [ParsedFile("src/a.js", "const a = 1;\n", False)]


# --- truncation detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "...",
        "  \u2026",
        "// ...",
        "  // ... ",
        "/* ... */",
        "{/* ... */}",
        "<!-- ... -->",
        "// ... rest of the code",
        "// ...existing code...",
        "{/* ... other sections */}",
        "... rest of the component",
        "// rest of the code remains the same",
        "// Rest of the component",
        "{/* rest of the sections */}",
        "/* rest of the styles */",
        "// existing code",
        "// code remains unchanged",
        "// everything else stays the same",
        "// same as before",
        "// implementation omitted",
        "// omitted for brevity",
    ],
)
def test_truncation_markers(line: str) -> None:
    body = f"export default function A() {{\n{line}\n  return null;\n}}\n"
    assert parse_answer(_file("src/A.jsx", body)).truncated == ["src/A.jsx"]


@pytest.mark.parametrize(
    "line",
    [
        "const b = { ...a };",
        "  <Card {...props} />",
        "  <p>Loading...</p>",
        "  <p>Enjoy the rest of your day</p>",
        "  const url = 'https://...';",
        "  // Add more items here as the menu grows",
        "  // keep the state unchanged when the input is invalid",
        "  const [items, ...others] = list;",
        "  {/* Hero */}",
    ],
)
def test_ordinary_code_is_not_truncation(line: str) -> None:
    body = f"export default function A() {{\n{line}\n  return null;\n}}\n"
    assert parse_answer(_file("src/A.jsx", body)).truncated == []


def test_truncated_lists_final_files_once_in_order() -> None:
    text = (
        _file("b.js", "// ...\n")
        + _file("a.js", "ok\n")
        + _file("b.js", "// ... rest of the code, twice as long\n")
        + _file("c.js", "cut", False)
    )
    assert parse_answer(text).truncated == ["src/b.js", "src/c.js"]


# --- packages, commands, explanation -----------------------------------------------------------


def test_package_tags() -> None:
    text = "<package>react-router-dom</package>\n<package> framer-motion </package>"
    assert parse_answer(text).packages == ["react-router-dom", "framer-motion"]


def test_packages_comma_and_newline_separated() -> None:
    text = "<packages>\nzod, clsx\nlucide-react\n\n@tanstack/react-query,\n</packages>"
    assert parse_answer(text).packages == ["zod", "clsx", "lucide-react", "@tanstack/react-query"]


def test_packages_dedup_keeps_order_and_versions() -> None:
    text = (
        "<packages>b, a@^1.2, 'c', \"d\"</packages>"
        "<package>a@^1.2</package><packages>- b\n* e\n</packages>"
    )
    assert parse_answer(text).packages == ["b", "a@^1.2", "c", "d", "e"]


def test_packages_inside_file_bodies_are_not_packages() -> None:
    body = "const s = '<package>evil</package>';\n"
    assert parse_answer(_file("a.js", body)).packages == []


def test_unclosed_packages_tag_is_ignored() -> None:
    assert parse_answer("<packages>zod, cl").packages == []


def test_commands_are_recorded() -> None:
    text = "<command>npm run build</command>\n<command>  </command><command>rm -rf /</command>"
    assert parse_answer(text).commands == ["npm run build", "rm -rf /"]


def test_explanation() -> None:
    r = parse_answer("<explanation>\n  A coffee site.\n</explanation>\n" + _file("a.js", "x\n"))
    assert r.explanation == "A coffee site."


def test_several_explanations_are_joined() -> None:
    text = "<explanation>One.</explanation>x<explanation>Two.</explanation>"
    assert parse_answer(text).explanation == "One.\n\nTwo."


def test_unclosed_explanation_stops_at_next_tag_or_end() -> None:
    assert parse_answer("<explanation>Cut here").explanation == "Cut here"
    r = parse_answer("<explanation>Part\n" + _file("a.js", "x\n"))
    assert r.explanation == "Part"
    assert [f.path for f in r.files] == ["src/a.js"]


def test_explanation_inside_file_is_not_the_explanation() -> None:
    r = parse_answer(_file("a.md", "Tag: <explanation>no</explanation>\n"))
    assert r.explanation is None


# --- fallback: fenced code blocks --------------------------------------------------------------


def test_fallback_fence_with_path_attribute() -> None:
    text = 'Here you go:\n\n```jsx path="src/App.jsx"\n' + APP + "```\n\nEnjoy."
    r = parse_answer(text)
    assert r.files == [ParsedFile("src/App.jsx", APP, True)]
    assert any("fenced code blocks" in w for w in r.warnings)


@pytest.mark.parametrize(
    "info",
    [
        "jsx file='App.jsx'",
        'jsx filename="src/App.jsx"',
        'jsx title="src/App.jsx"',
        "jsx path=src/App.jsx",
        "jsx:src/App.jsx",
        "jsx src/App.jsx",
        "src/App.jsx",
    ],
)
def test_fallback_info_string_variants(info: str) -> None:
    r = parse_answer(f"```{info}\n{APP}```\n")
    assert r.files == [ParsedFile("src/App.jsx", APP, True)]


@pytest.mark.parametrize(
    "marker",
    [
        "// File: src/App.jsx",
        "// file: App.jsx",
        "/* File: src/App.jsx */",
        "<!-- File: src/App.jsx -->",
        "{/* File: src/App.jsx */}",
        "// Filename: src/App.jsx",
    ],
)
def test_fallback_file_comment_first_line(marker: str) -> None:
    r = parse_answer(f"```jsx\n{marker}\n{APP}```\n")
    assert r.files == [ParsedFile("src/App.jsx", APP, True)]


def test_fallback_ignores_blocks_without_a_path() -> None:
    text = "```bash\nnpm install\n```\n\n```jsx\n// File: src/A.jsx\nexport const A = 1;\n```\n"
    assert [f.path for f in parse_answer(text).files] == ["src/A.jsx"]


def test_fallback_unclosed_last_block_is_incomplete() -> None:
    text = '```css path="src/index.css"\nbody {}\n```\n```jsx path="src/App.jsx"\nexport'
    r = parse_answer(text)
    assert r.files == [
        ParsedFile("src/index.css", "body {}\n", True),
        ParsedFile("src/App.jsx", "export\n", False),
    ]
    assert r.truncated == ["src/App.jsx"]


def test_fallback_not_used_when_file_tags_exist() -> None:
    text = '```jsx path="src/B.jsx"\nb\n```\n' + _file("src/A.jsx", "a\n")
    assert [f.path for f in parse_answer(text).files] == ["src/A.jsx"]


def test_fallback_keeps_inner_fences_of_other_blocks_apart() -> None:
    text = "````md\n```js\n// File: src/x.js\n```\n````\n"
    assert parse_answer(text).files == []


def test_fallback_duplicates_follow_the_same_rules() -> None:
    text = '```js path="a.js"\nlonger one\n```\n```js path="a.js"\nshort\n```\n'
    assert parse_answer(text).files == [ParsedFile("src/a.js", "longer one\n", True)]


# --- a realistic answer ------------------------------------------------------------------------

REALISTIC = (
    "<explanation>\nA landing page for a coffee roastery.\n</explanation>\n\n"
    "<packages>\nlucide-react\n</packages>\n\n"
    '<file path="src/index.css">\n@import "tailwindcss";\n</file>\n\n'
    '<file path="src/App.jsx">\n```jsx\n'
    'import Hero from "./components/Hero.jsx";\n\n'
    "export default function App() {\n  return <Hero />;\n}\n```\n</file>\n\n"
    '<file path="src/components/Hero.jsx">\n'
    'import { Coffee } from "lucide-react";\n\n'
    "export default function Hero() {\n"
    '  return (\n    <section className="py-24">\n      <Coffee aria-hidden="true" />\n'
    "      <h1>Roasted this week</h1>\n    </section>\n  );\n}\n</file>\n\n"
    "<command>npm run dev</command>\n\n"
    '<file path="src/components/Footer.jsx">\nexport default function Footer() {\n  return (\n'
)


def test_realistic_answer() -> None:
    r = parse_answer(REALISTIC)
    assert [f.path for f in r.files] == [
        "src/index.css",
        "src/App.jsx",
        "src/components/Hero.jsx",
        "src/components/Footer.jsx",
    ]
    assert [f.complete for f in r.files] == [True, True, True, False]
    assert r.files[1].content.startswith("import Hero")
    assert "```" not in r.files[1].content
    assert r.packages == ["lucide-react"]
    assert r.commands == ["npm run dev"]
    assert r.explanation == "A landing page for a coffee roastery."
    assert r.truncated == ["src/components/Footer.jsx"]


# --- StreamFileTracker -------------------------------------------------------------------------


def _feed_all(chunks: list[str]) -> tuple[list[list[str]], StreamFileTracker]:
    tracker = StreamFileTracker()
    return [tracker.feed(c) for c in chunks], tracker


def _chunks(text: str, sizes: list[int]) -> list[str]:
    out, i, k = [], 0, 0
    while i < len(text):
        n = sizes[k % len(sizes)]
        out.append(text[i : i + n])
        i, k = i + n, k + 1
    return out


def test_tracker_reports_file_when_closing_tag_arrives() -> None:
    tracker = StreamFileTracker()
    assert tracker.feed('<file path="App.jsx">\nexport') == []
    assert tracker.current_path == "src/App.jsx"
    assert tracker.feed(" default 1;\n") == []
    assert tracker.feed("</file>\n") == ["src/App.jsx"]
    assert tracker.current_path is None


def test_tracker_closing_tag_split_across_deltas() -> None:
    tracker = StreamFileTracker()
    assert tracker.feed('<file path="a.js">x</fi') == []
    assert tracker.feed("le>") == ["src/a.js"]


def test_tracker_opening_tag_split_across_deltas() -> None:
    tracker = StreamFileTracker()
    for part in ["<", "fi", "le pa", 'th="src/', 'a.js"', ">x<", "/", "file", ">"]:
        result = tracker.feed(part)
    assert result == ["src/a.js"]


def test_tracker_one_character_at_a_time() -> None:
    reports, tracker = _feed_all(list(REALISTIC))
    closed = [p for r in reports for p in r]
    assert closed == ["src/index.css", "src/App.jsx", "src/components/Hero.jsx"]
    assert tracker.packages_seen() == ["lucide-react"]
    assert tracker.current_path == "src/components/Footer.jsx"


def test_tracker_reports_each_file_exactly_when_closed() -> None:
    text = _file("a.js", "a\n") + _file("b.js", "b\n")
    tracker = StreamFileTracker()
    seen_at = {}
    for i, ch in enumerate(text):
        for path in tracker.feed(ch):
            seen_at[path] = i
    first_close = text.index("</file>") + len("</file>") - 1
    assert seen_at == {"src/a.js": first_close, "src/b.js": len(text) - 2}


def test_tracker_unclosed_file_is_never_reported() -> None:
    text = '<file path="a.js">x\n<file path="b.js">y</file>'
    reports, _ = _feed_all(list(text))
    assert [p for r in reports for p in r] == ["src/b.js"]


def test_tracker_ignores_stray_closing_tag_and_pathless_files() -> None:
    reports, _ = _feed_all(["</file>", "<file>x</file>", '<file path="a">y</file>'])
    assert reports == [[], [], ["src/a"]]


def test_tracker_file_ended_by_top_level_tag_is_not_reported() -> None:
    text = '<file path="a.js">\nx\n<packages>\nzod\n</packages>\n</file>'
    reports, tracker = _feed_all(list(text))
    assert [p for r in reports for p in r] == []
    assert tracker.packages_seen() == ["zod"]


def test_tracker_packages_seen_grows_and_dedups() -> None:
    tracker = StreamFileTracker()
    tracker.feed("<packages>zod, cl")
    assert tracker.packages_seen() == []
    tracker.feed("sx</packa")
    assert tracker.packages_seen() == []
    tracker.feed("ges>\n<package>zod</package>")
    assert tracker.packages_seen() == ["zod", "clsx"]


def test_tracker_packages_inside_files_are_not_seen() -> None:
    _, tracker = _feed_all(list(_file("a.js", "'<package>evil</package>'\n")))
    assert tracker.packages_seen() == []


def test_tracker_handles_long_streams() -> None:
    body = "x" * 50_000 + "\n"
    text = "".join(_file(f"f{i}.js", body) for i in range(3))
    reports, _ = _feed_all(_chunks(text, [997]))
    assert [p for r in reports for p in r] == ["src/f0.js", "src/f1.js", "src/f2.js"]


# --- chunking properties -----------------------------------------------------------------------

TAGGED_SAMPLES = [
    REALISTIC,
    REALISTIC + "\nbar();\n}\n</file>\n<package>zod</package>",
    '<file path="a.js">a\n<file path="b.js">b</file></file><packages>x,y</packages>',
    '<file path="x.js">\n<File /> </fil e> </file\n>',
    '<file path="a.js">\nx\n<explanation>why</explanation>\n<file path="b.js">y</file>',
]
# Fenced fallbacks are only recognised on a whole answer; the tracker follows tags alone.
SAMPLES = [*TAGGED_SAMPLES, "```jsx\n// File: src/App.jsx\nexport default 1;\n```\n"]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("seed", range(8))
def test_concatenated_chunks_parse_like_the_whole(sample: str, seed: int) -> None:
    # No hypothesis: a seeded generator gives reproducible random cut points.
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(sample)), k=min(12, len(sample) - 1)))
    chunks = [sample[i:j] for i, j in zip([0, *cuts], [*cuts, len(sample)], strict=True)]
    assert "".join(chunks) == sample
    assert parse_answer("".join(chunks)) == parse_answer(sample)


@pytest.mark.parametrize("sample", TAGGED_SAMPLES)
@pytest.mark.parametrize("seed", range(8))
def test_tracker_agrees_with_parse_response(sample: str, seed: int) -> None:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(sample)), k=min(12, len(sample) - 1)))
    chunks = [sample[i:j] for i, j in zip([0, *cuts], [*cuts, len(sample)], strict=True)]
    reports, tracker = _feed_all(chunks)
    whole = parse_answer(sample)
    assert tracker.packages_seen() == whole.packages
    # The samples repeat no path, so the files reported live are exactly the complete files.
    assert [p for r in reports for p in r] == [f.path for f in whole.files if f.complete]


@pytest.mark.parametrize("sample", TAGGED_SAMPLES)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_tracker_is_independent_of_chunk_size(sample: str, size: int) -> None:
    reports, tracker = _feed_all(_chunks(sample, [size]))
    reference, ref_tracker = _feed_all([sample])
    assert [p for r in reports for p in r] == [p for r in reference for p in r]
    assert tracker.packages_seen() == ref_tracker.packages_seen()
    assert tracker.current_path == ref_tracker.current_path
