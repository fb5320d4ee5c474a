"""A scraped web page, as the scraper hands it on: to a clone's generation prompt, to the
studio (title, palette, screenshot) and to a batch's report.

Every string and list here is bounded *by the model itself*: whichever provider builds a
:class:`ScrapedPage` (the built-in extractor, Firecrawl's answer, a peer on the bus), text past
its cap is cut and lists keep their first items, so a huge or hostile page cannot blow up a bus
message or a prompt. Cutting instead of rejecting is deliberate: a page is still worth cloning
when its 5,000th link is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# Caps, by what they bound. The extractor reads them too, so it stops collecting early.
MAX_URL = 2048
MAX_SHORT = 300         # a title, a heading, a link's text, an alt text, a label
MAX_DESCRIPTION = 1000
MAX_SECTION_TEXT = 1500
MAX_MARKDOWN = 20_000
MAX_HEADINGS = 80
MAX_SECTIONS = 40
MAX_SECTION_ITEMS = 20  # images, and links, of one section
MAX_NAVIGATION = 40
MAX_LINKS = 200
MAX_IMAGES = 60
MAX_FORMS = 5
MAX_FIELDS = 25
MAX_OPTIONS = 20
MAX_COLORS = 12
MAX_FONTS = 8
# A logo may be an inline <svg> carried as a data: URL; past this it is left out.
MAX_LOGO = 16_384


def screenshot_path(scrape_id: str) -> str:
    """Where the gateway serves a stored scrape's screenshot (to the scrape's user only)."""
    return f"/api/scrapes/{scrape_id}/screenshot.png"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clipped(limit: int) -> Callable[[Any], Any]:
    def cut(value: Any) -> Any:
        return clip(value, limit) if isinstance(value, str) else value
    return cut


def _unless_longer(limit: int) -> Callable[[Any], Any]:
    def drop(value: Any) -> Any:
        return None if isinstance(value, str) and len(value) > limit else value
    return drop


def _first(limit: int) -> Callable[[Any], Any]:
    def cut(value: Any) -> Any:
        return list(value)[:limit] if isinstance(value, list | tuple) else value
    return cut


Url = Annotated[str, BeforeValidator(_clipped(MAX_URL))]
Short = Annotated[str, BeforeValidator(_clipped(MAX_SHORT))]
Role = Literal["primary", "accent", "background", "text", "other"]


def _bounded(limit: int) -> Any:
    """A list field that keeps its first ``limit`` items (use as ``Annotated[list[X], ...]``)."""
    return BeforeValidator(_first(limit))


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Heading(_Part):
    level: int = Field(ge=1, le=6)
    text: Short


class Link(_Part):
    """A link, its ``href`` absolute (``mailto:`` and ``tel:`` kept, script URLs never)."""

    href: Url
    text: Short = ""
    # Same site as the page (its host, with or without ``www.``).
    internal: bool = False


class Image(_Part):
    src: Url
    alt: Short = ""
    width: int | None = None
    height: int | None = None


class Section(_Part):
    """One block of the page in document order: a landmark (header, nav, section, article,
    footer...) or, on pages without them, the stretch from one heading to the next."""

    tag: str = "div"
    # The element's id, which in-page links (``#menu``) point at.
    id: Short | None = None
    heading: Short | None = None
    # Plain text, one line per paragraph or list item, the heading left out.
    text: Annotated[str, BeforeValidator(_clipped(MAX_SECTION_TEXT))] = ""
    images: Annotated[list[Image], _bounded(MAX_SECTION_ITEMS)] = Field(default_factory=list)
    links: Annotated[list[Link], _bounded(MAX_SECTION_ITEMS)] = Field(default_factory=list)


class FormField(_Part):
    name: Short = ""
    # The input's type, or "select" / "textarea".
    type: Short = "text"
    label: Short = ""
    required: bool = False
    options: Annotated[list[Short], _bounded(MAX_OPTIONS)] = Field(default_factory=list)


class Form(_Part):
    action: Url
    method: Literal["get", "post"] = "get"
    fields: Annotated[list[FormField], _bounded(MAX_FIELDS)] = Field(default_factory=list)
    # What its submit button says.
    submit: Short | None = None


class BrandColor(_Part):
    hex: Annotated[str, Field(pattern=r"^#[0-9a-f]{6}$")]
    role: Role = "other"
    # Its share of the page's colour use (0..1), by how prominently it is used.
    weight: float = 0.0


class Brand(_Part):
    """What a site looks like: colours most prominent first, fonts, logo and favicon."""

    colors: Annotated[list[BrandColor], _bounded(MAX_COLORS)] = Field(default_factory=list)
    fonts: Annotated[list[Short], _bounded(MAX_FONTS)] = Field(default_factory=list)
    # An absolute URL, or an inline SVG logo as a data: URL (left out past MAX_LOGO: a data
    # URL cut short is no image at all).
    logo: Annotated[str | None, BeforeValidator(_unless_longer(MAX_LOGO))] = None
    favicon: Url | None = None
    theme_color: Short | None = None

    def color(self, role: Role) -> str | None:
        """The first colour given ``role``, if any."""
        return next((c.hex for c in self.colors if c.role == role), None)


class ScrapedPage(_Part):
    """A page's content and brand, as any scraping provider reports it."""

    # What was asked for, and where it ended after redirects.
    url: Url
    final_url: Url
    title: Short = ""
    description: Annotated[str, BeforeValidator(_clipped(MAX_DESCRIPTION))] = ""
    language: Short | None = None
    # The main content as markdown (navigation, header and footer left out when the page
    # says which part is main).
    markdown: Annotated[str, BeforeValidator(_clipped(MAX_MARKDOWN))] = ""
    headings: Annotated[list[Heading], _bounded(MAX_HEADINGS)] = Field(default_factory=list)
    sections: Annotated[list[Section], _bounded(MAX_SECTIONS)] = Field(default_factory=list)
    navigation: Annotated[list[Link], _bounded(MAX_NAVIGATION)] = Field(default_factory=list)
    links: Annotated[list[Link], _bounded(MAX_LINKS)] = Field(default_factory=list)
    images: Annotated[list[Image], _bounded(MAX_IMAGES)] = Field(default_factory=list)
    forms: Annotated[list[Form], _bounded(MAX_FORMS)] = Field(default_factory=list)
    brand: Brand = Field(default_factory=Brand)
    # A URL path of the page's screenshot once the service has stored one; otherwise why not.
    screenshot: Url | None = None
    screenshot_note: Short | None = None
    provider: Literal["local", "firecrawl"] = "local"
