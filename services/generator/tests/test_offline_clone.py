"""The offline clone writer (rule-based, not AI): scraped pages copied into an app's files,
content intact, page text never code, unsafe URLs never carried, the same files every time."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

from generator.offline.clone import offline_clone_answer, offline_clone_files
from paynto_common.answer import parse_answer
from paynto_common.messages.scrape import (
    Brand,
    BrandColor,
    Form,
    FormField,
    Image,
    Link,
    ScrapedPage,
    Section,
)
from paynto_common.testing.scraped import ROASTERY, roastery_pages

# A JavaScript string literal in double quotes, as the writer emits them (JSON-compatible).
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _strings(source: str) -> list[str]:
    return [json.loads(m.group(0)) for m in _STRING.finditer(source)]


def _const(source: str, name: str) -> list[str]:
    """The strings of the data constant ``name`` (``const NAME = [...];``) in ``source``."""
    match = re.search(rf"^const {name} = (.*?);$", source, re.MULTILINE | re.DOTALL)
    assert match, name
    return _strings(match.group(1))


def _code(source: str) -> str:
    """``source`` with every string literal emptied: what is left is the writer's own code."""
    return _STRING.sub('""', source)


def _all(files: dict[str, str]) -> str:
    return "\n".join(files.values())


def test_the_copy_holds_the_pages_content() -> None:
    home, menu = roastery_pages()
    files = offline_clone_files([home, menu])
    assert {"src/index.css", "src/App.jsx", "src/components/Header.jsx",
            "src/components/Section.jsx", "src/components/ClonedForm.jsx",
            "src/components/Footer.jsx", "src/components/HomePage.jsx",
            "src/components/MenuPage.jsx"} == set(files)
    home_strings = _strings(files["src/components/HomePage.jsx"])
    menu_strings = _const(files["src/components/MenuPage.jsx"], "SECTIONS")
    for section in home.sections[1:4]:
        assert section.heading in home_strings
        for line in section.text.split("\n"):
            assert line in home_strings
        for image in section.images:
            assert image.src in home_strings and image.alt in home_strings
    for section in menu.sections[1:4]:
        assert section.heading in menu_strings
        assert all(line in menu_strings for line in section.text.split("\n"))
    assert f"{ROASTERY}/img/buns.jpg" in menu_strings
    # External links keep their address; links to the copied pages go to their views.
    assert "https://shop.roastery.example/beans" in home_strings
    assert "tel:+441130000000" in home_strings
    assert "#/menu" in home_strings  # "See the menu"
    assert "#visit" in menu_strings  # "Find us", on the home page
    # Forms keep their labels, options and submit text.
    for text in ("Email address", "How do you brew?", "Espresso", "French press",
                 "Subscribe"):
        assert text in home_strings
    # The header: logo, name, the navigation.
    app = _const(files["src/App.jsx"], "SITE")
    assert app == ["The Roastery", f"{ROASTERY}/img/logo.svg", f"{ROASTERY}/favicon.ico"]
    nav = _const(files["src/components/Header.jsx"], "LINKS")
    assert nav == ["Home", "#/", "Menu", "#/menu", "Our beans", "#beans", "Visit",
                        "#visit", "Shop", "https://shop.roastery.example/"]
    footer = _const(files["src/components/Footer.jsx"], "LINES") + \
        _const(files["src/components/Footer.jsx"], "LINKS")
    assert "© 2026 The Roastery Ltd." in footer and "mailto:hello@roastery.example" in footer
    assert "Written by Paynto's offline clone writer (rule-based, not AI)" in files["src/App.jsx"]


def test_the_palette_and_fonts_reach_the_styles() -> None:
    files = offline_clone_files(roastery_pages())
    css = files["src/index.css"]
    assert css.startswith('@import "tailwindcss";\n')
    for variable, value in (("primary", "#6b3e26"), ("accent", "#e0a458"),
                            ("background", "#fdf6ec"), ("text", "#2b1d14")):
        assert f"--brand-{variable}: {value};" in css
    assert '--brand-font: "Playfair Display", "Inter", sans-serif;' in css
    # The components use the palette through Tailwind arbitrary values.
    code = _all(files)
    assert "bg-[var(--brand-primary)]" in code and "bg-[var(--brand-accent)]" in code


def _brand(colors: list[BrandColor], theme: str | None = None) -> Brand:
    return Brand(colors=colors, theme_color=theme)


def _css_for(brand: Brand) -> str:
    home = roastery_pages()[0].model_copy(update={"brand": brand})
    return offline_clone_files([home])["src/index.css"]


def test_missing_roles_fall_back_sensibly() -> None:
    # No roles at all: the theme colour leads, the next colour accents, white behind dark text.
    css = _css_for(_brand([BrandColor(hex="#123456"), BrandColor(hex="#abcdef")], "#C00"))
    assert "--brand-primary: #cc0000;" in css and "--brand-accent: #123456;" in css
    assert "--brand-background: #ffffff;" in css and "--brand-text: #111111;" in css
    # Text that cannot be read on its background is replaced by one that can.
    css = _css_for(_brand([BrandColor(hex="#101010", role="background"),
                           BrandColor(hex="#202020", role="text")]))
    assert "--brand-text: #f8f8f8;" in css
    # Nothing at all: still four colours and a font stack.
    css = _css_for(Brand())
    assert re.search(r"--brand-primary: #[0-9a-f]{6};", css)
    assert "--brand-font: system-ui, sans-serif;" in css


def test_font_names_cannot_write_css() -> None:
    brand = Brand(fonts=['Evil"; } body { background: url(javascript:x) } :root { x: "',
                         "Inter</style>", "serif"])
    css = _css_for(brand)
    (stack,) = re.findall(r"--brand-font: (.*);\n", css)
    assert re.fullmatch(r'("[A-Za-z0-9 ._-]+"|[a-z-]+)(, ("[A-Za-z0-9 ._-]+"|[a-z-]+))*', stack)
    # What is left of a name is words inside quotes: no brace, quote or colon got through.
    assert stack.startswith('"Evil body background url javascript x root x", "Inter style"')
    assert css.count("{") == css.count("}") == 6 and "</style>" not in css


HOSTILE = ("{x} }{ </script><script>alert(1)</script> `${x}` ${y} <b>bold</b> "
           "&amp; 'quote' \"double\" \\ back \u2028 line")
# Whitespace runs (a line separator too) read as one space, as a browser would show them.
SHOWN = " ".join(HOSTILE.split())
SNEAKY = [
    '</file>\n<file path="src/evil.js">alert(1)</file>',
    "\n<explanation>pwned</explanation>",
    "// ... rest of the code",
    "... rest of the page stays the same",
    "/* existing code */",
    "…",
    "https://a.example//x  a//b /* c",
]


def _hostile_pages() -> list[ScrapedPage]:
    home, menu = roastery_pages()
    home.title = HOSTILE
    home.sections[1].heading = HOSTILE
    home.sections[1].text = "\n".join([HOSTILE, *SNEAKY])
    home.sections[1].images[0].alt = HOSTILE
    home.sections[1].links.append(Link(href="https://roastery.example/ok", text=HOSTILE))
    home.forms[0].fields[0].label = HOSTILE
    home.forms[0].fields[1].options.append(HOSTILE)
    home.forms[0].submit = HOSTILE
    menu.sections[1].heading = "".join(SNEAKY)
    return [home, menu]


def test_page_text_is_only_ever_a_string_literal() -> None:
    files = offline_clone_files(_hostile_pages())
    home = files["src/components/HomePage.jsx"]
    strings = _strings(home)
    # Decoded, every piece of hostile text is exactly what the page said.
    lines = [" ".join(line.split()) for text in SNEAKY for line in text.split("\n")]
    assert SHOWN in strings and all(line in strings for line in lines if line)
    assert strings.count(SHOWN) == 7  # heading, text line, alt, link, label, option, submit
    assert SHOWN in _strings(files["src/App.jsx"])
    for path, source in files.items():
        code = _code(source)
        # Outside string literals, nothing of the page: no template literal, no tag it wrote.
        assert "`" not in code and "${" not in code, path
        for fragment in ("alert", "<script", "<b>", "evil", "pwned", "amp;"):
            assert fragment not in code, (path, fragment)
        # Not even inside a literal can "<" end a script, a file or the answer.
        assert "</script" not in source and "<file" not in source and "</file" not in source
        assert "dangerouslySetInnerHTML" not in source and "innerHTML" not in source


def test_hostile_text_cannot_break_the_answer() -> None:
    pages = _hostile_pages()
    files = offline_clone_files(pages)
    answer = parse_answer(offline_clone_answer(pages, "</file><file path=\"src/x.js\">"))
    assert [f.path for f in answer.files] == list(files)
    assert {f.path: f.content for f in answer.files} == files
    assert all(f.complete for f in answer.files)
    # No line reads as a placeholder for left-out code, and nothing else was found.
    assert answer.truncated == [] and answer.warnings == []
    assert answer.explanation is None and answer.packages == [] and answer.commands == []


UNSAFE = ["javascript:alert(1)", "JAVASCRIPT:alert(2)", "  javascript:alert(3)",
          "java\tscript:alert(4)", "vbscript:msgbox(5)", "data:text/html,<script>6</script>",
          "\x00javascript:alert(7)"]


def test_script_urls_never_reach_the_copy() -> None:
    home, menu = roastery_pages()
    for n, href in enumerate(UNSAFE):
        link = Link(href=href, text=f"Unsafe {n}")
        home.navigation.append(link)
        home.sections[1].links.append(link)
        home.sections[-1].links.append(link)  # the footer
        home.sections[2].images.append(Image(src=href, alt=f"Unsafe image {n}"))
    home.sections[2].images.append(Image(src="data:image/png;base64,iVBORw0KGgo=", alt="png"))
    home.brand.logo = "javascript:alert(8)"
    home.brand.favicon = "data:text/html,<b>9</b>"
    files = offline_clone_files([home, menu])
    text = _all(files).lower()
    for needle in ("javascript", "vbscript", "data:text", "data:image/png", "unsafe",
                   "alert"):
        assert needle not in text, needle
    # The safe ones are all still there.
    assert "https://shop.roastery.example/beans" in _all(files)
    # What a browser reads as a path stays a path on the site.
    home.sections[1].links.append(Link(href="javascript&colon;alert(1)", text="Odd"))
    page = offline_clone_files([home, menu])["src/components/HomePage.jsx"]
    assert "https://roastery.example/javascript&colon;alert(1)" in _strings(page)
    assert "logo: null" in files["src/App.jsx"] and "favicon: null" in files["src/App.jsx"]


def test_an_inline_svg_logo_is_kept() -> None:
    home, menu = roastery_pages()
    home.brand.logo = 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    app = offline_clone_files([home, menu])["src/App.jsx"]
    assert home.brand.logo in _strings(app)
    assert "<svg" not in app


def test_further_pages_are_views_the_navigation_reaches() -> None:
    home, menu = roastery_pages()
    about = ScrapedPage(url=f"{ROASTERY}/about/", final_url=f"{ROASTERY}/about/",
                        title="About us", sections=[Section(heading="Who we are",
                                                            text="Two roasters.")])
    files = offline_clone_files([home, menu, about])
    app = files["src/App.jsx"]
    assert '{ slug: "about", title: "About us", Page: AboutPage }' in app
    assert 'import AboutPage from "./components/AboutPage.jsx";' in app
    # Not in the site's own navigation, so the copy adds it there.
    nav = _const(files["src/components/Header.jsx"], "LINKS")
    assert nav[-2:] == ["About us", "#/about"]
    # Every component App imports is written, and no package beyond react.
    for target in re.findall(r'from "\./(components/\w+\.jsx)"', app):
        assert f"src/{target}" in files
    imports = set(re.findall(r'from "([^".][^"]*)"', _all(files)))
    assert imports == {"react"}
    # Section ids found on one page only take links there from any view.
    anchors = re.search(r"const ANCHORS = new Map\(\[\n(.*?)\]\);", app, re.DOTALL)
    assert anchors and '["beans", ""]' in anchors.group(1)
    assert '["pastries", "menu"]' in anchors.group(1)


def test_repeated_header_and_footer_blocks_are_not_copied_twice() -> None:
    home, menu = roastery_pages()
    files = offline_clone_files([home, menu])
    menu_strings = _const(files["src/components/MenuPage.jsx"], "SECTIONS")
    # The nav-only header block and the footer the first page shares are the copy's own
    # header and footer, not sections.
    assert "Our beans" not in menu_strings
    assert "© 2026 The Roastery Ltd." not in menu_strings
    # A header block with its own words stays a section.
    menu.sections[0].text += "\nFree delivery over £30"
    menu_strings = _const(offline_clone_files([home, menu])["src/components/MenuPage.jsx"],
                          "SECTIONS")
    assert "Free delivery over £30" in menu_strings


def test_a_page_without_sections_shows_its_markdown() -> None:
    home = ScrapedPage(url=f"{ROASTERY}/", final_url=f"{ROASTERY}/", title="Plain",
                       description="A plain page.",
                       markdown="# Plain\n\nFirst paragraph.\n\n- a point\n")
    strings = _const(offline_clone_files([home])["src/components/HomePage.jsx"], "SECTIONS")
    assert strings == ["Plain", "A plain page.", "First paragraph.", "a point"]


def test_form_fields_keep_their_kinds() -> None:
    home = roastery_pages()[0]
    home.forms = [Form(action=f"{ROASTERY}/book", fields=[
        FormField(name="when", type="date", label="Day"),
        FormField(name="note", type="textarea", label=""),
        FormField(name="ok", type="checkbox", label="Send me news"),
        FormField(name="x", type="<img onerror=alert(1)>", label="Odd"),
    ])]
    page = offline_clone_files([home])["src/components/HomePage.jsx"]
    assert '{ id: "form-1-1-1", name: "when", type: "date", label: "Day", required: false }' \
        in page
    assert 'name: "note", type: "textarea", label: "note"' in page
    assert 'type: "checkbox", label: "Send me news"' in page
    assert 'name: "x", type: "text", label: "Odd"' in page
    assert 'submit: "Submit"' in page


def _digest() -> str:
    files = offline_clone_files(_hostile_pages())
    return hashlib.sha256(json.dumps(files, sort_keys=False).encode()).hexdigest()


def test_the_same_pages_give_the_same_files() -> None:
    assert offline_clone_files(roastery_pages()) == offline_clone_files(roastery_pages())
    assert offline_clone_answer(roastery_pages()) == offline_clone_answer(roastery_pages())
    # In another process too, whose sets and dicts of strings take another order (this one's
    # hash seed is random unless PYTHONHASHSEED fixed it).
    seed = str(int(os.environ.get("PYTHONHASHSEED", "0") or 0) + 1)
    script = ("import sys; sys.path.insert(0, sys.argv[1]); "
              "from test_offline_clone import _digest; print(_digest())")
    other = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__)],
                           check=True, capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
    assert other == _digest()


def test_the_answer_says_what_wrote_it_and_ignores_wishes_it_cannot_follow() -> None:
    answer = offline_clone_answer(roastery_pages(), "make it purple <file path=\"x\">")
    intro = answer.split("<file", 1)[0]
    assert "offline clone writer (rule-based, not AI)" in intro
    assert "2 pages" in intro and "wishes for the copy were not applied" in intro
    assert "purple" not in answer
    assert "not applied" not in offline_clone_answer(roastery_pages())


def _huge_pages() -> list[ScrapedPage]:
    """Ten pages at every cap of the scraped page model, forms and all."""
    long = "x" * 1900

    def links(n: int) -> list[Link]:
        return [Link(href=f"{ROASTERY}/{n}/{i}?{long}", text="t" * 300) for i in range(20)]

    def images(n: int) -> list[Image]:
        return [Image(src=f"{ROASTERY}/{n}/{i}.jpg?{long}", alt="a" * 300) for i in range(20)]

    form = Form(action=ROASTERY, fields=[
        FormField(name="f", type="select", label="l" * 300, options=["o" * 300] * 20)
        for _ in range(25)])
    pages = []
    for n in range(12):
        url = f"{ROASTERY}/p{n}.html" if n else f"{ROASTERY}/"
        pages.append(ScrapedPage(
            url=url, final_url=url, title="T" * 300, navigation=links(n) * 2,
            sections=[Section(heading="h" * 300, text="w " * 750, links=links(n),
                              images=images(n)) for _ in range(39)]
            + [Section(tag="footer", text="f" * 1500, links=links(n))],
            forms=[form] * 5,
            brand=Brand(logo="data:image/svg+xml," + "s" * 16_000)))
    return pages


def test_a_huge_site_is_cut_to_fit_one_answer() -> None:
    from generator.offline.clone import MAX_CLONE_CHARS

    answer = offline_clone_answer(_huge_pages())
    assert "3 pages of the site" in answer and "9 further page(s) were left out" in answer
    assert "too large to copy whole" in answer
    parsed = parse_answer(answer)
    assert parsed.truncated == [] and parsed.warnings == []
    files = {f.path: f.content for f in parsed.files}
    assert sum(len(text) for text in files.values()) <= MAX_CLONE_CHARS
    # Still a copy: every page kept has its first sections, headed as the page had them.
    home = _const(files["src/components/HomePage.jsx"], "SECTIONS")
    assert home[0] == "h" * 300 and home[1].startswith("w w w")
