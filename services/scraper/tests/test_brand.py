"""A site's brand from its HTML and CSS: every colour notation, the palette by prominence,
fonts, logo and favicon."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from paynto_common.messages import Brand
from scraper.brand import color_of, extract_brand, parse_color
from scraper.extract import extract_page

ROASTERY = Path(__file__).parent / "sites" / "roastery"
ORIGIN = "https://emberandoak.example"


def roastery(name: str = "index.html", url: str = f"{ORIGIN}/") -> Brand:
    css = [(ROASTERY / "css" / sheet).read_text() for sheet in ("site.css", "fonts.css")]
    return extract_brand((ROASTERY / name).read_text(), url, css)


@pytest.mark.parametrize(("value", "expected"), [
    ("#abc", ("#aabbcc", 1.0)),
    ("#8B3A1D", ("#8b3a1d", 1.0)),
    ("#0f08", ("#00ff00", 0.533)),
    ("#12345680", ("#123456", 0.502)),
    ("rgb(139, 58, 29)", ("#8b3a1d", 1.0)),
    ("rgb(10% 20% 30%)", ("#1a334d", 1.0)),
    ("rgba(0, 0, 0, .5)", ("#000000", 0.5)),
    ("rgb(255 255 255 / 80%)", ("#ffffff", 0.8)),
    ("hsl(16 66% 33%)", ("#8c3a1d", 1.0)),
    ("hsla(120, 100%, 25%, 0.5)", ("#008000", 0.5)),
    ("hwb(200 10% 20%)", ("#1a90cc", 1.0)),
    ("white", ("#ffffff", 1.0)),
    ("RebeccaPurple", ("#663399", 1.0)),
    # The examples of CSS Color 4: one colour in four notations.
    ("lab(29.2345% 39.3825 20.0664)", ("#7d2329", 1.0)),
    ("lch(29.2345% 44.2 27)", ("#7d2329", 1.0)),
    ("oklab(40.101% 0.1147 0.0453)", ("#7d2329", 1.0)),
    ("oklch(40.101% 0.12332 21.555)", ("#7d2329", 1.0)),
    ("color(srgb 0.5 0 1)", ("#8000ff", 1.0)),
])
def test_colour_notations(value: str, expected: tuple[str, float]) -> None:
    found = color_of(value)
    assert found is not None
    assert (found[0], round(found[1], 3)) == expected
    assert parse_color(value) == expected[0]


@pytest.mark.parametrize("value", [
    "transparent", "currentcolor", "rgb(255 0 0 / 0)", "none", "notacolor", "rgb(1, 2)",
    "#12", "url(#grad)", "",
])
def test_what_is_no_visible_colour(value: str) -> None:
    assert parse_color(value) is None


def test_the_roastery_palette_brand_colours_first() -> None:
    brand = roastery()
    assert [(c.hex, c.role) for c in brand.colors[:4]] == [
        ("#8b3a1d", "primary"), ("#d9a441", "accent"), ("#fbf7f1", "background"),
        ("#2b211c", "text")]
    hexes = [c.hex for c in brand.colors]
    # hsl(16 66% 33%) and hsl(39, 67%, 55%) are the primary and accent, merged into them.
    assert "#8c3a1d" not in hexes and "#d9a33f" not in hexes
    # The dark scheme's colours are an alternate: they never outrank the page's own.
    assert "#1a1412" not in hexes[:4]
    assert len(hexes) == len(set(hexes))
    assert 0.99 <= sum(c.weight for c in brand.colors) <= 1.01
    assert brand.theme_color == "#8b3a1d"
    assert brand.color("background") == "#fbf7f1" and brand.color("text") == "#2b211c"


def test_buttons_and_containers_outweigh_borders() -> None:
    html = """<html><head><style>
      body { background: #fff; color: #222; }
      .card { border: 1px solid #ff00aa; outline-color: #ff00aa; box-shadow: 0 0 2px #ff00aa; }
      .btn { background-color: #0a7cff; }
      .hero { background: linear-gradient(90deg, #14b86a, rgb(20 184 106 / 80%)); }
      a { color: var(--missing, #7a2ee0); }
    </style></head><body><p style="color: #222">x</p></body></html>"""
    colours = [(c.hex, c.role) for c in extract_brand(html, "https://e.example/").colors]
    hexes = [hex_ for hex_, _ in colours]
    assert colours[:2] == [("#0a7cff", "primary"), ("#14b86a", "accent")]
    assert hexes.index("#7a2ee0") < hexes.index("#ff00aa")
    assert ("#ffffff", "background") in colours and ("#222222", "text") in colours


def test_greys_black_and_white_are_background_and_text_never_the_brand() -> None:
    html = """<style>
      body { background: #000; color: #eee; }
      header, footer, main, section { background: #111; }
      .btn { background: #e11d48; }
      p { color: #777; }
    </style>"""
    brand = extract_brand(html, "https://e.example/")
    roles = {c.hex: c.role for c in brand.colors}
    assert brand.colors[0].hex == "#e11d48" and roles["#e11d48"] == "primary"
    assert roles["#000000"] == "background" and roles["#eeeeee"] == "text"
    assert roles["#777777"] == "text" and roles["#111111"] == "background"
    assert brand.color("accent") is None


def test_custom_property_names_tell_roles_and_inline_styles_count() -> None:
    html = """<html><head><meta name="theme-color" content="rgb(0, 128, 96)">
      <style>:root { --brand-500: #008060; --color-secondary: #f5a623; --surface: #fafaf5; }
      .x { color: var(--color-secondary); }</style></head>
      <body style="background-color: var(--surface)">
      <div class="banner" style="background: #f5a623">Sale</div></body></html>"""
    brand = extract_brand(html, "https://e.example/")
    assert [(c.hex, c.role) for c in brand.colors[:3]] == [
        ("#008060", "primary"), ("#f5a623", "accent"), ("#fafaf5", "background")]
    assert brand.theme_color == "#008060"


def test_fonts_first_families_by_use_generics_dropped() -> None:
    assert roastery().fonts == ["Work Sans", "Fraunces", "JetBrains Mono"]
    html = """<link rel="stylesheet"
      href="https://fonts.googleapis.com/css2?family=Playfair+Display:wght@700&family=Lato">
      <style>body { font: italic 400 16px/1.5 'Inter Var', Arial, sans-serif; }
      h1 { font-family: system-ui, sans-serif; } code { font-family: monospace; }</style>"""
    fonts = extract_brand(html, "https://e.example/").fonts
    assert fonts == ["Inter Var", "Playfair Display", "Lato"]


def test_the_logo_is_the_header_image_marked_as_one() -> None:
    assert roastery().logo == f"{ORIGIN}/img/logo.svg"
    # An inline SVG logo travels as a data: URL of its markup.
    logo = roastery("menu.html", f"{ORIGIN}/menu.html").logo or ""
    prefix = "data:image/svg+xml;base64,"
    assert logo.startswith(prefix)
    svg = base64.b64decode(logo[len(prefix):]).decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "Ember &amp; Oak" in svg


def test_without_a_marked_logo_the_image_linking_home_is_one() -> None:
    html = ('<header><a href="/"><img src="/static/mark.png" alt="Acme"></a>'
            '<nav><a href="/about"><img src="/static/about.png"></a></nav></header>'
            '<main><img src="/static/hero.jpg"></main>')
    assert extract_brand(html, "https://acme.example/shop/").logo == (
        "https://acme.example/static/mark.png")
    assert extract_brand('<header><img src="/a.png"></header>', "https://a.example/").logo \
        is None


def test_favicons_by_kind_else_the_one_browsers_ask_for() -> None:
    assert roastery().favicon == f"{ORIGIN}/favicon.svg"
    assert extract_brand('<link rel="apple-touch-icon" href="t.png">',
                         "https://a.example/x/").favicon == "https://a.example/x/t.png"
    assert extract_brand("<p>no icon</p>", "http://a.example:8080/deep/page").favicon == (
        "http://a.example:8080/favicon.ico")


def test_the_page_brand_is_the_same_read_either_way() -> None:
    css = [(ROASTERY / "css" / sheet).read_text() for sheet in ("site.css", "fonts.css")]
    page = extract_page((ROASTERY / "index.html").read_text(), f"{ORIGIN}/", css)
    assert page.brand == roastery()


def test_css_it_cannot_read_is_passed_over() -> None:
    html = """<style>@media screen { .btn { background: #1d4ed8 } }
      .a { color: ; background: rgb(; } } garbage {{{ .b { color: #dc2626 }
      @supports (display: grid) { .card { & .btn { background: #1d4ed8 } } }</style>"""
    brand = extract_brand(html, "https://e.example/", ["@charset 'x'; .c { color: var(--a) }"])
    assert brand.colors[0].hex == "#1d4ed8"
