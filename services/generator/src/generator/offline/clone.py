"""The offline clone writer: scraped pages copied into a Vite + React + Tailwind app with plain
rules, not AI.

Every page becomes a component holding its content as data (sections in order: heading, one
paragraph per line of text, images, links; then its forms), drawn by shared components: a
header with the logo, the site's name and its navigation, a section, a form that sends
nothing, a footer. The first page is the app's home; each further page is a view the App
shows at a hash route (``#/menu``), so links between the copied pages stay inside the copy
and no router package is needed. The palette goes into ``src/index.css`` as CSS variables
the components use through Tailwind arbitrary values (``bg-[var(--brand-primary)]``).

Page text is a third party's and never becomes code: it goes into the files only as
JavaScript string literals inside data constants, which React renders as text. Those
literals escape ``<`` (so no ``</script>`` or ``</file>`` can appear in a file, or end one in
the answer), ellipses and comment starts (so no line reads as a placeholder for left-out
code). Links keep only http(s), ``mailto:`` and ``tel:`` URLs, images only http(s) URLs and
inline SVGs. The same pages always give byte-identical files.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from generator.cloning import MAX_CLONE_PAGES, SiteMap, anchor_id, safe_href, safe_image_src
from generator.offline.answer import render_offline_answer
from generator.offline.jsx import js
from paynto_common.messages.scrape import Brand, Form, Link, ScrapedPage, Section, clip

__all__ = ["MAX_CLONE_CHARS", "offline_clone_answer", "offline_clone_files"]

# The whole copy stays well inside one bus message (the answer rides on the apply job): a site
# at every cap of ScrapedPage would be tens of megabytes.
MAX_CLONE_CHARS = 250_000

# Ids the copy itself uses: a page's section may not take them.
_RESERVED_IDS = frozenset({"root", "paynto-main"})
_FIELD_TYPES = frozenset({
    "text", "email", "tel", "url", "number", "password", "search", "date", "time",
    "datetime-local", "month", "week", "color", "range", "checkbox", "radio", "file",
    "select", "textarea",
})
_GENERIC_FONTS = frozenset({
    "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-serif",
    "ui-sans-serif", "ui-monospace", "ui-rounded", "emoji", "math", "fangsong",
})
_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")
_MAX_FALLBACK_LINES = 60
_ANY = 1_000_000


@dataclass(frozen=True)
class _Limits:
    """How much of the pages goes into the copy: each count is per page, or per section."""

    pages: int = MAX_CLONE_PAGES
    sections: int = _ANY
    # Images and links of a section; the footer's blocks and links.
    items: int = _ANY
    nav: int = _ANY
    # Characters of a section's text.
    text: int = _ANY
    # A longer URL (or inline SVG) is left out.
    url: int = _ANY
    forms: int = _ANY
    fields: int = _ANY
    options: int = _ANY


# Tried in turn until the copy fits in MAX_CLONE_CHARS; real sites fit the first. The last
# fits whatever the pages hold (3 pages of 12 sections of at most ~3,000 characters each).
_LIMITS = (
    _Limits(),
    _Limits(items=8, url=1000, options=12),
    _Limits(sections=24, items=4, nav=16, text=800, url=400, forms=2, fields=12, options=8),
    _Limits(pages=3, sections=12, items=2, nav=10, text=400, url=300, forms=1, fields=8,
            options=5),
)


# --- JavaScript literals -----------------------------------------------------------------------

# Applied to a JSON literal, where these only occur inside strings: "<" (a tag, or the answer's
# </file>), ellipses and "//" or "/*" (which the answer parser reads as code left out; the "://"
# of a URL is harmless), and the line separators some tools split lines on.
_LITERAL_ESCAPES = re.compile(r"[<\u2026\u2028\u2029]|\.{3,}|/{2,}\*?|/\*")
_SLASH = "\\u002f"


def _escape(match: re.Match[str]) -> str:
    found = match.group(0)
    if len(found) == 1:
        return f"\\u{ord(found):04x}"
    if found[0] == ".":
        return "\\u002e" * (len(found) - 2) + ".."
    slashes = len(found) - found.endswith("*")
    if found.endswith("*"):
        return _SLASH * slashes + "*"
    if match.start() and match.string[match.start() - 1] == ":":
        return "/" + _SLASH * (slashes - 2) + "/"
    return _SLASH * (slashes - 1) + "/"


def _literal(value: object) -> str:
    """A JavaScript literal of ``value``, safe to place anywhere in a module."""
    text = js(value).encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return _LITERAL_ESCAPES.sub(_escape, text)


def _inline(value: Any, room: int) -> str | None:
    """``value`` as JavaScript on one line, or ``None`` once it needs more than ``room``
    characters (it stops there: a page's data may be large)."""
    if isinstance(value, str) and len(value) + 2 > room:
        return None
    if not isinstance(value, dict | list):
        text = _literal(value)
        return text if len(text) <= room else None
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    parts: list[str] = []
    used = 4
    for key, item in items:
        prefix = f"{key}: " if key is not None else ""
        part = _inline(item, room - used - len(prefix))
        if part is None:
            return None
        parts.append(prefix + part)
        used += len(prefix) + len(part) + 2
    if isinstance(value, dict):
        return "{ " + ", ".join(parts) + " }" if parts else "{}"
    return "[" + ", ".join(parts) + "]"


def _data(value: Any, indent: int = 0) -> str:
    """``value`` (dicts, lists, strings, numbers, booleans, None) as readable JavaScript: on
    one line where it fits, else an entry per line; keys bare (they are this module's own
    identifiers)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    one = _inline(value, 96 - len(pad))
    if one is not None:
        return one
    if isinstance(value, dict):
        body = "".join(f"{inner}{k}: {_data(v, indent + 1)},\n" for k, v in value.items())
        return "{\n" + body + pad + "}"
    if isinstance(value, list):
        body = "".join(f"{inner}{_data(v, indent + 1)},\n" for v in value)
        return "[\n" + body + pad + "]"
    return _literal(value)


def _const(name: str, value: Any) -> str:
    return f"const {name} = {_data(value)};\n"


# --- the palette -------------------------------------------------------------------------------


def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def _luminance(hex_color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _hex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if not _HEX.match(v):
        return None
    return v if len(v) == 7 else "#" + "".join(c * 2 for c in v[1:])


@dataclass(frozen=True)
class _Palette:
    primary: str
    accent: str
    background: str
    text: str

    @property
    def on_primary(self) -> str:
        """Text on the primary colour: white or near-black, whichever reads better."""
        return "#ffffff" if _contrast(self.primary, "#ffffff") >= _contrast(
            self.primary, "#111111") else "#111111"


def _palette(brand: Brand) -> _Palette:
    """The four roles from the scraped colours, each falling back on the next best thing: the
    theme colour, the most prominent unassigned colour, white, a text colour that reads."""
    others = [c.hex for c in brand.colors if c.role == "other"]
    background = brand.color("background") or "#ffffff"
    text = brand.color("text")
    if text is None or _contrast(text, background) < 3:
        text = "#111111" if _contrast("#111111", background) >= _contrast(
            "#f8f8f8", background) else "#f8f8f8"
    primary = (brand.color("primary") or _hex(brand.theme_color)
               or next((c for c in others if _contrast(c, background) >= 2), None) or text)
    accent = (brand.color("accent")
              or next((c for c in others if c != primary), None) or primary)
    return _Palette(primary=primary, accent=accent, background=background, text=text)


def _font_stack(fonts: Sequence[str]) -> str:
    """The fonts as a CSS font-family value. A name keeps only letters, digits, spaces and
    ``-_.``: page text must not write CSS."""
    stack: list[str] = []
    for font in fonts:
        name = " ".join(re.sub(r"[^A-Za-z0-9 ._-]+", " ", font).split())
        if not name:
            continue
        item = name.lower() if name.lower() in _GENERIC_FONTS else f'"{name}"'
        if item not in stack:
            stack.append(item)
    if not any(item in _GENERIC_FONTS for item in stack):
        stack += ["system-ui", "sans-serif"]
    return ", ".join(stack)


def _index_css(brand: Brand) -> str:
    p = _palette(brand)
    return textwrap.dedent(f"""\
        @import "tailwindcss";

        /* The copied site's palette and fonts. Components use them through arbitrary values,
           such as bg-[var(--brand-primary)]. */
        :root {{
          --brand-primary: {p.primary};
          --brand-accent: {p.accent};
          --brand-background: {p.background};
          --brand-text: {p.text};
          --brand-on-primary: {p.on_primary};
          --brand-surface: color-mix(in srgb, var(--brand-primary) 6%, var(--brand-background));
          --brand-muted: color-mix(in srgb, var(--brand-text) 75%, var(--brand-background));
          --brand-border: color-mix(in srgb, var(--brand-text) 15%, var(--brand-background));
          --brand-font: {_font_stack(brand.fonts)};
        }}

        @layer base {{
          html {{
            scroll-behavior: smooth;
            scroll-padding-top: 5rem;
          }}

          body {{
            background-color: var(--brand-background);
            color: var(--brand-text);
            font-family: var(--brand-font);
          }}

          @media (prefers-reduced-motion: reduce) {{
            html {{
              scroll-behavior: auto;
            }}
          }}
        }}
        """)


# --- reading the pages -------------------------------------------------------------------------


def _component_name(slug: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", slug) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Home"
    if name[0].isdigit():
        name = "Page" + name
    name += "Page"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    taken.add(candidate)
    return candidate


def _lines(text: str) -> list[str]:
    return [line for line in (" ".join(raw.split()) for raw in text.split("\n")) if line]


def _label(link: Link, href: str) -> str:
    text = " ".join(link.text.split())
    if text:
        return text
    parts = urlsplit(href)
    return (parts.netloc + parts.path).rstrip("/") or href


class _Clone:
    """The files for one set of scraped pages."""

    def __init__(self, pages: Sequence[ScrapedPage], limits: _Limits = _LIMITS[0]) -> None:
        self.limits = limits
        self.site = SiteMap(list(pages)[: limits.pages])
        self.pages = self.site.pages
        self.first = self.pages[0]
        taken: set[str] = set()
        self.names = [_component_name(slug, taken) for slug in self.site.slugs]
        self.first_footers = [s for s in self.first.sections if s.tag == "footer"]
        self.shown = [self._shown(n) for n in range(len(self.pages))]
        # The ids of the sections shown, each kept only when unique on its page and not one
        # the copy uses itself.
        self.ids: dict[tuple[int, int], str] = {}
        owners: dict[str, list[int]] = {}
        for n, shown in enumerate(self.shown):
            for i, section in shown:
                ident = anchor_id(section.id)
                if ident is None or ident in _RESERVED_IDS or n in owners.get(ident, []):
                    continue
                self.ids[n, i] = ident
                owners.setdefault(ident, []).append(n)
        # An id on one page only: "#id" shows that page and scrolls to it from anywhere.
        self.anchors = {ident: pages_[0] for ident, pages_ in sorted(owners.items())
                        if len(pages_) == 1}

    # links -----------------------------------------------------------------------------------

    def href(self, href: str, n: int) -> str | None:
        """Where a link of page ``n`` goes in the copy: a copied page's route (or the anchor
        of one of its sections), or the site's own address; ``None`` for a script URL."""
        safe = safe_href(href, self.site.base(n))
        if safe is None or len(safe) > self.limits.url:
            return None
        target = self.site.page_of(safe)
        if target is None:
            return safe
        fragment = anchor_id(urlsplit(safe).fragment)
        if fragment and self.anchors.get(fragment) == target:
            return f"#{fragment}"
        return self.site.route(target)

    def links(self, links: Sequence[Link], n: int, limit: int) -> list[dict[str, str]]:
        """The links that a copy may carry, where they go in it, the first ``limit``."""
        out: list[dict[str, str]] = []
        seen: set[str] = set()
        for link in links:
            href = self.href(link.href, n)
            if href is None or href in seen:
                continue
            seen.add(href)
            out.append({"label": _label(link, href), "href": href})
        return out[:limit]

    def image(self, src: str | None, n: int) -> str | None:
        safe = safe_image_src(src, self.site.base(n)) if src else None
        return safe if safe is not None and len(safe) <= self.limits.url else None

    def nav(self) -> list[dict[str, str]]:
        """The first page's navigation, then every copied page it does not reach."""
        items = self.links(self.first.navigation, 0, self.limits.nav)
        reached = {item["href"] for item in items}
        for n, page in enumerate(self.pages):
            route = self.site.route(n)
            if n and route not in reached:
                title = " ".join(page.title.split())
                items.append({"label": title[:40] or self.site.slugs[n], "href": route})
                reached.add(route)
        return items

    # sections --------------------------------------------------------------------------------

    def _chrome_only(self, section: Section, n: int) -> bool:
        """A header or nav block that only repeats the navigation (and logo) the copy's own
        header shows."""
        if section.tag not in ("header", "nav") or section.heading:
            return False
        words = {" ".join(link.text.split()) for link in
                 (*section.links, *self.pages[n].navigation)}
        return all(line in words for line in _lines(section.text))

    def _shown(self, n: int) -> list[tuple[int, Section]]:
        page = self.pages[n]
        shown = []
        for i, section in enumerate(page.sections):
            if self._chrome_only(section, n):
                continue
            if section.tag == "footer" and (n == 0 or section in self.first_footers):
                continue  # the copy's footer shows the first page's
            shown.append((i, section))
        return shown[: self.limits.sections]

    def section(self, n: int, i: int, section: Section, position: int) -> dict[str, Any]:
        page = self.pages[n]
        level = next((h.level for h in page.headings if h.text == section.heading), 2)
        out: dict[str, Any] = {}
        if (n, i) in self.ids:
            out["id"] = self.ids[n, i]
        if section.heading:
            out["heading"] = " ".join(section.heading.split())
            out["level"] = min(max(level, 1), 3)
        out["tinted"] = position % 2 == 1
        out["paragraphs"] = _lines(clip(section.text, self.limits.text))
        images = []
        for image in section.images:
            src = self.image(image.src, n)
            if src is None:
                continue
            item: dict[str, Any] = {"src": src, "alt": " ".join(image.alt.split())}
            if image.width and image.height:
                item.update(width=image.width, height=image.height)
            images.append(item)
        out["images"] = images[: self.limits.items]
        out["links"] = self.links(section.links, n, self.limits.items)
        return out

    def fallback(self, n: int) -> dict[str, Any]:
        """A page without sections: its title, then its description or markdown as text."""
        page = self.pages[n]
        heading = " ".join(page.title.split()) or "Untitled page"
        lines = _lines(page.description)
        for line in _lines(clip(page.markdown, max(self.limits.text, 1000) * 4)):
            plain = re.sub(r"^(?:#{1,6}|[-*+>]|\d+[.)])\s+", "", line)
            if plain and plain not in lines and plain != heading:
                lines.append(plain)
        return {"heading": heading, "level": 1,
                "tinted": False, "paragraphs": lines[:_MAX_FALLBACK_LINES], "images": [],
                "links": []}

    def form(self, n: int, j: int, form: Form) -> dict[str, Any]:
        fields = []
        for k, f in enumerate(form.fields[: self.limits.fields]):
            kind = f.type.strip().lower()
            kind = kind if kind in _FIELD_TYPES else "text"
            label = " ".join((f.label or f.name or f"Field {k + 1}").split())
            item: dict[str, Any] = {"id": f"form-{n + 1}-{j + 1}-{k + 1}", "name": f.name,
                                    "type": kind, "label": label, "required": f.required}
            if kind == "select":
                item["options"] = [" ".join(o.split()) for o in f.options[: self.limits.options]]
            fields.append(item)
        return {"fields": fields, "submit": " ".join((form.submit or "").split()) or "Submit"}

    # files -----------------------------------------------------------------------------------

    def files(self, budget: int | None = None) -> dict[str, str] | None:
        """Every file, path → contents; ``None`` as soon as they pass ``budget`` characters
        (a huge site is not written whole only to be measured)."""
        out = {"src/index.css": _index_css(self.first.brand), "src/App.jsx": self.app(),
               "src/components/Header.jsx": self.header(),
               "src/components/Section.jsx": _SECTION}
        if any(page.forms for page in self.pages) and self.limits.forms:
            out["src/components/ClonedForm.jsx"] = _FORM
        out["src/components/Footer.jsx"] = self.footer()
        size = sum(len(text) for text in out.values())
        for n in range(len(self.pages)):
            text = self.page(n)
            size += len(text)
            if budget is not None and size > budget:
                return None
            out[f"src/components/{self.names[n]}.jsx"] = text
        return out

    def page(self, n: int) -> str:
        page = self.pages[n]
        sections = [self.section(n, i, s, position)
                    for position, (i, s) in enumerate(self.shown[n])]
        forms = [self.form(n, j, f) for j, f in enumerate(page.forms[: self.limits.forms])]
        if not sections and not forms:
            sections = [self.fallback(n)]
        imports = 'import Section from "./Section.jsx";\n'
        consts = ("// The page's sections in the order it had them, as read from the site.\n"
                  + _const("SECTIONS", sections))
        forms_jsx = ""
        if forms:
            imports += 'import ClonedForm from "./ClonedForm.jsx";\n'
            consts += ("\n// The page's forms: the same fields, sending nothing yet.\n"
                       + _const("FORMS", forms))
            forms_jsx = ("      {FORMS.map((form, index) => (\n"
                         "        <ClonedForm key={index} form={form} />\n"
                         "      ))}\n")
        return (
            f"{imports}\n{consts}\n"
            f"export default function {self.names[n]}() {{\n"
            "  return (\n"
            "    <>\n"
            "      {SECTIONS.map((section, index) => (\n"
            "        <Section key={index} section={section} />\n"
            "      ))}\n"
            f"{forms_jsx}"
            "    </>\n"
            "  );\n"
            "}\n"
        )

    def app(self) -> str:
        brand = self.first.brand
        favicon = self.image(brand.favicon, 0)
        logo = self.image(brand.logo, 0) or favicon
        title = " ".join(self.first.title.split()) or urlsplit(self.first.url).netloc
        site: dict[str, Any] = {"title": title, "logo": logo, "favicon": favicon}
        imports = "".join(f'import {name} from "./components/{name}.jsx";\n'
                          for name in self.names)
        pages = ",\n".join(
            f"  {{ slug: {_literal(slug)}, title: {_literal(' '.join(p.title.split()) or title)}, "
            f"Page: {name} }}"
            for slug, p, name in zip(self.site.slugs, self.pages, self.names, strict=True))
        anchors = "".join(f"  [{_literal(ident)}, {_literal(self.site.slugs[n])}],\n"
                          for ident, n in self.anchors.items())
        return (_APP_HEAD + imports + "\n" + _const("SITE", site)
                + f"\n// The copied pages: the first is home (#/), each other one a view at "
                  f"#/<slug>.\nconst PAGES = [\n{pages},\n];\n"
                + "\n// Which page holds each section id that in-page links (#id) point at.\n"
                + f"const ANCHORS = new Map([\n{anchors}]);\n" + _APP_BODY)

    def header(self) -> str:
        return ('import { useState } from "react";\n\n'
                "// The site's navigation: links to the copied pages go to their views, the "
                "others keep\n// the site's own addresses.\n"
                + _const("LINKS", self.nav()) + _HEADER)

    def footer(self) -> str:
        lines: list[str] = []
        links: list[dict[str, str]] = []
        for section in self.first_footers[: self.limits.items]:
            lines += [line for line in _lines(clip(section.text, self.limits.text))
                      if line not in lines]
            links += [link for link in self.links(section.links, 0, self.limits.items)
                      if link not in links]
        if not links:
            links = self.nav()
        return ("// What the site's footer said, and its links.\n"
                + _const("LINES", lines) + "\n" + _const("LINKS", links) + _FOOTER)


_APP_HEAD = """\
// Written by Paynto's offline clone writer (rule-based, not AI): a copy of pages read from a
// website, made with plain rules. Each page's content is data in its own component; the first
// page is home and each further page is a view shown at its hash route, so links between the
// copied pages stay inside this app without a router package.
import { useEffect, useState } from "react";
import Header from "./components/Header.jsx";
import Footer from "./components/Footer.jsx";
"""

_APP_BODY = """
// The slug of the page a hash shows: "#/menu" names one, "#beans" names the page holding that
// section; null for a hash that names neither (the view stays as it is).
function pageFor(hash) {
  if (hash === "" || hash === "#") {
    return "";
  }
  if (hash.startsWith("#/")) {
    const slug = hash.slice(2);
    return PAGES.some((page) => page.slug === slug) ? slug : "";
  }
  const id = hash.slice(1);
  return ANCHORS.has(id) ? ANCHORS.get(id) : null;
}

export default function App() {
  const [slug, setSlug] = useState(() => pageFor(window.location.hash) ?? "");
  const page = PAGES.find((item) => item.slug === slug) ?? PAGES[0];
  const Page = page.Page;

  useEffect(() => {
    function onHashChange() {
      const next = pageFor(window.location.hash);
      if (next !== null) {
        setSlug(next);
      }
      if (window.location.hash.startsWith("#/")) {
        window.scrollTo(0, 0);
      }
    }
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);

  useEffect(() => {
    document.title = page.title;
    // Arriving from another view through a section's link: bring that section into view.
    const id = window.location.hash.slice(1);
    if (id && !id.startsWith("/")) {
      document.getElementById(id)?.scrollIntoView();
    }
  }, [page]);

  useEffect(() => {
    if (!SITE.favicon) {
      return;
    }
    let icon = document.querySelector('link[rel="icon"]');
    if (!icon) {
      icon = document.createElement("link");
      icon.rel = "icon";
      document.head.appendChild(icon);
    }
    icon.href = SITE.favicon;
  }, []);

  return (
    <div className="flex min-h-screen flex-col bg-[var(--brand-background)] text-[var(--brand-text)] antialiased">
      <a
        href="#paynto-main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-4 focus:left-4 focus:z-50 focus:rounded-lg focus:bg-[var(--brand-primary)] focus:px-4 focus:py-2 focus:text-[var(--brand-on-primary)]"
      >
        Skip to content
      </a>
      <Header site={SITE} current={page.slug} />
      <main id="paynto-main" className="flex-1">
        <Page key={page.slug} />
      </main>
      <Footer site={SITE} />
    </div>
  );
}
"""  # noqa: E501

_HEADER = """
export default function Header({ site, current }) {
  const [open, setOpen] = useState(false);

  function linkClass(link, extra) {
    const active = link.href === "#/" + current;
    return extra + (active ? " text-[var(--brand-primary)] underline underline-offset-8" : "");
  }

  return (
    <header className="sticky top-0 z-40 border-b border-[var(--brand-border)] bg-[var(--brand-background)]">
      <nav aria-label="Main" className="mx-auto flex max-w-6xl items-center justify-between gap-6 px-4 py-3 sm:px-6 lg:px-8">
        <a href="#/" className="flex min-w-0 items-center gap-3 text-lg font-bold tracking-tight">
          {site.logo && (
            <img src={site.logo} alt="" className="h-9 w-auto max-w-32 shrink-0 object-contain" />
          )}
          <span className="truncate">{site.title}</span>
        </a>
        <ul className="hidden flex-wrap items-center justify-end gap-x-6 gap-y-2 md:flex">
          {LINKS.map((link, index) => (
            <li key={index}>
              <a
                href={link.href}
                aria-current={link.href === "#/" + current ? "page" : undefined}
                className={linkClass(link, "text-sm font-medium transition hover:text-[var(--brand-primary)]")}
              >
                {link.label}
              </a>
            </li>
          ))}
        </ul>
        <button
          type="button"
          className="grid h-10 w-10 shrink-0 cursor-pointer place-items-center rounded-lg border border-[var(--brand-border)] md:hidden"
          aria-expanded={open}
          aria-controls="mobile-menu"
          onClick={() => setOpen((value) => !value)}
        >
          <span className="sr-only">{open ? "Close menu" : "Open menu"}</span>
          <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
            {open ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M4 7h16M4 12h16M4 17h16" />}
          </svg>
        </button>
      </nav>
      {open && (
        <ul id="mobile-menu" className="space-y-1 border-t border-[var(--brand-border)] px-4 py-4 md:hidden">
          {LINKS.map((link, index) => (
            <li key={index}>
              <a
                href={link.href}
                onClick={() => setOpen(false)}
                aria-current={link.href === "#/" + current ? "page" : undefined}
                className={linkClass(link, "block rounded-lg px-3 py-2 font-medium hover:bg-[var(--brand-surface)]")}
              >
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      )}
    </header>
  );
}
"""  # noqa: E501

_SECTION = """\
// One section of a copied page: its heading, its text (a paragraph per line), its images and
// its links, in the order the page had them.
const HEADING_CLASS = {
  h1: "text-4xl font-extrabold tracking-tight text-balance sm:text-5xl",
  h2: "text-3xl font-bold tracking-tight text-balance sm:text-4xl",
  h3: "text-2xl font-semibold tracking-tight text-balance",
};

export default function Section({ section }) {
  const Heading = "h" + section.level;
  const many = section.images.length > 1;
  return (
    <section
      id={section.id}
      className={"py-16 sm:py-20 " + (section.tinted ? "bg-[var(--brand-surface)]" : "")}
    >
      <div className="mx-auto max-w-6xl px-4 sm:px-6 lg:px-8">
        {section.heading && (
          <>
            <span aria-hidden="true" className="mb-4 block h-1 w-12 rounded-full bg-[var(--brand-accent)]" />
            <Heading className={HEADING_CLASS[Heading]}>{section.heading}</Heading>
          </>
        )}
        {section.paragraphs.map((line, index) => (
          <p key={index} className="mt-4 max-w-3xl text-lg leading-8 text-[var(--brand-muted)]">
            {line}
          </p>
        ))}
        {section.images.length > 0 && (
          <div className={"mt-10 grid gap-6 " + (many ? "sm:grid-cols-2 lg:grid-cols-3" : "")}>
            {section.images.map((image, index) => (
              <img
                key={index}
                src={image.src}
                alt={image.alt}
                width={image.width}
                height={image.height}
                loading="lazy"
                className="h-auto w-full rounded-2xl object-cover"
              />
            ))}
          </div>
        )}
        {section.links.length > 0 && (
          <ul className="mt-8 flex flex-wrap gap-3">
            {section.links.map((link, index) => (
              <li key={index}>
                <a
                  href={link.href}
                  className="inline-flex rounded-full bg-[var(--brand-primary)] px-5 py-2.5 text-sm font-semibold text-[var(--brand-on-primary)] shadow-sm transition hover:opacity-90"
                >
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
"""  # noqa: E501

_FORM = """\
import { useState } from "react";

const INPUT_CLASS =
  "mt-2 block w-full rounded-xl border border-[var(--brand-border)] bg-[var(--brand-background)] px-4 py-3";

// A form of the copied site with the same fields. It sends nothing: connect handleSubmit to a
// service of your own to receive what people enter.
export default function ClonedForm({ form }) {
  const [sent, setSent] = useState(false);

  function handleSubmit(event) {
    event.preventDefault();
    setSent(true);
  }

  return (
    <section className="py-16 sm:py-20">
      <div className="mx-auto max-w-xl px-4 sm:px-6 lg:px-8">
        <form
          onSubmit={handleSubmit}
          className="space-y-6 rounded-3xl border border-[var(--brand-border)] bg-[var(--brand-surface)] p-6 sm:p-10"
        >
          {form.fields.map((field) => (
            <div key={field.id}>
              {field.type === "checkbox" || field.type === "radio" ? (
                <label htmlFor={field.id} className="flex items-center gap-3 font-medium">
                  <input id={field.id} name={field.name} type={field.type} required={field.required} />
                  {field.label}
                </label>
              ) : (
                <>
                  <label htmlFor={field.id} className="block text-sm font-medium">
                    {field.label}
                  </label>
                  {field.type === "select" ? (
                    <select id={field.id} name={field.name} required={field.required} className={INPUT_CLASS}>
                      {field.options.map((option, index) => (
                        <option key={index}>{option}</option>
                      ))}
                    </select>
                  ) : field.type === "textarea" ? (
                    <textarea id={field.id} name={field.name} rows={5} required={field.required} className={INPUT_CLASS} />
                  ) : (
                    <input id={field.id} name={field.name} type={field.type} required={field.required} className={INPUT_CLASS} />
                  )}
                </>
              )}
            </div>
          ))}
          <button
            type="submit"
            className="w-full cursor-pointer rounded-full bg-[var(--brand-primary)] px-6 py-3 font-semibold text-[var(--brand-on-primary)] shadow-sm transition hover:opacity-90"
          >
            {form.submit}
          </button>
          <p role="status" className="text-sm text-[var(--brand-muted)]">
            {sent
              ? "Thank you. This copy of the form does not send anything yet."
              : "This copy of the form does not send anything yet."}
          </p>
        </form>
      </div>
    </section>
  );
}
"""  # noqa: E501

_FOOTER = """
export default function Footer({ site }) {
  return (
    <footer className="border-t border-[var(--brand-border)] bg-[var(--brand-surface)]">
      <div className="mx-auto flex max-w-6xl flex-col gap-8 px-4 py-12 sm:px-6 md:flex-row md:justify-between lg:px-8">
        <div className="max-w-md">
          <a href="#/" className="text-lg font-bold">
            {site.title}
          </a>
          {LINES.map((line, index) => (
            <p key={index} className="mt-2 text-sm text-[var(--brand-muted)]">
              {line}
            </p>
          ))}
        </div>
        <nav aria-label="Footer">
          <ul className="grid grid-cols-2 gap-x-10 gap-y-3 text-sm">
            {LINKS.map((link, index) => (
              <li key={index}>
                <a href={link.href} className="transition hover:text-[var(--brand-primary)]">
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </div>
    </footer>
  );
}
"""  # noqa: E501


def offline_clone_files(pages: list[ScrapedPage], wishes: str = "") -> dict[str, str]:
    """The project files of a rule-based copy of ``pages`` (the first is home; at most
    :data:`generator.cloning.MAX_CLONE_PAGES`): ``src/index.css``, ``src/App.jsx`` and the
    components it imports, path → contents. The same pages always give the same files.

    ``wishes`` are not applied: following a person's words needs a model, and the offline
    writer copies the site as it is (:func:`offline_clone_answer` says so).
    """
    del wishes
    return _fitted(pages)[0]


def _fitted(pages: Sequence[ScrapedPage]) -> tuple[dict[str, str], int]:
    """The copy's files at the first limits that keep it within :data:`MAX_CLONE_CHARS`, and
    which limits those were (0: the pages whole)."""
    last = len(_LIMITS) - 1
    for level, limits in enumerate(_LIMITS):
        files = _Clone(pages, limits).files(None if level == last else MAX_CLONE_CHARS)
        if files is not None:
            return files, level
    raise AssertionError("unreachable: the last limits have no budget")


def offline_clone_answer(pages: list[ScrapedPage], wishes: str = "") -> str:
    """:func:`offline_clone_files` as a tagged answer, as the offline generator answers, with a
    line on what the copy is. No page text goes outside the files."""
    files, level = _fitted(pages)
    copied = min(len(pages), _LIMITS[level].pages)
    note = (f"A copy of {copied} page{'s' if copied != 1 else ''} of the site, made by Paynto's "
            "offline clone writer (rule-based, not AI): the same sections, text, links, "
            "images, forms and palette, in a plain layout.")
    if copied < len(pages):
        note += f" {len(pages) - copied} further page(s) were left out."
    if level:
        note += (" The site was too large to copy whole: sections, text, images and links "
                 "were cut short to fit.")
    if wishes.strip():
        note += (" Your wishes for the copy were not applied: the offline writer cannot read "
                 "them. Configure a model to clone with changes.")
    return note + "\n\n" + render_offline_answer(files)
