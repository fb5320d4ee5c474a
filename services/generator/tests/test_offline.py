"""Tests for the offline (rule-based, not AI) generator."""

from __future__ import annotations

import posixpath
import re

import pytest

from generator.offline import OfflineGenerator, plan_site
from generator.offline.icons import ICONS, icon_module
from generator.offline.sections import GENERIC_GALLERY, GENERIC_PRODUCTS
from generator.offline.topics import GENERIC, TOPICS
from paynto_common.answer import ParsedAnswer, StreamFileTracker, parse_answer
from paynto_common.packages import TEMPLATE_DIR

COFFEE = "a landing page for a coffee roastery"

# One prompt per topic, plus a few awkward ones; every test over "all prompts" uses these.
PROMPTS = [
    COFFEE,
    "a website for a neighbourhood bakery called 'Crumbs'",
    "Landing page for an Italian restaurant with a menu and reviews",
    "Build me a SaaS landing page for a project management tool",
    "a portfolio for a UX designer",
    "wedding photographer portfolio, dark theme",
    "a gym website with class timetable and membership pricing",
    "yoga studio in Berlin",
    "a creative agency site with case studies",
    "law firm website with team and FAQ",
    "online store for handmade candles",
    "a travel company offering small-group tours",
    "an online course academy",
    "a page for my band with tour dates",
    "a website for a dentist",
    "a real estate agency landing page",
    "a charity for animal rescue",
    "A pottery studio website",
    "make the header blue",
    "add a pricing section and a FAQ",
    "",
    'a site for "Tom & Jerry\'s <Cheese> {Shop}"',
]


def _parse(prompt: str) -> ParsedAnswer:
    return parse_answer(OfflineGenerator().render(prompt))


def _files(prompt: str) -> dict[str, str]:
    return {f.path: f.content for f in _parse(prompt).files}


# --- a structural JSX check ----------------------------------------------------------------------
# No JSX parser is available without npm packages, so this checks what a syntax error in
# generated code would most likely break: balanced brackets, balanced JSX tags, well-formed
# attributes. It relies on the generator's own conventions (no "<" comparisons, no template
# literals, no straight quotes in JSX text), which the generator guarantees by escaping.

_PAIRS = {")": "(", "]": "[", "}": "{"}


def _skip_string(src: str, i: int) -> int:
    quote = src[i]
    i += 1
    while src[i] != quote:
        assert src[i] != "\n", f"unterminated string at {i}"
        i += 2 if src[i] == "\\" else 1
    return i + 1


def _skip_expression(src: str, i: int) -> int:
    """From a "{", past its matching "}"."""
    depth = 0
    while True:
        c = src[i]
        if c in "\"'":
            i = _skip_string(src, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def check_jsx(src: str) -> None:
    """Fail if brackets or JSX tags are unbalanced or an attribute is malformed."""
    stack: list[str] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i) and src[i - 1 : i] != ":":
            i = src.find("\n", i) % (n + 1) if "\n" in src[i:] else n
            continue
        if src.startswith("/*", i):
            i = src.index("*/", i) + 2
            continue
        if c in "\"'" and (not stack or not stack[-1].startswith("<")):
            i = _skip_string(src, i)
            continue
        if c == "`":
            raise AssertionError("template literals are not expected in generated code")
        if src.startswith("</", i):
            m = re.compile(r"</([A-Za-z][\w.]*)\s*>").match(src, i)
            assert m, f"malformed closing tag at {src[i : i + 30]!r}"
            assert stack and stack[-1] == "<" + m.group(1), f"unexpected {m.group(0)}: {stack}"
            stack.pop()
            i = m.end()
            continue
        if c == "<" and i + 1 < n and src[i + 1].isalpha():
            m = re.compile(r"<([A-Za-z][\w.]*)").match(src, i)
            assert m
            i = m.end()
            while True:
                while src[i].isspace():
                    i += 1
                if src.startswith("/>", i):
                    i += 2
                    break
                if src[i] == ">":
                    stack.append("<" + m.group(1))
                    i += 1
                    break
                attr = re.compile(r"[A-Za-z_][\w:-]*").match(src, i)
                assert attr, f"malformed attribute in <{m.group(1)}> at {src[i : i + 30]!r}"
                i = attr.end()
                if src[i] == "=":
                    i += 1
                    if src[i] == '"':
                        i = _skip_string(src, i)
                    elif src[i] == "{":
                        i = _skip_expression(src, i)
                    else:
                        raise AssertionError(f"bad value for {attr.group(0)} in <{m.group(1)}>")
            continue
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            assert stack and stack[-1] == _PAIRS[c], f"unbalanced {c!r} at {i}: {stack[-3:]}"
            stack.pop()
        elif c in "<>" and stack and stack[-1].startswith("<"):
            # In JSX text these must have been escaped; a bare one is a syntax error.
            raise AssertionError(f"bare {c!r} in JSX text at {src[i - 20 : i + 20]!r}")
        i += 1
    assert not stack, f"unclosed: {stack}"


def test_check_jsx_catches_mistakes() -> None:
    check_jsx('export default function A() {\n  return <div className="x">{a ? "<" : b}</div>;\n}')
    check_jsx("const f = (x) => x === 1;\nconst g = <p>a {x.map((y) => <b key={y}>{y}</b>)}</p>;")
    for broken in [
        "function A() { return <div><p></div>; }",
        "function A() { return <div>; }",
        "function A() { return (<div></div>; }",
        'function A() { return <div className=x></div>; }',
        "function A() { return <p>a > b</p>; }",
        'const s = "unterminated;\n',
    ]:
        with pytest.raises(AssertionError):
            check_jsx(broken)


# --- determinism and format ----------------------------------------------------------------------


def test_same_prompt_same_bytes() -> None:
    a = OfflineGenerator().render(COFFEE)
    b = OfflineGenerator().render(COFFEE)
    assert a == b
    # Only whitespace differs: the prompt is read the same way.
    assert OfflineGenerator().render("  a landing page  for a coffee\nroastery ") == a


def test_different_prompts_differ() -> None:
    outputs = {OfflineGenerator().render(p) for p in PROMPTS}
    assert len(outputs) == len(PROMPTS)


def test_name_and_label() -> None:
    assert OfflineGenerator.name == "offline"
    r = _parse(COFFEE)
    assert r.explanation is not None
    assert "offline generator" in r.explanation and "not AI" in r.explanation


def test_answer_starts_with_explanation_then_css_then_app() -> None:
    text = OfflineGenerator().render(COFFEE)
    assert text.startswith("<explanation>")
    paths = [f.path for f in parse_answer(text).files]
    assert paths[:2] == ["src/index.css", "src/App.jsx"]
    assert all(p.startswith("src/components/") and p.endswith(".jsx") for p in paths[2:])


@pytest.mark.parametrize("prompt", PROMPTS)
def test_parses_cleanly(prompt: str) -> None:
    r = _parse(prompt)
    assert r.warnings == []
    assert r.truncated == []
    assert all(f.complete and f.content.strip() for f in r.files)
    assert r.packages == [] and r.commands == []
    assert len({f.path for f in r.files}) == len(r.files)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_template_files_are_left_alone(prompt: str) -> None:
    paths = set(_files(prompt))
    for owned in ["src/main.jsx", "index.html", "package.json", "vite.config.js"]:
        assert owned not in paths
    assert not any(re.search(r"config|\.json$|\.html$", p) for p in paths)


def test_index_css() -> None:
    css = _files(COFFEE)["src/index.css"]
    assert css.startswith('@import "tailwindcss";\n')
    assert "@tailwind" not in css  # Tailwind 3 syntax


# --- the import graph ----------------------------------------------------------------------------

_IMPORT_RE = re.compile(r"""^import\s+(?:(.+?)\s+from\s+)?["']([^"']+)["'];?\s*$""", re.M)


def _resolve(importer: str, spec: str, paths: set[str]) -> str | None:
    base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    for candidate in (base, base + ".jsx", base + ".js", base + "/index.jsx"):
        if candidate in paths:
            return candidate
    return None


@pytest.mark.parametrize("prompt", PROMPTS)
def test_import_graph_is_closed(prompt: str) -> None:
    files = _files(prompt)
    paths = set(files)
    # main.jsx (owned by the template) imports these two.
    assert {"src/App.jsx", "src/index.css"} <= paths
    reached = {"src/App.jsx", "src/index.css"}
    todo = ["src/App.jsx"]
    while todo:
        path = todo.pop()
        for _names, spec in _IMPORT_RE.findall(files[path]):
            if spec.startswith("."):
                target = _resolve(path, spec, paths)
                assert target, f"{path} imports {spec}, which was not emitted"
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
            else:
                assert spec == "react", f"{path} needs the package {spec}"
    assert reached == paths, f"emitted but never imported: {paths - reached}"


@pytest.mark.parametrize("prompt", PROMPTS)
def test_every_import_is_used(prompt: str) -> None:
    for path, src in _files(prompt).items():
        for names, _spec in _IMPORT_RE.findall(src):
            for name in re.findall(r"\w+", names):
                uses = len(re.findall(rf"\b{name}\b", src))
                assert uses >= 2, f"{path}: {name} imported but not used"


# --- the JSX itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", PROMPTS)
def test_jsx_is_well_formed(prompt: str) -> None:
    for path, src in _files(prompt).items():
        if path.endswith(".jsx"):
            try:
                check_jsx(src)
            except AssertionError as exc:
                raise AssertionError(f"{path}: {exc}") from exc
            assert len(re.findall(r"^export default function \w+\(", src, re.M)) == 1


def _class_strings(src: str) -> list[str]:
    found = re.findall(r'className="([^"]*)"', src)
    for expr in re.findall(r"className=\{([^}]*)\}", src):
        found += re.findall(r'"([^"]*)"', expr)
    # Class lists kept in data (gallery and product tones) are used as classes too.
    found += re.findall(r'tone: "([^"]*)"', src)
    return found


@pytest.mark.parametrize("prompt", PROMPTS)
def test_standard_tailwind_classes_only(prompt: str) -> None:
    for path, src in _files(prompt).items():
        if not path.endswith(".jsx"):
            continue
        assert "style=" not in src, f"{path} uses an inline style"
        # Icons are inline SVG, drawn in one place; no images.
        assert ("<svg" in src) == (path == "src/components/Icon.jsx"), path
        assert "<img" not in src
        for classes in _class_strings(src):
            for token in classes.split():
                # No arbitrary values ("w-[37px]") and nothing built at runtime.
                assert re.fullmatch(r"-?[a-z0-9:/.-]+", token), f"{path}: odd class {token!r}"


@pytest.mark.parametrize("prompt", PROMPTS)
def test_accessibility_basics(prompt: str) -> None:
    files = _files(prompt)
    jsx = "\n".join(src for path, src in files.items() if path.endswith(".jsx"))
    assert jsx.count("<h1") == 1
    assert "<main" in jsx and "<header" in jsx and "<footer" in jsx and "<nav" in jsx
    for tag in re.findall(r'<div\s[^>]*role="img"[^>]*>', jsx, re.S):
        assert "aria-label=" in tag
    for field_id in re.findall(r'<(?:input|textarea)\s+id="([^"]+)"', jsx):
        assert f'htmlFor="{field_id}"' in jsx
    assert 'aria-expanded={open}' in files["src/components/Header.jsx"]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_nav_links_point_at_sections(prompt: str) -> None:
    jsx = "\n".join(_files(prompt).values())
    ids = set(re.findall(r'\bid="([\w-]+)"', jsx))
    targets = set(re.findall(r'href: "#([\w-]+)"', jsx)) | set(re.findall(r'href="#([\w-]+)"', jsx))
    assert targets and targets <= ids, targets - ids


@pytest.mark.parametrize("prompt", PROMPTS)
def test_title_is_in_app_jsx(prompt: str) -> None:
    plan = plan_site(prompt)
    app = _files(prompt)["src/App.jsx"]
    m = re.search(r"^const SITE_TITLE = (\".*\");$", app, re.M)
    assert m, "App.jsx must name the site in a constant"
    assert plan.title in app or m.group(1) == _json_string(plan.title)
    for component in ("Header", "Hero", "Contact", "Footer"):
        assert f"<{component} title={{SITE_TITLE}} />" in app


def _json_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


# --- following the prompt ------------------------------------------------------------------------


def test_coffee_roastery() -> None:
    files = _files(COFFEE)
    app = files["src/App.jsx"]
    assert 'const SITE_TITLE = "Coffee Roastery";' in app
    everything = "\n".join(files.values())
    assert "bg-amber-600" in everything  # amber accents
    assert "bg-stone-50" in app  # on stone
    hero = files["src/components/Hero.jsx"].lower()
    assert "coffee" in hero and "roast" in hero
    assert "src/components/Menu.jsx" in files
    assert "Espresso" in files["src/components/Menu.jsx"]
    assert "coffee" in files["src/components/Features.jsx"].lower()


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ('a landing page for a coffee shop called "Bean There"', "Bean There"),
        ("a site for a bakery named 'Crumbs'", "Crumbs"),
        ("a website for my yoga studio called Zen Den", "Zen Den"),
        ("a homepage for a café titled “Le Petit Coin”", "Le Petit Coin"),
        ("a yoga studio in Berlin", "Yoga Studio"),
        ("Create a website for my photography studio in Oslo", "Photography Studio"),
        ("I'd like a homepage for Joe's diner, with a menu", "Joe's Diner"),
        ("coffee roastery landing page", "Coffee Roastery"),
        ("a landing page for an AI note-taking app", "AI Note-Taking App"),
        ('change the title to "Sunny Side"', "Sunny Side"),
    ],
)
def test_title_follows_the_prompt(prompt: str, title: str) -> None:
    assert plan_site(prompt).title == title
    assert f"const SITE_TITLE = {_json_string(title)};" in _files(prompt)["src/App.jsx"]


def test_title_without_a_subject_is_a_plausible_brand_and_stable() -> None:
    plan = plan_site("Build me a SaaS landing page")
    assert plan.topic.key == "saas"
    assert plan.title in plan.topic.names
    assert plan_site("Build me a SaaS landing page").title == plan.title


@pytest.mark.parametrize(
    ("prompt", "topic", "primary", "dark"),
    [
        (COFFEE, "coffee", "amber", False),
        ("a gym for powerlifting", "fitness", "lime", True),
        ("a SaaS analytics platform", "saas", "indigo", False),
        ("a boutique selling jewellery", "shop", "rose", False),
        ("a yoga and pilates studio", "wellness", "teal", False),
        ("a dental clinic", "health", "cyan", False),
        ("a page for my band", "music", "purple", True),
        ("a pottery studio", "generic", "blue", False),
    ],
)
def test_topic_and_palette(prompt: str, topic: str, primary: str, dark: bool) -> None:
    plan = plan_site(prompt)
    assert (plan.topic.key, plan.palette.primary, plan.palette.dark) == (topic, primary, dark)
    everything = "\n".join(_files(prompt).values())
    assert f"-{primary}-" in everything


def test_different_topics_look_different() -> None:
    prompts = [COFFEE, "a gym website", "a SaaS startup", "a law firm", "a travel agency"]
    palettes = {plan_site(p).palette for p in prompts}
    assert len(palettes) == len(prompts)


def test_wording_follows_the_topic() -> None:
    gym = "\n".join(_files("a gym website").values()).lower()
    assert "class" in gym and "coach" in gym and "coffee" not in gym
    saas = "\n".join(_files("a SaaS startup").values()).lower()
    assert "pricing" in saas and "trial" in saas
    generic = "\n".join(_files("a website for a pottery studio").values())
    assert "pottery studio" in generic.lower()


@pytest.mark.parametrize(
    ("prompt", "primary"),
    [
        ("a coffee roastery in teal", "teal"),
        ("a bakery website with blue buttons", "blue"),
        ("make the header green", "green"),
        ("a travel site, purple and gold colour scheme", "purple"),
        ("a restaurant, please use navy", "blue"),
    ],
)
def test_colour_words_set_the_palette(prompt: str, primary: str) -> None:
    assert plan_site(prompt).palette.primary == primary
    assert f"bg-{primary}-600" in "\n".join(_files(prompt).values())


@pytest.mark.parametrize(
    "prompt", ["a green tea shop", "Blue Bottle style coffee site", "a red wine bar menu"]
)
def test_colour_words_that_are_not_about_design_are_ignored(prompt: str) -> None:
    plan = plan_site(prompt)
    assert plan.palette.primary == plan.topic.palette.primary


def test_dark_mode_request() -> None:
    plan = plan_site("a coffee roastery landing page, dark mode")
    assert plan.palette.dark
    assert "bg-stone-950" in _files("a coffee roastery landing page, dark mode")["src/App.jsx"]
    assert not plan_site("a coffee roastery known for its dark roast").palette.dark


@pytest.mark.parametrize(
    ("prompt", "component"),
    [
        ("a coffee roastery with pricing plans", "Pricing"),
        ("a bakery website with an FAQ", "Faq"),
        ("a law firm; show the team", "Team"),
        ("a SaaS app with a photo gallery", "Gallery"),
        ("a yoga studio with customer reviews", "Testimonials"),
    ],
)
def test_requested_sections_are_added(prompt: str, component: str) -> None:
    files = _files(prompt)
    assert f"src/components/{component}.jsx" in files
    assert f"<{component} />" in files["src/App.jsx"]


def test_section_count_is_capped() -> None:
    prompt = "a SaaS with menu, products, gallery, schedule, team, pricing, FAQ and reviews"
    sections = plan_site(prompt).sections
    assert len(sections) <= 6
    assert len(set(sections)) == len(sections)


def test_edit_like_prompt_still_gives_a_full_site() -> None:
    r = _parse("make the header blue")
    paths = {f.path for f in r.files}
    assert {"src/App.jsx", "src/components/Header.jsx", "src/components/Footer.jsx"} <= paths
    assert r.explanation is not None and "cannot edit" in r.explanation
    assert "bg-blue-600" in "\n".join(f.content for f in r.files)


def test_user_text_is_escaped() -> None:
    prompt = 'a site for "Tom & Jerry\'s <Cheese> {Shop}"'
    title = plan_site(prompt).title
    assert "<Cheese>" in title
    app = _files(prompt)["src/App.jsx"]
    assert f"const SITE_TITLE = {_json_string(title)};" in app
    # The raw name only appears inside that string; JSX gets it through the prop.
    for path, src in _files(prompt).items():
        if path != "src/App.jsx":
            assert "<Cheese>" not in src, path


def test_no_time_or_randomness_in_output() -> None:
    text = OfflineGenerator().render(COFFEE)
    assert "Math.random" not in text
    # The footer year is computed in the browser, so the output never goes stale.
    assert "new Date().getFullYear()" in _files(COFFEE)["src/components/Footer.jsx"]


# --- streaming -----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 10_000])
async def test_stream_concatenates_to_render(chunk_size: int) -> None:
    gen = OfflineGenerator()
    chunks = [c async for c in gen.stream(COFFEE, chunk_size=chunk_size)]
    assert "".join(chunks) == gen.render(COFFEE)
    assert all(0 < len(c) <= chunk_size for c in chunks)


async def test_stream_default_chunks() -> None:
    chunks = [c async for c in OfflineGenerator().stream(COFFEE)]
    assert len(chunks) > 10 and max(map(len, chunks)) == 64


async def test_stream_rejects_bad_chunk_size() -> None:
    with pytest.raises(ValueError):
        async for _ in OfflineGenerator().stream(COFFEE, chunk_size=0):
            pass


async def test_stream_reports_every_file_live() -> None:
    tracker = StreamFileTracker()
    closed: list[str] = []
    async for chunk in OfflineGenerator().stream(COFFEE, chunk_size=13):
        closed += tracker.feed(chunk)
    assert closed == [f.path for f in _parse(COFFEE).files]


# --- icons ---------------------------------------------------------------------------------------
# Emoji render as empty boxes where the viewer has no emoji font, so sites draw SVG icons instead.

# Pictographs, dingbats and symbols that fonts draw as emoji, and the emoji-style selector.
_PICTOGRAPH = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")
# The icons the components name themselves, not through their data.
_UI_ICONS = {"menu", "x", "mail", "check", "star"}
_ICON_PROMPTS = [
    *PROMPTS,
    "a shop selling gift cards and starter kits",
    "a bakery with a photo gallery and a product catalogue",
    "a pottery studio with a gallery, products, pricing and reviews",
    "a travel agency with a shop and pricing",
    "a band page with merch and a photo gallery",
    "a charity with a gallery of our work",
]


def test_pictograph_pattern_tells_emoji_from_punctuation() -> None:
    for emoji in ["☕", "⚡", "✨", "⭐", "★", "✓", "✉️", "🧑‍🏫", "🍽️", "↩️"]:
        assert _PICTOGRAPH.search(emoji), emoji
    assert not _PICTOGRAPH.search("Mon–Fri 7:00 — Sat · “quotes” © 4.9/5 24×24 café →")


@pytest.mark.parametrize("prompt", _ICON_PROMPTS)
def test_no_emoji_in_any_file(prompt: str) -> None:
    r = _parse(prompt)
    assert r.explanation is not None and not _PICTOGRAPH.search(r.explanation)
    for f in r.files:
        found = _PICTOGRAPH.search(f.content)
        assert found is None, f"{f.path} has {found.group()!r}"


def _data_icons() -> set[str]:
    """Every icon name the topics and the generic sections use."""
    names = set()
    for topic in (*TOPICS, GENERIC):
        names.add(topic.icon)
        names.update(icon for icon, _, _ in topic.features)
        names.update(icon for icon, _, _ in topic.products)
        names.update(icon for icon, _ in topic.gallery)
        names.update(icon for icon, _, _ in topic.details)
    names.update(icon for icon, _, _ in GENERIC_PRODUCTS)
    names.update(icon for icon, _ in GENERIC_GALLERY)
    return names


def test_every_icon_used_is_drawn_and_every_drawn_icon_is_used() -> None:
    used = _data_icons() | _UI_ICONS
    assert used - set(ICONS) == set(), "named but not drawn"
    assert set(ICONS) - used == set(), "drawn but never used"


def test_topics_have_distinct_icons() -> None:
    icons = [topic.icon for topic in (*TOPICS, GENERIC)]
    assert len(set(icons)) == len(icons)


def _icon_module_names(src: str) -> list[str]:
    block = src.split("const PATHS = {\n", 1)[1].split("\n};\n", 1)[0]
    return [k.strip('"') for k in re.findall(r'^  ("[\w-]+"|\w+): \[', block, re.M)]


def _icons_drawn_by_components(files: dict[str, str]) -> set[str]:
    used: set[str] = set()
    for path, src in files.items():
        if path == "src/components/Icon.jsx":
            continue
        # Literal names, names chosen by a condition, and names kept in the data constants.
        for literal, expr in re.findall(r'<Icon\s+name=(?:"([^"]*)"|\{([^}]*)\})', src):
            used.update([literal] if literal else re.findall(r'"([^"]*)"', expr))
        used.update(re.findall(r'\bicon: "([^"]*)"', src))
    return used


@pytest.mark.parametrize("prompt", _ICON_PROMPTS)
def test_icon_module_holds_exactly_the_icons_the_site_draws(prompt: str) -> None:
    files = _files(prompt)
    icon_jsx = files["src/components/Icon.jsx"]
    names = _icon_module_names(icon_jsx)
    assert names == sorted(names)
    assert set(names) == _icons_drawn_by_components(files)
    assert icon_jsx == icon_module(names)
    for path, src in files.items():
        if "<Icon" in src and path != "src/components/Icon.jsx":
            assert 'import Icon from "./Icon.jsx";' in src, path


def test_icon_module_is_deterministic_and_rejects_unknown_names() -> None:
    assert icon_module(["star", "check", "star"]) == icon_module(("check", "star"))
    assert _icon_module_names(icon_module({"map-pin", "x", "coffee"})) == [
        "coffee", "map-pin", "x",
    ]
    with pytest.raises(KeyError):
        icon_module(["no-such-icon"])


def test_ratings_are_written_out() -> None:
    hero = _files(COFFEE)["src/components/Hero.jsx"]
    assert '"4.9/5"' in hero
    testimonials = _files("a yoga studio with customer reviews")["src/components/Testimonials.jsx"]
    assert testimonials.count('<Icon name="star" className="h-5 w-5" filled />') == 5


# A path's "d": commands and the number of arguments each takes (arcs: rx ry angle flag flag x y).
_PATH_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}
_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def check_path(d: str) -> None:
    """Fail unless ``d`` is SVG path data: commands with whole sets of numeric arguments."""
    rest = _PATH_TOKEN.sub(" ", d).replace(",", " ")
    assert not rest.strip(), f"unexpected characters {rest.strip()!r} in {d!r}"
    tokens = _PATH_TOKEN.findall(d)
    assert tokens and tokens[0] in "Mm", f"{d!r} must start with a move"
    i = 0
    while i < len(tokens):
        command = tokens[i]
        assert command.isalpha(), f"number without a command in {d!r}"
        i += 1
        args: list[str] = []
        while i < len(tokens) and not tokens[i].isalpha():
            args.append(tokens[i])
            i += 1
        arity = _PATH_ARITY[command.lower()]
        if arity == 0:
            assert not args, f"{command} takes no arguments in {d!r}"
            continue
        assert args and len(args) % arity == 0, f"{command} {args} in {d!r}"
        if command in "Aa":
            for k in range(0, len(args), 7):
                flags = (args[k + 3], args[k + 4])
                assert set(flags) <= {"0", "1"}, f"arc flags {flags} in {d!r}"


def test_check_path_catches_mistakes() -> None:
    check_path("M12 3l2.4 6.3 6.6.3-5.2 4.1z")
    check_path("M3 12a9 9 0 1 0 18 0a9 9 0 1 0-18 0")
    check_path("M2 7c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0")
    for broken in ["L1 2", "M1 2 3", "M1 2L3", "M1 2Z3", "M1 2x3 4", "M1 2a1 1 0 2 0 3 3",
                   "M1 2c1 2 3 4 5", "", "M1 2h"]:
        with pytest.raises(AssertionError):
            check_path(broken)


@pytest.mark.parametrize("name", sorted(ICONS))
def test_icon_paths_parse(name: str) -> None:
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", name)
    assert 1 <= len(ICONS[name]) <= 4
    for d in ICONS[name]:
        check_path(d)
        # Drawn on the 24×24 grid: no coordinate far outside it.
        assert all(-24 <= float(n) <= 24 for n in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)", d)), d


def test_site_template_has_no_emoji() -> None:
    checked = 0
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.is_file() and "node_modules" not in path.parts:
            found = _PICTOGRAPH.search(path.read_text(encoding="utf-8"))
            assert found is None, f"{path.name} has {found.group()!r}"
            checked += 1
    assert checked >= 4  # index.html, package.json, vite.config.js, src/*
