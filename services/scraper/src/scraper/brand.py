"""A site's brand from its HTML and CSS: colours by prominence, fonts, logo and favicon.

No browser computes styles here, so prominence is a guess from *where* a colour is used: the
background of the page, of buttons and of large containers counts most, then the colour of
text, headings and links, then borders and the like. Custom properties are resolved
(``var(--primary)``) and their names (``--brand``, ``--accent``, ``--bg``) hint at a colour's
role. Parsing of CSS syntax and colour notations is tinycss2's; what is written here is the
weighing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import tinycss2
import tinycss2.color4
from bs4 import BeautifulSoup, Tag
from tinycss2.ast import (
    AtRule,
    Declaration,
    FunctionBlock,
    HashToken,
    IdentToken,
    LiteralToken,
    Node,
    QualifiedRule,
    StringToken,
)

from paynto_common.messages.scrape import (
    MAX_COLORS,
    MAX_FONTS,
    MAX_LOGO,
    MAX_URL,
    Brand,
    BrandColor,
    Role,
)

RGB = tuple[int, int, int]

# -- URLs (shared with the extractor, which imports them from here) --------------------------

_DROPPED_SCHEMES = frozenset({"javascript", "data", "vbscript", "blob", "about", "file"})
_KEPT_SCHEMES = frozenset({"mailto", "tel"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers drop tabs and newlines anywhere in a URL ("java\nscript:" is still javascript),
# and control characters and spaces around it.
_URL_NOISE = re.compile(r"[\t\n\r]")
_URL_EDGES = "".join(map(chr, range(0x21)))


def absolute_url(href: str | None, base: str, *, web_only: bool = False) -> str | None:
    """``href`` made absolute against ``base``; None for script, data and other URLs a page
    could not link to safely, and for malformed ones. ``mailto:`` and ``tel:`` are kept
    unless ``web_only``."""
    if not href:
        return None
    href = _URL_NOISE.sub("", href).strip(_URL_EDGES)
    if not href:
        return None
    scheme = _SCHEME.match(href)
    if scheme:
        name = scheme.group(1).lower()
        if name in _DROPPED_SCHEMES:
            return None
        if name in _KEPT_SCHEMES:
            return None if web_only or len(href) > MAX_URL else href
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(joined) > MAX_URL:
        return None
    return joined


# An XML declaration before the HTML makes BeautifulSoup warn that the page may be XML; a
# page is read as HTML either way, as a browser does.
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*>", re.IGNORECASE)


def parse_html(html: str) -> BeautifulSoup:
    """A page's tree, parsed leniently (lxml), as the extractor and the brand read it."""
    return BeautifulSoup(_XML_DECLARATION.sub("", html, count=1), "lxml")


def document_base(soup: BeautifulSoup, url: str) -> str:
    """What the page's relative URLs resolve against: its ``<base href>``, else its URL."""
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        resolved = absolute_url(str(base["href"]), url, web_only=True)
        if resolved:
            return resolved
    return url


# -- colours ----------------------------------------------------------------------------------

# Linear-light sRGB from CIE XYZ (D65), and Bradford adaptation D50 → D65 (CSS Color 4, §17):
# tinycss2 parses lab/lch/oklab/oklch and converts them to XYZ but not on to sRGB.
_XYZ65_TO_LINEAR_SRGB = (
    (3.2409699419045226, -1.537383177570094, -0.4986107602930034),
    (-0.9692436362808796, 1.8759675015077202, 0.04155505740717559),
    (0.05563007969699366, -0.20397695888897652, 1.0569715142428786),
)
_D50_TO_D65 = (
    (0.955473421488075, -0.02309845494876471, 0.06325924320057072),
    (-0.0283697093338637, 1.0099953980813041, 0.021041441191917323),
    (0.012314014864481998, -0.020507649298898964, 1.330365926242124),
)


def _mul(matrix: tuple[tuple[float, float, float], ...], vec: Sequence[float]) -> list[float]:
    return [sum(m * v for m, v in zip(row, vec, strict=True)) for row in matrix]


def _encode(linear: float) -> float:
    sign = -1.0 if linear < 0 else 1.0
    linear = abs(linear)
    return sign * (1.055 * linear ** (1 / 2.4) - 0.055 if linear > 0.0031308 else 12.92 * linear)


def _decode(encoded: float) -> float:
    return encoded / 12.92 if encoded <= 0.04045 else ((encoded + 0.055) / 1.055) ** 2.4


def _srgb(color: Any) -> list[float] | None:
    """A tinycss2 colour's sRGB coordinates (0..1, maybe out of gamut)."""
    space = color.space
    coords = [c or 0.0 for c in color.coordinates]
    try:
        if space in ("srgb", "hsl", "hwb"):
            return [c or 0.0 for c in color.to("srgb").coordinates]
        if space == "srgb-linear":
            return [_encode(c) for c in coords]
        if space in ("display-p3", "a98-rgb", "prophoto-rgb", "rec2020"):
            # Wide-gamut spaces read as sRGB: near enough to name a brand colour.
            return coords
        if space in ("oklab", "oklch", "xyz-d65"):
            xyz = color.to("xyz-d65").coordinates
        elif space in ("lab", "lch", "xyz-d50"):
            xyz = _mul(_D50_TO_D65, color.to("xyz-d50").coordinates)
        else:
            return None
    except (NotImplementedError, TypeError, ValueError, ZeroDivisionError):
        return None
    return [_encode(c) for c in _mul(_XYZ65_TO_LINEAR_SRGB, [c or 0.0 for c in xyz])]


def color_of(value: str | Node) -> tuple[str, float] | None:
    """A CSS colour (any notation tinycss2 reads: hex, names, rgb(), hsl(), hwb(), lab(),
    oklch(), color()...) as ``("#rrggbb", alpha)``; None for anything else, for
    ``currentcolor`` and for a fully transparent colour."""
    try:
        color = tinycss2.color4.parse_color(value)
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    if color is None or isinstance(color, str):
        return None
    rgb = _srgb(color)
    alpha = 1.0 if color.alpha is None else float(color.alpha)
    if rgb is None or alpha <= 0:
        return None
    # Halves round up, as browsers do (30% of 255 is 77), not to even.
    channels = [int(min(max(c, 0.0), 1.0) * 255 + 0.5) for c in rgb]
    return "#{:02x}{:02x}{:02x}".format(*channels), alpha


def parse_color(value: str) -> str | None:
    """A CSS colour as ``#rrggbb`` (alpha ignored), or None when it is none or not visible."""
    found = color_of(value)
    return found[0] if found else None


def _rgb(hex_: str) -> RGB:
    return int(hex_[1:3], 16), int(hex_[3:5], 16), int(hex_[5:7], 16)


def _distance(a: RGB, b: RGB) -> float:
    """Perceptual-ish RGB distance (the "redmean" weighting), 0..~765."""
    mean_red = (a[0] + b[0]) / 2
    dr, dg, db = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return float(((2 + mean_red / 256) * dr * dr + 4 * dg * dg
                  + (2 + (255 - mean_red) / 256) * db * db) ** 0.5)


def _neutral(rgb: RGB) -> bool:
    """Greys, near-white and near-black: the page's canvas and ink rather than its brand."""
    high, low = max(rgb) / 255, min(rgb) / 255
    lightness = (high + low) / 2
    return high - low < 0.1 or lightness > 0.94 or lightness < 0.08


def _lightness(rgb: RGB) -> float:
    luminance = [_decode(c / 255) for c in rgb]
    return 0.2126 * luminance[0] + 0.7152 * luminance[1] + 0.0722 * luminance[2]


# -- where a colour or font is used -----------------------------------------------------------

_PAGE = re.compile(r"^(html|body|:root)\b")
_BUTTON = re.compile(r"button|btn|\bcta\b|type=['\"]?(submit|button)")
_HEADING = re.compile(r"^h[1-6]\b")
_LINK = re.compile(r"^a(?![\w-])")
_CONTAINER = re.compile(
    r"^(header|nav|footer|main|section|aside|article)\b"
    r"|hero|banner|header|footer|navbar|\bnav\b|masthead|jumbotron|topbar|announcement")
_STATE = re.compile(r":(hover|focus|focus-visible|focus-within|active|visited)\b")
_COMBINATOR = re.compile(r"\s*[>+~]\s*|\s+")

# How much one declaration counts, by what it paints and where.
_BG_WEIGHT = {"page": 8.0, "button": 6.0, "container": 5.0, "heading": 1.0, "link": 1.0,
              "other": 2.0}
_TEXT_WEIGHT = {"page": 6.0, "heading": 3.0, "link": 3.0, "button": 2.0, "container": 1.0,
                "other": 1.0}
_FONT_WEIGHT = {"page": 5.0, "heading": 3.0, "button": 1.0, "link": 1.0, "container": 1.0,
                "other": 1.0}
_DEFINED = 1.0  # a colour defined as a custom property, used or not
_THEME_COLOR = 3.0
_DECLARED_FONT = 0.5  # a family only declared (@font-face, a font service link)
_LINE_PROPERTIES = frozenset({
    "border", "border-color", "border-top", "border-right", "border-bottom", "border-left",
    "border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
    "outline", "outline-color", "box-shadow", "text-shadow", "text-decoration",
    "text-decoration-color", "caret-color", "accent-color", "fill", "stroke", "column-rule",
})
_BG_PROPERTIES = frozenset({"background", "background-color", "background-image"})

_ROLE_HINTS: tuple[tuple[re.Pattern[str], Role], ...] = (
    (re.compile(r"primary|brand|main"), "primary"),
    (re.compile(r"accent|secondary|highlight|cta|tertiary"), "accent"),
    (re.compile(r"\bbg\b|background|surface|canvas|paper|base-100"), "background"),
    (re.compile(r"text|\bfg\b|foreground|\bink\b|body|copy"), "text"),
)

_GENERIC_FONTS = frozenset({
    "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-serif",
    "ui-sans-serif", "ui-monospace", "ui-rounded", "math", "emoji", "fangsong",
    "-apple-system", "blinkmacsystemfont", "inherit", "initial", "unset", "revert",
    "revert-layer", "default",
})


def _context(selector: str) -> str:
    """What a selector styles, judged from its subject (the last compound selector)."""
    contexts = []
    for one in selector.lower().split(","):
        parts = [p for p in _COMBINATOR.split(one.strip()) if p]
        if not parts:
            continue
        subject = parts[-1]
        if _PAGE.match(subject):
            contexts.append("page")
        elif _BUTTON.search(subject):
            contexts.append("button")
        elif _HEADING.match(subject):
            contexts.append("heading")
        elif _LINK.match(subject):
            contexts.append("link")
        elif _CONTAINER.search(subject):
            contexts.append("container")
        else:
            contexts.append("other")
    # A rule for several selectors counts as its most prominent one.
    order = ("page", "button", "container", "heading", "link", "other")
    return min(contexts, key=order.index) if contexts else "other"


def _element_selector(tag: Tag) -> str:
    """A selector-like name of an element (``div.hero#top``) to judge its inline style."""
    raw = tag.get("class")
    classes: list[str] = raw.split() if isinstance(raw, str) else list(raw or [])
    ident = tag.get("id")
    role = tag.get("role")
    name = {"banner": "header", "navigation": "nav", "contentinfo": "footer"}.get(
        str(role), tag.name)
    if tag.name == "input" and str(tag.get("type", "")).lower() in ("submit", "button"):
        name = "button"
    return name + "".join(f".{c}" for c in classes) + (f"#{ident}" if ident else "")


@dataclass
class _Colour:
    weight: float = 0.0
    # Weight by use: page_bg, page_text, bg, text, line, defined.
    uses: dict[str, float] = field(default_factory=dict)
    hints: dict[Role, float] = field(default_factory=dict)

    def add(self, use: str, weight: float, hint: Role | None = None) -> None:
        self.weight += weight
        self.uses[use] = self.uses.get(use, 0.0) + weight
        if hint:
            self.hints[hint] = self.hints.get(hint, 0.0) + weight

    def absorb(self, other: _Colour) -> None:
        self.weight += other.weight
        for use, weight in other.uses.items():
            self.uses[use] = self.uses.get(use, 0.0) + weight
        for hint, weight in other.hints.items():
            self.hints[hint] = self.hints.get(hint, 0.0) + weight


@dataclass
class StyleRule:
    """A style rule: its selector, its declarations, and how much it counts."""

    selector: str
    declarations: list[Declaration]
    # How much the rule counts: less under a dark-scheme or print media query, or on :hover.
    scale: float = 1.0


@dataclass
class _Tally:
    colours: dict[str, _Colour] = field(default_factory=dict)
    fonts: dict[str, float] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)

    def colour(self, hex_: str, use: str, weight: float, hint: Role | None = None) -> None:
        self.colours.setdefault(hex_, _Colour()).add(use, weight, hint)

    def font(self, family: str, weight: float) -> None:
        family = " ".join(family.split()).strip("'\"")
        key = family.lower()
        if not key or key in _GENERIC_FONTS or key.startswith("var("):
            return
        self.spelling.setdefault(key, family)
        self.fonts[key] = self.fonts.get(key, 0.0) + weight


# -- reading CSS ------------------------------------------------------------------------------

_ALTERNATE_MEDIA = re.compile(r"prefers-color-scheme\s*:\s*dark|\bprint\b|forced-colors")
_GROUPING_RULES = frozenset({"media", "supports", "layer", "container", "document", "scope"})


def style_rules(css: str) -> Iterator[StyleRule | AtRule]:
    """The style rules of a stylesheet in document order (inside @media and friends too) and
    its @font-face rules; nested CSS rules come out with their parent selector prefixed."""
    yield from _walk_rules(
        tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), "", 1.0, 0)


def _walk_rules(nodes: Iterable[Any], parent: str, scale: float, depth: int
                ) -> Iterator[StyleRule | AtRule]:
    if depth > 16:
        return
    for node in nodes:
        if isinstance(node, QualifiedRule):
            selector = tinycss2.serialize(node.prelude).strip()
            if parent:
                selector = ", ".join(f"{p.strip()} {selector.replace('&', '').strip()}"
                                     for p in parent.split(","))
            content = tinycss2.parse_blocks_contents(
                node.content, skip_comments=True, skip_whitespace=True)
            declarations = [c for c in content if isinstance(c, Declaration)]
            yield StyleRule(selector, declarations,
                        scale * (0.5 if _STATE.search(selector) else 1.0))
            inner = [c for c in content if isinstance(c, QualifiedRule | AtRule)]
            yield from _walk_rules(inner, selector, scale, depth + 1)
        elif isinstance(node, AtRule) and node.content is not None:
            keyword = node.lower_at_keyword
            if keyword == "font-face":
                yield node
            elif keyword in _GROUPING_RULES:
                prelude = tinycss2.serialize(node.prelude).lower()
                content = tinycss2.parse_blocks_contents(
                    node.content, skip_comments=True, skip_whitespace=True)
                factor = 0.2 if _ALTERNATE_MEDIA.search(prelude) else 1.0
                yield from _walk_rules(content, parent, scale * factor, depth + 1)


def _custom_properties(rules: Iterable[StyleRule]) -> dict[str, list[Node]]:
    """Custom property values; a later definition wins unless it only applies under an
    alternate media query (dark scheme, print)."""
    found: dict[str, tuple[float, list[Node]]] = {}
    for rule in rules:
        for declaration in rule.declarations:
            if declaration.name.startswith("--"):
                held = found.get(declaration.name)
                if held is None or rule.scale >= held[0]:
                    found[declaration.name] = (rule.scale, declaration.value)
    return {name: value for name, (_, value) in found.items()}


def _resolve(tokens: Sequence[Node], variables: dict[str, list[Node]], depth: int = 0
             ) -> list[Node]:
    """``tokens`` with every ``var(--x, fallback)`` replaced by the value of ``--x``."""
    out: list[Node] = []
    for token in tokens:
        if isinstance(token, FunctionBlock) and token.lower_name == "var" and depth < 8:
            arguments = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
            name = arguments[0].value if arguments and isinstance(arguments[0], IdentToken) \
                else ""
            if name in variables:
                out.extend(_resolve(variables[name], variables, depth + 1))
            else:
                comma = next((i for i, t in enumerate(token.arguments)
                              if isinstance(t, LiteralToken) and t.value == ","), None)
                if comma is not None:
                    out.extend(_resolve(token.arguments[comma + 1:], variables, depth + 1))
        else:
            out.append(token)
    return out


def _colours_in(tokens: Sequence[Node]) -> list[tuple[str, float]]:
    """The colours a property value names, gradients' stops included, each once."""
    found: dict[str, float] = {}
    for hex_, alpha in _colour_tokens(tokens):
        found[hex_] = max(alpha, found.get(hex_, 0.0))
    return list(found.items())


def _colour_tokens(tokens: Sequence[Node]) -> Iterator[tuple[str, float]]:
    for token in tokens:
        if isinstance(token, HashToken | IdentToken):
            found = color_of(token)
            if found:
                yield found
        elif isinstance(token, FunctionBlock):
            if token.lower_name == "url":
                continue
            found = color_of(token)
            if found:
                yield found
            else:
                yield from _colour_tokens(token.arguments)


def _families(tokens: Sequence[Node]) -> list[str]:
    """The families of a ``font-family`` value, in order."""
    families: list[str] = []
    words: list[str] = []
    for token in [*tokens, LiteralToken(0, 0, ",")]:
        if isinstance(token, StringToken):
            words.append(token.value)
        elif isinstance(token, IdentToken):
            words.append(token.value)
        elif isinstance(token, LiteralToken) and token.value == ",":
            if words:
                families.append(" ".join(words))
            words = []
    return families


def _shorthand_family(tokens: Sequence[Node]) -> str | None:
    """The first family of a ``font`` shorthand (what follows its size)."""
    words: list[str] = []
    for token in tokens:
        if isinstance(token, LiteralToken) and token.value == ",":
            break
        if token.type in ("dimension", "percentage", "number") or (
                isinstance(token, LiteralToken) and token.value == "/"):
            words = []
        elif isinstance(token, StringToken | IdentToken):
            words.append(token.value)
    return " ".join(words) or None


def _role_hint(name: str) -> Role | None:
    name = name.lower()
    for pattern, role in _ROLE_HINTS:
        if pattern.search(name):
            return role
    return None


def _weigh(tally: _Tally, selector: str, declarations: Iterable[Declaration], scale: float,
           variables: dict[str, list[Node]]) -> None:
    context = _context(selector)
    for declaration in declarations:
        name = declaration.lower_name
        if name.startswith("--"):
            continue
        value = _resolve(declaration.value, variables)
        if name in _BG_PROPERTIES:
            use = "page_bg" if context == "page" else "bg"
            for hex_, alpha in _colours_in(value):
                tally.colour(hex_, use, _BG_WEIGHT[context] * scale * alpha)
        elif name == "color":
            use = "page_text" if context == "page" else "text"
            for hex_, alpha in _colours_in(value):
                tally.colour(hex_, use, _TEXT_WEIGHT[context] * scale * alpha)
        elif name in _LINE_PROPERTIES:
            weight = (1.0 if context == "button" else 0.5) * scale
            for hex_, alpha in _colours_in(value):
                tally.colour(hex_, "line", weight * alpha)
        elif name == "font-family":
            families = _families(value)
            if families:
                tally.font(families[0], _FONT_WEIGHT[context] * scale)
        elif name == "font":
            family = _shorthand_family(value)
            if family:
                tally.font(family, _FONT_WEIGHT[context] * scale)


def _declarations(style: str | list[Node]) -> list[Declaration]:
    items = tinycss2.parse_blocks_contents(style, skip_comments=True, skip_whitespace=True)
    return [d for d in items if isinstance(d, Declaration)]


# -- logo and favicon -------------------------------------------------------------------------

_LOGO = re.compile(r"logo|brand", re.IGNORECASE)
# A logo is near the top: only so many headers, and images in each, are looked at.
_LOGO_PLACES = 4
_LOGO_CANDIDATES = 50


def _attrs_text(tag: Tag, names: Sequence[str]) -> str:
    values: list[str] = []
    for name in names:
        value = tag.get(name)
        if isinstance(value, list):
            values.extend(value)
        elif value:
            values.append(str(value))
    return " ".join(values)


def _img_src(img: Tag, base: str) -> str | None:
    for name in ("src", "data-src", "data-lazy-src", "data-original"):
        resolved = absolute_url(str(img.get(name) or ""), base, web_only=True)
        if resolved:
            return resolved
    srcset = str(img.get("srcset") or "").strip()
    if srcset:
        return absolute_url(srcset.split(",")[0].strip().split(" ")[0], base, web_only=True)
    return None


def _svg_logo(svg: Tag, base: str) -> str | None:
    use = svg.find("use")
    if isinstance(use, Tag):
        href = str(use.get("href") or use.get("xlink:href") or "")
        if href and not href.startswith("#"):
            return absolute_url(href, base, web_only=True)
    markup = str(svg)
    if "xmlns=" not in markup:
        markup = markup.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    encoded = "data:image/svg+xml;base64," + base64.b64encode(markup.encode()).decode()
    return encoded if len(encoded) <= MAX_LOGO else None


def _looks_like_logo(tag: Tag, top: Tag) -> bool:
    """"logo" in the element's own attributes or those of its ancestors up to ``top``."""
    node: Tag | None = tag
    while isinstance(node, Tag):
        if _LOGO.search(_attrs_text(node, ("class", "id", "alt", "src", "aria-label",
                                           "title"))):
            return True
        if node is top:
            break
        node = node.parent
    return False


def _home(href: str, base: str) -> bool:
    resolved = absolute_url(href, base, web_only=True)
    if not resolved:
        return False
    parts, page = urlsplit(resolved), urlsplit(base)
    return parts.hostname == page.hostname and parts.path in ("", "/", "/index.html")


def find_logo(soup: BeautifulSoup, base: str) -> str | None:
    """The site's logo: an image or inline SVG in the header marked as a logo, else the image
    linking to the home page there, else any image marked as a logo."""
    tops = [t for t in soup.find_all(["header", "nav"], limit=_LOGO_PLACES)]
    tops += [t for t in soup.find_all(None, {"role": ["banner", "navigation"]},
                                      limit=_LOGO_PLACES)]
    for top in tops:
        for tag in top.find_all(["img", "svg"], limit=_LOGO_CANDIDATES):
            if isinstance(tag, Tag) and _looks_like_logo(tag, top):
                found = _img_src(tag, base) if tag.name == "img" else _svg_logo(tag, base)
                if found:
                    return found
    for top in tops:
        for link in top.find_all("a", href=True, limit=_LOGO_CANDIDATES):
            if isinstance(link, Tag) and _home(str(link["href"]), base):
                img = link.find(["img", "svg"])
                if isinstance(img, Tag):
                    found = _img_src(img, base) if img.name == "img" else _svg_logo(img, base)
                    if found:
                        return found
    for img in soup.find_all("img", limit=_LOGO_CANDIDATES * 4):
        if isinstance(img, Tag) and _LOGO.search(_attrs_text(img, ("class", "id", "alt",
                                                                   "src"))):
            found = _img_src(img, base)
            if found:
                return found
    return None


_ICON_RANK = {"icon": 0, "shortcut icon": 1, "apple-touch-icon": 2,
              "apple-touch-icon-precomposed": 3, "mask-icon": 4}


def find_favicon(soup: BeautifulSoup, base: str, url: str) -> str:
    """The page's icon: ``<link rel="icon">`` (or its shortcut and Apple kinds), else the
    ``/favicon.ico`` browsers ask for."""
    best: tuple[int, str] | None = None
    for link in soup.find_all("link", href=True):
        if not isinstance(link, Tag):
            continue
        rel = link.get("rel")
        rel_text = (rel if isinstance(rel, str) else " ".join(rel or [])).lower()
        rank = _ICON_RANK.get(rel_text)
        if rank is None and "icon" in rel_text.split():
            rank = 0
        href = absolute_url(str(link["href"]), base, web_only=True)
        if rank is not None and href and (best is None or rank < best[0]):
            best = (rank, href)
    if best:
        return best[1]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/favicon.ico"


# -- putting it together ----------------------------------------------------------------------

# Colours closer than this (redmean units) are one colour, e.g. a button and its hover shade;
# greys must be closer, as a cream page and a white card are two colours of one design.
_MERGE_DISTANCE = 40.0
_NEUTRAL_MERGE_DISTANCE = 12.0
_NEUTRAL_DEMOTION = 0.35


_BRAND_ROLES: tuple[Role, ...] = ("primary", "accent")


def _roles(colours: list[tuple[str, _Colour]]) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    # The page's own background and text colours are those roles whatever else they do.
    page_roles: tuple[tuple[str, Role], ...] = (("page_bg", "background"), ("page_text", "text"))
    for use, role in page_roles:
        used = [(hex_, c.uses[use]) for hex_, c in colours if c.uses.get(use)]
        if used:
            roles.setdefault(max(used, key=lambda kv: kv[1])[0], role)
    taken: set[Role] = set()
    chromatic: list[tuple[str, Role | None]] = []
    for hex_, colour in colours:
        if hex_ in roles:
            continue
        rgb = _rgb(hex_)
        hints = colour.hints
        hint: Role | None = max(hints.items(), key=lambda kv: kv[1])[0] if hints else None
        uses = colour.uses
        bg = uses.get("page_bg", 0.0) + uses.get("bg", 0.0)
        text = uses.get("page_text", 0.0) + uses.get("text", 0.0)
        if hint == "background" or hint == "text":
            roles[hex_] = hint
        elif _neutral(rgb):
            if bg == text:
                roles[hex_] = "background" if _lightness(rgb) > 0.5 else "text"
            else:
                roles[hex_] = "background" if bg > text else "text"
        else:
            chromatic.append((hex_, hint))
    # Named roles (--primary, --accent) first, then the heaviest unnamed colours.
    for hex_, hint in chromatic:
        if (hint == "primary" or hint == "accent") and hint not in taken:
            roles[hex_] = hint
            taken.add(hint)
    for hex_, hint in chromatic:
        if hex_ in roles:
            continue
        free = next((r for r in _BRAND_ROLES if r not in taken), None)
        if free and hint not in ("primary", "accent"):
            roles[hex_] = free
            taken.add(free)
        else:
            roles[hex_] = "other"
    return roles


def _first_of(roles: dict[str, Role], role: Role) -> str | None:
    return next((hex_ for hex_, r in roles.items() if r == role), None)


def _palette(tally: _Tally) -> list[BrandColor]:
    merged: list[tuple[str, _Colour]] = []
    for hex_, colour in sorted(tally.colours.items(), key=lambda kv: -kv[1].weight):
        rgb = _rgb(hex_)
        limit = _NEUTRAL_MERGE_DISTANCE if _neutral(rgb) else _MERGE_DISTANCE
        near = next((held for held in merged if _distance(_rgb(held[0]), rgb) < limit
                     and _neutral(_rgb(held[0])) == _neutral(rgb)), None)
        if near:
            near[1].absorb(colour)
        else:
            merged.append((hex_, colour))
    merged.sort(key=lambda kv: -kv[1].weight)
    roles = _roles(merged)

    def score(item: tuple[str, _Colour]) -> float:
        hex_, colour = item
        return colour.weight * (_NEUTRAL_DEMOTION if _neutral(_rgb(hex_)) else 1.0)

    # Primary and accent first, then the page's background and text, then by prominence.
    first = {hex_: rank for rank, hex_ in enumerate(
        _first_of(roles, role) for role in ("primary", "accent", "background", "text"))}
    merged.sort(key=lambda kv: (first.get(kv[0], 4), -score(kv)))
    total = sum(score(kv) for kv in merged) or 1.0
    return [BrandColor(hex=hex_, role=roles[hex_], weight=round(score((hex_, c)) / total, 3))
            for hex_, c in merged[:MAX_COLORS]]


_FONT_SERVICE = re.compile(r"fonts\.googleapis\.com|fonts\.bunny\.net|use\.typekit")


# Past this many inline styles the rest say little more (and each costs a CSS parse).
MAX_INLINE_STYLES = 2000


def brand_of(soup: BeautifulSoup, base: str, url: str, css_texts: Sequence[str] = ()) -> Brand:
    """The brand of a parsed page whose ``<style>`` elements and inline styles are still
    there (the extractor calls this before it strips them)."""
    tally = _Tally()
    # One pass over the tree for everything styled in the HTML itself.
    style_sheets: list[str] = []
    styled: list[Tag] = []
    theme_color: str | None = None
    for tag in soup.descendants:
        if not isinstance(tag, Tag):
            continue
        name, attrs = tag.name, tag.attrs
        if name == "style":
            style_sheets.append(tag.get_text())
        elif name == "meta" and theme_color is None and \
                str(attrs.get("name", "")).lower() == "theme-color" and attrs.get("content"):
            raw = str(attrs["content"]).strip()
            found = color_of(raw)
            theme_color = found[0] if found else raw
            if found:
                tally.colour(found[0], "defined", _THEME_COLOR)
        elif name == "link" and _FONT_SERVICE.search(str(attrs.get("href", ""))):
            for family in re.findall(r"family=([^&:;]+)", str(attrs["href"])):
                tally.font(family.replace("+", " "), _DECLARED_FONT)
        elif name == "font":
            found = color_of(str(attrs.get("color") or ""))
            if found:
                tally.colour(found[0], "text", _TEXT_WEIGHT["other"])
            if attrs.get("face"):
                tally.font(str(attrs["face"]).split(",")[0], _FONT_WEIGHT["other"])
        if attrs.get("bgcolor"):
            # Presentational attributes of old pages: <body bgcolor>.
            found = color_of(str(attrs["bgcolor"]))
            context = _context(_element_selector(tag))
            if found:
                use = "page_bg" if context == "page" else "bg"
                tally.colour(found[0], use, _BG_WEIGHT[context])
        if attrs.get("style") and len(styled) < MAX_INLINE_STYLES:
            styled.append(tag)

    rules: list[StyleRule] = []
    for css in [*css_texts, *style_sheets]:
        for item in style_rules(css):
            if isinstance(item, StyleRule):
                rules.append(item)
            else:
                for declaration in _declarations(item.content or []):
                    if declaration.lower_name == "font-family":
                        for family in _families(declaration.value)[:1]:
                            tally.font(family, _DECLARED_FONT)
    variables = _custom_properties(rules)
    for name, value in variables.items():
        hint = _role_hint(name)
        for hex_, alpha in _colours_in(_resolve(value, variables)):
            tally.colour(hex_, "defined", _DEFINED * alpha, hint)
    for rule in rules:
        _weigh(tally, rule.selector, rule.declarations, rule.scale, variables)
    for tag in styled:
        _weigh(tally, _element_selector(tag), _declarations(str(tag["style"])), 1.0, variables)

    fonts = sorted(tally.fonts, key=lambda key: -tally.fonts[key])
    return Brand(
        colors=_palette(tally),
        fonts=[tally.spelling[key] for key in fonts[:MAX_FONTS]],
        logo=find_logo(soup, base),
        favicon=find_favicon(soup, base, url),
        theme_color=theme_color,
    )


def extract_brand(html: str, url: str, css_texts: Sequence[str] = ()) -> Brand:
    """The brand of a page: its HTML (with ``<style>`` and inline styles) and the text of the
    stylesheets it links, already fetched, in document order."""
    soup = parse_html(html)
    return brand_of(soup, document_base(soup, url), url, css_texts)
