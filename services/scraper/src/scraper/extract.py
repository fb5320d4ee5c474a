"""The built-in scraper's reading of a page: HTML (and its CSS) already fetched in, a
:class:`ScrapedPage` out. No network here; fetching is the service's, through the SSRF guard.

The page is parsed once, by lxml through BeautifulSoup (lenient with the unclosed tags of real
pages, entities decoded). Brand comes first, while styles are still in the tree; then scripts,
styles and other non-content are dropped, every URL is made absolute (``<base href>``
honoured, script and data URLs dropped), and the content is read: title and meta, headings,
sections in document order, navigation, links, images, forms, and the main content as
markdown (markdownify). Every list stops growing at its cap, so a page with 5,000 links costs
no more to carry than one with 200.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urldefrag, urlsplit

import tinycss2
from bs4 import BeautifulSoup, NavigableString, Tag
from markdownify import MarkdownConverter
from soupsieve import SelectorSyntaxError
from tinycss2.ast import AtRule, FunctionBlock, StringToken, URLToken

from paynto_common.messages.scrape import (
    MAX_FIELDS,
    MAX_FORMS,
    MAX_HEADINGS,
    MAX_IMAGES,
    MAX_LINKS,
    MAX_MARKDOWN,
    MAX_NAVIGATION,
    MAX_OPTIONS,
    MAX_SECTION_ITEMS,
    MAX_SECTION_TEXT,
    MAX_SECTIONS,
    MAX_SHORT,
    Form,
    FormField,
    Heading,
    Image,
    Link,
    ScrapedPage,
    Section,
    clip,
)
from scraper.brand import (
    StyleRule,
    absolute_url,
    brand_of,
    document_base,
    parse_html,
    style_rules,
)

MAX_STYLESHEETS = 10
MAX_CRAWL = 20

# Elements whose content is not the page's text.
_DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "canvas",
            "svg", "math", "audio", "video", "head")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Elements that start a new line of text.
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "thead", "tfoot", "tr", "ul", "caption", "label",
})
# Form controls whose content is choices or defaults, not the page's text (forms keep them).
_NOT_TEXT = frozenset({"select", "datalist", "textarea"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Landmarks that are one section each; ``main`` (and sections holding sections) are split.
_LANDMARKS = frozenset({"header", "nav", "footer", "aside", "section", "article"})
_ROLES = {"banner": "header", "navigation": "nav", "contentinfo": "footer",
          "complementary": "aside", "region": "section", "main": "main"}
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-srcset")
_BACKGROUND_URL = re.compile(
    r"background(?:-image)?\s*:[^;]*?url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.IGNORECASE)
_PSEUDO_ELEMENT = re.compile(r"::|:(before|after|first-line|first-letter)\b", re.IGNORECASE)
MAX_BACKGROUND_RULES = 60
_ASSET = re.compile(
    r"\.(pdf|zip|gz|tgz|rar|7z|dmg|exe|jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|mp[34]|"
    r"m4a|mov|avi|webm|wav|ogg|css|js|mjs|json|xml|rss|atom|txt|woff2?|ttf|otf|eot)$",
    re.IGNORECASE)


def _squash(text: str) -> str:
    """Whitespace runs (non-breaking spaces too) as one space."""
    return " ".join(text.split())


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return str(value) if value is not None else ""


def _landmark(tag: Tag) -> str | None:
    """Which landmark an element is, by its tag or its ARIA role."""
    if tag.name in _LANDMARKS or tag.name == "main":
        return tag.name
    return _ROLES.get(_attr(tag, "role").lower())


def _int(value: str) -> int | None:
    match = re.fullmatch(r"\s*(\d{1,6})(?:px)?\s*", value)
    return int(match.group(1)) if match else None


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


# -- cleaning ---------------------------------------------------------------------------------


def _clean(soup: BeautifulSoup, base: str) -> None:
    """Drop what is not content, and make every link and image URL absolute (or drop it)."""
    dropped: list[Tag] = []
    # One pass over the tree; elements are detached after it (each takes its subtree along).
    for tag in soup.descendants:
        if not isinstance(tag, Tag):
            continue
        name, attrs = tag.name, tag.attrs
        if name in _DROPPED or ("hidden" in attrs and name != "input") or (
                "style" in attrs and _HIDDEN_STYLE.search(str(attrs["style"]))):
            dropped.append(tag)
        elif name in ("a", "area") and "href" in attrs:
            resolved = absolute_url(_attr(tag, "href"), base)
            if resolved:
                attrs["href"] = resolved
            else:
                del attrs["href"]
        elif name == "img":
            src = _image_src(tag, base)
            if src:
                attrs["src"] = src
            else:
                dropped.append(tag)
    for tag in dropped:
        tag.extract()


def _image_src(img: Tag, base: str) -> str | None:
    """An image's real source: lazy loaders keep it in ``data-src`` and put a placeholder
    (often a data: URL) in ``src``; a ``srcset`` gives the largest candidate."""
    for name in (*_LAZY_SRC, "src", "srcset"):
        value = _attr(img, name).strip()
        if not value:
            continue
        if name.endswith("srcset"):
            value = _largest_candidate(value)
        resolved = absolute_url(value, base, web_only=True)
        if resolved:
            return resolved
    return None


def _largest_candidate(srcset: str) -> str:
    best, best_size = "", -1.0
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1:
            match = re.fullmatch(r"(\d+(?:\.\d+)?)[wx]", parts[1])
            size = float(match.group(1)) if match else 1.0
        if size > best_size:
            best, best_size = parts[0], size
    return best


# -- text -------------------------------------------------------------------------------------


_END = object()  # marks the end of a block element on the walk's stack


@dataclass
class _Collector:
    """What one walk over part of the page gathers: its sections' text, images and links."""

    split: bool
    tag: str
    page_host: str
    sections: list[Section] = field(default_factory=list)
    heading: str | None = None
    ident: str | None = None
    pieces: list[str] = field(default_factory=list)
    size: int = 0
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    # Background images by element (``id()`` of its tag).
    backgrounds: dict[int, list[str]] = field(default_factory=dict)

    def text(self, piece: str) -> None:
        # Stop gathering well past the cap: the rest would be cut anyway.
        if self.size < MAX_SECTION_TEXT * 2:
            self.pieces.append(piece)
            if not piece.isspace():
                self.size += len(piece)

    def flush(self) -> None:
        text = "\n".join(line for line in (_squash(s) for s in "".join(self.pieces).split("\n"))
                         if line)
        if self.heading or text or self.images or self.links:
            if len(self.sections) < MAX_SECTIONS:
                self.sections.append(Section(tag=self.tag, id=self.ident, heading=self.heading,
                                             text=text, images=self.images, links=self.links))
        self.heading, self.ident, self.pieces, self.size = None, None, [], 0
        self.images, self.links, self.seen = [], [], set()

    def image(self, img: Tag) -> None:
        self.add_image(_image(img))

    def add_image(self, image: Image) -> None:
        if image.src and image.src not in self.seen and len(self.images) < MAX_SECTION_ITEMS:
            self.seen.add(image.src)
            self.images.append(image)

    def link(self, anchor: Tag) -> None:
        href = _attr(anchor, "href")
        if href and href not in self.seen and len(self.links) < MAX_SECTION_ITEMS:
            self.seen.add(href)
            self.links.append(Link(href=href, text=_link_text(anchor),
                                   internal=_host(href) == self.page_host))


def _walk(collector: _Collector, roots: Iterable[Tag | NavigableString]) -> None:
    """Feed ``roots`` to ``collector`` in document order, without recursion (real pages nest
    deeper than Python's stack)."""
    stack: list[object] = list(reversed(list(roots)))
    while stack:
        item = stack.pop()
        if item is _END:
            collector.text("\n")
        elif isinstance(item, NavigableString):
            if type(item) is NavigableString:  # not a comment, CDATA or doctype
                collector.text(str(item))
        elif isinstance(item, Tag):
            level = _HEADINGS.get(item.name)
            if level is not None:
                heading = _squash(item.get_text(" "))
                if collector.split and level <= 3:
                    collector.flush()
                    collector.heading, collector.ident = heading or None, _attr(item, "id") or None
                elif collector.heading is None and heading:
                    collector.heading = heading
                else:
                    collector.text(f"\n{heading}\n")
                for img in item.find_all("img"):
                    collector.image(img)
                for anchor in item.find_all("a", href=True):
                    collector.link(anchor)
                continue
            for src in collector.backgrounds.get(id(item), ()):
                collector.add_image(Image(src=src))
            if item.name == "br":
                collector.text("\n")
                continue
            if item.name in _NOT_TEXT:
                continue
            if item.name == "img":
                collector.image(item)
                continue
            if item.name == "a" and item.get("href"):
                collector.link(item)
            elif item.name in ("input", "button") and _attr(item, "type").lower() in (
                    "submit", "button") and item.get("value"):
                collector.text(f" {_attr(item, 'value')} ")
            if item.name in _BLOCKS or item.name in ("td", "th"):
                collector.text("\n" if item.name in _BLOCKS else " ")
                stack.append(_END if item.name in _BLOCKS else " ")
            stack.extend(reversed(item.contents))
        elif isinstance(item, str):
            collector.text(item)


def _link_text(anchor: Tag) -> str:
    text = _squash(anchor.get_text(" "))
    if text:
        return text
    for name in ("aria-label", "title"):
        if anchor.get(name):
            return _squash(_attr(anchor, name))
    img = anchor.find("img", alt=True)
    return _squash(_attr(img, "alt")) if isinstance(img, Tag) else ""


def _blocks(body: Tag) -> list[tuple[str, list[Tag | NavigableString], bool]]:
    """The page cut into blocks in document order, as ``(tag, nodes, split)``: a landmark is
    one block (``split`` False); the stretches between landmarks are blocks to be split at
    their headings. ``main``, wrappers, and sections holding sections are opened up."""
    blocks: list[tuple[str, list[Tag | NavigableString], bool]] = []
    loose: list[Tag | NavigableString] = []

    def flush(name: str) -> None:
        if loose:
            blocks.append((name, list(loose), True))
            loose.clear()

    def opens(tag: Tag, landmark: str | None) -> bool:
        if landmark in ("section", "article"):
            return tag.find("section") is not None
        if landmark in (None, "main"):
            return tag.find(lambda t: _landmark(t) is not None) is not None
        return False

    def visit(node: Tag, name: str, depth: int) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString and child.strip():
                    loose.append(child)
                continue
            if not isinstance(child, Tag):
                continue
            landmark = _landmark(child)
            # Wrappers nest only so deep on real pages; past that a wrapper is one block.
            if depth < 40 and opens(child, landmark):
                flush(name)
                inner = landmark or name
                visit(child, inner, depth + 1)
                flush(inner)
            elif landmark is not None:
                flush(name)
                blocks.append((landmark, [child], landmark == "main"))
            else:
                loose.append(child)

    visit(body, "div", 0)
    flush("div")
    return blocks


def _sections(body: Tag, page_host: str, backgrounds: dict[int, list[str]]) -> list[Section]:
    sections: list[Section] = []
    for tag, nodes, split in _blocks(body):
        collector = _Collector(split=split, tag=tag, page_host=page_host,
                               backgrounds=backgrounds)
        if not split and isinstance(nodes[0], Tag):
            collector.ident = _attr(nodes[0], "id") or None
        _walk(collector, nodes)
        collector.flush()
        sections.extend(collector.sections)
        if len(sections) >= MAX_SECTIONS:
            break
    return sections[:MAX_SECTIONS]


# -- the rest of the page ---------------------------------------------------------------------


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        key = "property" if name.startswith("og:") else "name"
        tag = soup.find("meta", attrs={key: re.compile(f"^{re.escape(name)}$", re.I),
                                       "content": True})
        if isinstance(tag, Tag) and _attr(tag, "content").strip():
            return _squash(_attr(tag, "content"))
    return ""


def _language(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    if isinstance(html, Tag) and _attr(html, "lang").strip():
        return _attr(html, "lang").strip()
    meta = soup.find("meta", attrs={"http-equiv": re.compile("^content-language$", re.I)})
    if isinstance(meta, Tag) and _attr(meta, "content").strip():
        return _attr(meta, "content").split(",")[0].strip()
    return None


def _headings(soup: BeautifulSoup) -> list[Heading]:
    found = []
    for tag in soup.find_all(list(_HEADINGS)):
        text = _squash(tag.get_text(" "))
        if text:
            found.append(Heading(level=_HEADINGS[tag.name], text=text))
            if len(found) >= MAX_HEADINGS:
                break
    return found


def _links(anchors: Iterable[Tag], page_host: str, limit: int) -> list[Link]:
    found: dict[str, Link] = {}
    for anchor in anchors:
        href = _attr(anchor, "href")
        if not href:
            continue
        held = found.get(href)
        if held is None:
            if len(found) >= limit:
                break
            found[href] = Link(href=href, text=_link_text(anchor),
                               internal=href.startswith("http") and _host(href) == page_host)
        elif not held.text:
            held.text = _link_text(anchor)
    return list(found.values())


def _navigation(soup: BeautifulSoup, page_host: str) -> list[Link]:
    navs = soup.find_all(lambda t: t.name == "nav" or _attr(t, "role").lower() == "navigation")
    if not navs:
        navs = soup.find_all(lambda t: t.name == "header" or _attr(t, "role").lower() == "banner")
    anchors = (a for nav in navs for a in nav.find_all("a", href=True))
    return _links(anchors, page_host, MAX_NAVIGATION)


def _image(img: Tag) -> Image:
    return Image(src=_attr(img, "src"), alt=_squash(_attr(img, "alt")),
                 width=_int(_attr(img, "width")), height=_int(_attr(img, "height")))


def _images(soup: BeautifulSoup, backgrounds: dict[int, list[str]]) -> list[Image]:
    found: dict[str, Image] = {}
    for tag in soup.find_all(lambda t: t.name == "img" or id(t) in backgrounds):
        if tag.name == "img" and _attr(tag, "src") not in found:
            found[_attr(tag, "src")] = _image(tag)
        for src in backgrounds.get(id(tag), ()):
            found.setdefault(src, Image(src=src))
        if len(found) >= MAX_IMAGES:
            break
    return list(found.values())[:MAX_IMAGES]


def _background_images(soup: BeautifulSoup, base: str, sheets: Sequence[tuple[str, str]]
                       ) -> dict[int, list[str]]:
    """Background images of elements, by ``id()`` of their tag: hero pictures are often
    these. ``sheets`` are stylesheets and the URL their ``url()``s resolve against; the
    elements a rule styles are found with soupsieve."""
    found: dict[int, list[str]] = {}

    def add(tag: Tag, href: str, against: str) -> None:
        resolved = absolute_url(href, against, web_only=True)
        if resolved and resolved not in found.setdefault(id(tag), []):
            found[id(tag)].append(resolved)

    rules = 0
    for css, sheet_url in sheets:
        for rule in style_rules(css):
            if not isinstance(rule, StyleRule) or _PSEUDO_ELEMENT.search(rule.selector):
                continue
            urls = [token.value for declaration in rule.declarations
                    if declaration.lower_name in ("background", "background-image")
                    for token in declaration.value if isinstance(token, URLToken)]
            urls += [argument.value for declaration in rule.declarations
                     if declaration.lower_name in ("background", "background-image")
                     for token in declaration.value
                     if isinstance(token, FunctionBlock) and token.lower_name == "url"
                     for argument in token.arguments if isinstance(argument, StringToken)]
            if not urls:
                continue
            rules += 1
            if rules > MAX_BACKGROUND_RULES:
                return found
            try:
                tags = soup.select(rule.selector, limit=5)
            except (SelectorSyntaxError, NotImplementedError):
                continue  # a selector soupsieve cannot read (vendor pseudo-classes...)
            for tag in tags:
                for href in urls:
                    add(tag, href, sheet_url)
    for tag in soup.find_all(style=_BACKGROUND_URL):
        for match in _BACKGROUND_URL.finditer(_attr(tag, "style")):
            add(tag, match.group(1), base)
    return found


def _label(soup: BeautifulSoup, field: Tag) -> str:
    ident = _attr(field, "id")
    if ident:
        label = soup.find("label", attrs={"for": ident})
        if isinstance(label, Tag) and _squash(label.get_text(" ")):
            return _squash(label.get_text(" "))
    wrapping = field.find_parent("label")
    if isinstance(wrapping, Tag):
        # The label's own words, not the options of a select inside it.
        words = [s for s in wrapping.find_all(string=True)
                 if not s.find_parent(["select", "textarea", "option"])]
        text = _squash(" ".join(words))
        if text:
            return text
    for name in ("aria-label", "placeholder", "title"):
        if _attr(field, name).strip():
            return _squash(_attr(field, name))
    # Old pages write the label as text just before the field ("Name: <input>").
    before = field.previous_sibling
    if isinstance(before, NavigableString) and type(before) is NavigableString:
        text = _squash(before).rstrip(":").strip()
        if 0 < len(text) <= 60:
            return text
    return ""


_NOT_FIELDS = frozenset({"hidden", "submit", "button", "image", "reset"})


def _forms(soup: BeautifulSoup, page_url: str) -> list[Form]:
    forms = []
    for form in soup.find_all("form")[:MAX_FORMS]:
        action = absolute_url(_attr(form, "action"), page_url, web_only=True) or page_url
        if not _attr(form, "action").strip():
            action = page_url
        method: Literal["get", "post"] = \
            "post" if _attr(form, "method").strip().lower() == "post" else "get"
        fields: list[FormField] = []
        submit: str | None = None
        for item in form.find_all(["input", "select", "textarea", "button"]):
            kind = item.name if item.name in ("select", "textarea") else \
                (_attr(item, "type").strip().lower() or ("submit" if item.name == "button"
                                                        else "text"))
            if kind in ("submit", "image") or (item.name == "button" and kind == "submit"):
                submit = submit or _squash(item.get_text(" ") or _attr(item, "value")) or None
                continue
            if kind in _NOT_FIELDS or len(fields) >= MAX_FIELDS:
                continue
            options: list[str] = []
            if item.name == "select":
                for option in item.find_all("option"):
                    text = _squash(option.get_text(" "))
                    if text and option.get("value") != "" and len(options) < MAX_OPTIONS:
                        options.append(text)
            fields.append(FormField(
                name=_attr(item, "name"), type=kind, label=_label(soup, item),
                required=item.has_attr("required") or _attr(item, "aria-required") == "true",
                options=options))
        forms.append(Form(action=action, method=method, fields=fields, submit=submit))
    return forms


# markdownify recurses once per level of nesting; below this depth an element becomes its text.
MAX_MARKDOWN_DEPTH = 100


def _flatten_deep(root: Tag) -> None:
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_MARKDOWN_DEPTH:
            text = node.get_text("\n")
            node.clear()
            node.append(text)
            continue
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tag))


def _markdown(soup: BeautifulSoup) -> str:
    """The page's main content as markdown: ``<main>`` when it says so, else the body
    without its header, navigation, footer and asides."""
    main = soup.find("main") or soup.find(None, {"role": "main"})
    if not isinstance(main, Tag):
        main = soup.body or soup
        for tag in main.find_all(["header", "nav", "footer", "aside"]):
            tag.decompose()
    for form in main.find_all(["form", "select", "textarea", "button", "input"]):
        form.decompose()
    # A table laid out as the page (blocks in its cells) reads as its blocks, not as a table.
    for table in main.find_all("table"):
        if table.find(["p", "ul", "ol", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6"]):
            for part in [table, *table.find_all(["thead", "tbody", "tfoot", "tr", "td", "th",
                                                 "caption"])]:
                part.name = "div"
    _flatten_deep(main)
    converter = MarkdownConverter(heading_style="ATX", bullets="-", table_infer_header=True)
    markdown = converter.convert_soup(main)
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    if len(markdown) > MAX_MARKDOWN:
        cut = markdown.rfind("\n", 0, MAX_MARKDOWN - 1)
        markdown = markdown[: cut if cut > MAX_MARKDOWN // 2 else MAX_MARKDOWN - 1] + "\n…"
    return markdown


def extract_page(html: str, url: str, css: Sequence[str] = (), *,
                 css_urls: Sequence[str] = (), requested_url: str | None = None
                 ) -> ScrapedPage:
    """Read a fetched page: ``url`` is where its HTML came from (after redirects), ``css``
    the text of the stylesheets it links (see :func:`stylesheet_urls`), ``css_urls`` where
    each came from (their background images are read only when given), ``requested_url``
    what was asked for when it differs."""
    soup = parse_html(html)
    base = document_base(soup, url)
    brand = brand_of(soup, base, url, css)
    page_host = _host(url)
    sheets = [*zip(css, css_urls, strict=False),
              *((style.get_text(), base) for style in soup.find_all("style"))]

    title_tag = soup.find("title")
    title = _squash(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    description = _meta(soup, "description", "og:description", "twitter:description")
    title = title or _meta(soup, "og:title", "twitter:title")
    language = _language(soup)
    _clean(soup, base)
    # After the cleaning, so that every tag it keys is still in the tree.
    backgrounds = _background_images(soup, base, sheets)
    if not title:
        h1 = soup.find("h1")
        title = _squash(h1.get_text(" ")) if isinstance(h1, Tag) else ""

    body = soup.body or soup
    page = ScrapedPage(
        url=requested_url or url,
        final_url=url,
        title=clip(title, MAX_SHORT),
        description=description,
        language=language,
        headings=_headings(soup),
        sections=_sections(body, page_host, backgrounds),
        navigation=_navigation(soup, page_host),
        links=_links(soup.find_all(["a", "area"], href=True), page_host, MAX_LINKS),
        images=_images(soup, backgrounds),
        forms=_forms(soup, url),
        brand=brand,
        provider="local",
    )
    # Last, as it takes the page apart.
    page.markdown = _markdown(soup)
    return page


def stylesheet_urls(html: str, url: str) -> list[str]:
    """The stylesheets a page links (``<link rel=stylesheet>``, ``@import`` in its
    ``<style>``), absolute, in document order; print and alternate sheets left out."""
    soup = parse_html(html)
    base = document_base(soup, url)
    found: list[str] = []
    for tag in soup.find_all(["link", "style"]):
        if tag.name == "link":
            rel = {r.lower() for r in _attr(tag, "rel").split()}
            media = _attr(tag, "media").strip().lower()
            if "stylesheet" not in rel or "alternate" in rel or media == "print":
                continue
            candidates: Iterable[str] = [_attr(tag, "href")]
        else:
            candidates = stylesheet_imports(tag.get_text(), base)
        for candidate in candidates:
            resolved = absolute_url(candidate, base, web_only=True)
            if resolved and resolved not in found:
                found.append(resolved)
            if len(found) >= MAX_STYLESHEETS:
                return found
    return found


def stylesheet_imports(css: str, url: str) -> list[str]:
    """The ``@import`` URLs of a stylesheet fetched from ``url``, absolute, in order."""
    found: list[str] = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if not isinstance(rule, AtRule):
            continue
        if rule.lower_at_keyword != "import":
            # @import must come first; anything else ends them.
            if rule.lower_at_keyword != "charset":
                break
            continue
        target = next(iter(_import_targets(rule.prelude)), None)
        resolved = absolute_url(target, url, web_only=True) if target else None
        if resolved and resolved not in found:
            found.append(resolved)
        if len(found) >= MAX_STYLESHEETS:
            break
    return found


def _import_targets(prelude: Iterable[object]) -> Iterator[str]:
    for token in prelude:
        if isinstance(token, URLToken | StringToken):
            yield token.value
        elif isinstance(token, FunctionBlock) and token.lower_name == "url":
            for argument in token.arguments:
                if isinstance(argument, StringToken):
                    yield argument.value


def same_site_links(page: ScrapedPage, limit: int = MAX_CRAWL) -> list[str]:
    """Pages of the same site worth reading next: its navigation first, then its other
    internal links; no fragments, no files, not the page itself."""
    own = {urldefrag(page.url)[0], urldefrag(page.final_url)[0]}
    host = _host(page.final_url)
    found: list[str] = []
    for link in [*page.navigation, *page.links]:
        href = urldefrag(link.href)[0]
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or _host(href) != host:
            continue
        if href in own or href in found or _ASSET.search(parts.path):
            continue
        found.append(href)
        if len(found) >= limit:
            break
    return found
