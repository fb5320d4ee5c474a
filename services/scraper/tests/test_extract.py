"""The built-in scraper's reading of pages: a small coffee-roastery site on disk (as fetched,
stylesheets found through the page's own links), a messy old page with unclosed tags, and
generated pages that try the caps."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paynto_common.messages import Brand, ScrapedPage
from paynto_common.messages.scrape import (
    MAX_IMAGES,
    MAX_LINKS,
    MAX_LOGO,
    MAX_MARKDOWN,
    MAX_NAVIGATION,
    MAX_SECTION_TEXT,
    MAX_SECTIONS,
    MAX_SHORT,
)
from scraper.extract import extract_page, same_site_links, stylesheet_imports, stylesheet_urls

SITES = Path(__file__).parent / "sites"
ROASTERY = SITES / "roastery"
ORIGIN = "https://emberandoak.example"


def fetch(url: str) -> str | None:
    """The roastery site as a server would answer, from disk (no network in these tests)."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    path = ROASTERY / parts.path.lstrip("/")
    return path.read_text() if path.is_file() else None


def scrape(name: str, url: str | None = None) -> ScrapedPage:
    """A page of the site read the way the service reads it: the page, then its stylesheets
    (and theirs), then the extraction."""
    url = url or f"{ORIGIN}/{name}"
    html = (ROASTERY / name).read_text()
    sheets: list[str] = []
    urls: list[str] = []
    queue = stylesheet_urls(html, url)
    while queue:
        sheet_url = queue.pop(0)
        css = fetch(sheet_url)
        if css is not None and sheet_url not in urls:
            urls.append(sheet_url)
            sheets.append(css)
            queue.extend(stylesheet_imports(css, sheet_url))
    return extract_page(html, url, sheets, css_urls=urls)


@pytest.fixture(scope="module")
def home() -> ScrapedPage:
    return scrape("index.html", f"{ORIGIN}/")


def test_title_description_and_language_with_entities_decoded(home: ScrapedPage) -> None:
    assert home.title == "Ember & Oak Coffee Roasters — Small-batch coffee from Bristol"
    assert home.description == (
        "Small-batch specialty coffee, roasted every Tuesday in our Bristol roastery & café.")
    assert home.language == "en-GB"
    assert (home.url, home.final_url, home.provider) == (f"{ORIGIN}/", f"{ORIGIN}/", "local")


def test_the_requested_url_is_kept_beside_the_final_one() -> None:
    html = (ROASTERY / "contact.html").read_text()
    page = extract_page(html, f"{ORIGIN}/contact.html", requested_url="http://emberandoak.example/c")
    assert (page.url, page.final_url) == ("http://emberandoak.example/c", f"{ORIGIN}/contact.html")


def test_headings_in_document_order(home: ScrapedPage) -> None:
    assert [(h.level, h.text) for h in home.headings] == [
        (1, "Roasted slowly. Brewed with care."),
        (2, "From farm to cup"),
        (2, "On the bar today"),
        (2, "What our regulars say"),
        (2, "Fresh roast news"),
        (2, "Footer"),
    ]


def test_sections_in_document_order_with_their_text_images_and_links(home: ScrapedPage
                                                                     ) -> None:
    assert [(s.tag, s.id, s.heading) for s in home.sections] == [
        ("div", None, None),  # the announcement bar, between landmarks
        ("header", None, None),
        ("section", "top", "Roasted slowly. Brewed with care."),
        ("section", "story", "From farm to cup"),
        ("section", "menu", "On the bar today"),
        ("section", "reviews", "What our regulars say"),
        ("section", "newsletter", "Fresh roast news"),
        ("footer", None, "Footer"),
    ]
    bar, header, hero, story, menu, reviews, _, footer = home.sections
    assert bar.text == "Free UK delivery on orders over £30 – this week only!"
    assert [i.src for i in header.images] == [f"{ORIGIN}/img/logo.svg"]
    # The hero's picture is a CSS background of the page's <style>.
    assert [i.src for i in hero.images] == [f"{ORIGIN}/img/hero-beans.svg"]
    assert [(link.href, link.text) for link in hero.links] == [
        (f"{ORIGIN}/shop/", "Shop our coffee"), (f"{ORIGIN}/#story", "Our story")]
    assert story.text.splitlines() == [
        "Ember & Oak began in 2014 with a second-hand roaster in a railway arch.",
        "Today we roast about two tonnes a month — still by hand, still by ear.",
        "Every lot is cupped three times before it reaches the shelf.",
        "Meet our growers",
    ]
    assert [(i.src, i.alt, i.width, i.height) for i in story.images] == [
        (f"{ORIGIN}/img/roaster.svg", "Our 15 kg drum roaster", 640, 420)]
    assert menu.text.splitlines()[:4] == [
        "Espresso £2.60", "Flat white £3.40", "Batch brew (Yirgacheffe) £3.00",
        "Cardamom bun £3.20"]
    assert "“The best flat white in Bristol, and they remember your name.”" in reviews.text
    assert "— Tom, Bath" in reviews.text
    assert [i.src for i in reviews.images] == ["https://cdn.example.org/photos/cafe-interior.svg"]
    assert [link.href for link in footer.links] == [
        f"{ORIGIN}/about/", f"{ORIGIN}/wholesale/", "mailto:hello@emberandoak.example",
        "tel:+441170000000", "https://instagram.example.com/emberandoak"]
    # The heading is the section's, not repeated in its text.
    assert "From farm to cup" not in story.text


def test_navigation_is_the_nav_links_and_script_links_are_dropped(home: ScrapedPage) -> None:
    assert [(link.href, link.text) for link in home.navigation] == [
        (f"{ORIGIN}/", "Home"),
        (f"{ORIGIN}/menu.html", "Menu"),
        (f"{ORIGIN}/shop/", "Shop beans"),
        (f"{ORIGIN}/contact.html", "Visit us"),
    ]


def test_links_are_absolute_deduplicated_and_flagged_internal(home: ScrapedPage) -> None:
    hrefs = [link.href for link in home.links]
    assert len(hrefs) == len(set(hrefs))
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:"))]
    assert "mailto:hello@emberandoak.example" in hrefs and "tel:+441170000000" in hrefs
    internal = {link.href: link.internal for link in home.links}
    assert internal[f"{ORIGIN}/about/growers"] is True
    assert internal["https://instagram.example.com/emberandoak"] is False
    assert internal["mailto:hello@emberandoak.example"] is False
    # The logo link has no words of its own: its aria-label names it.
    assert home.links[0].text == "Ember & Oak home"


def test_no_script_noscript_or_style_content_reaches_the_page(home: ScrapedPage) -> None:
    everything = home.model_dump_json()
    for leaked in ("SECRET_TRACKING_CODE", "dataLayer", "NOSCRIPT_FALLBACK_TEXT",
                   "background-color", "openCart", "alert("):
        assert leaked not in everything


def test_images_absolute_with_their_sizes(home: ScrapedPage) -> None:
    assert [(i.src, i.width, i.height) for i in home.images] == [
        (f"{ORIGIN}/img/logo.svg", 160, 48),
        (f"{ORIGIN}/img/hero-beans.svg", None, None),
        (f"{ORIGIN}/img/roaster.svg", 640, 420),
        ("https://cdn.example.org/photos/cafe-interior.svg", None, None),
    ]


def test_a_newsletter_form_with_a_labelled_required_field(home: ScrapedPage) -> None:
    [form] = home.forms
    assert (form.action, form.method, form.submit) == (f"{ORIGIN}/subscribe", "post",
                                                       "Subscribe")
    # The hidden CSRF field is not a field anyone fills.
    assert [(f.name, f.type, f.label, f.required) for f in form.fields] == [
        ("email", "email", "Email address", True)]


def test_a_contact_form_with_every_kind_of_label() -> None:
    [form] = scrape("contact.html").forms
    assert (form.action, form.method, form.submit) == (
        "https://forms.example.net/f/ember", "post", "Send message")
    assert [(f.name, f.type, f.label, f.required) for f in form.fields] == [
        ("name", "text", "Your name", True),              # <label for>
        ("email", "email", "Email", True),                # wrapping <label>
        ("topic", "select", "Topic", False),
        ("message", "textarea", "Message", False),        # aria-label
        ("phone", "tel", "Phone (optional)", False),      # placeholder
        ("newsletter", "checkbox", "Send me the monthly newsletter", False),
    ]
    assert form.fields[2].options == ["Wholesale", "Events & hire", "Something else"]


def test_base_href_resolves_links_images_and_stylesheets() -> None:
    page = scrape("menu.html")
    cafe = f"{ORIGIN}/cafe/"
    assert [link.href for link in page.navigation] == [
        f"{ORIGIN}/", f"{cafe}menu.html", f"{ORIGIN}/contact.html"]
    # Lazy images give their real source; a srcset its largest candidate.
    assert [(i.src, i.alt) for i in page.images] == [
        (f"{cafe}img/v60-large.svg", "A V60 pour-over"),
        (f"{cafe}img/bun-800.svg", "Cardamom buns"),
    ]
    html = (ROASTERY / "menu.html").read_text()
    assert stylesheet_urls(html, f"{ORIGIN}/menu.html") == [
        f"{ORIGIN}/css/site.css", f"{cafe}css/menu.css"]
    assert page.brand.favicon == f"{ORIGIN}/favicon.ico"


def test_main_content_outside_its_sections_is_a_section_of_its_own() -> None:
    page = scrape("menu.html")
    assert [(s.tag, s.heading) for s in page.sections] == [
        ("header", None), ("main", "Café menu"), ("section", "Coffee"), ("section", "Bakes"),
        ("footer", None)]
    coffee = page.sections[2]
    assert coffee.text.splitlines()[:2] == ["Espresso", "£2.60 — a rotating single origin"]


def test_stylesheets_in_order_without_print_ones_and_with_imports() -> None:
    html = (ROASTERY / "index.html").read_text()
    assert stylesheet_urls(html, f"{ORIGIN}/") == [f"{ORIGIN}/css/site.css"]
    css = (ROASTERY / "css" / "site.css").read_text()
    assert stylesheet_imports(css, f"{ORIGIN}/css/site.css") == [f"{ORIGIN}/css/fonts.css"]
    inline = ('<html><head><style>@import "a.css"; @import url(/b.css) screen; p{}</style>'
              '<link rel="alternate stylesheet" href="alt.css"><link rel=stylesheet href=c.css>'
              '<link rel=stylesheet href="javascript:x"></head></html>')
    assert stylesheet_urls(inline, "https://s.example/x/") == [
        "https://s.example/x/a.css", "https://s.example/b.css", "https://s.example/x/c.css"]


def test_markdown_is_the_main_content(home: ScrapedPage) -> None:
    markdown = home.markdown
    assert markdown.startswith("# Roasted slowly. Brewed with care.")
    assert "## From farm to cup" in markdown
    assert "- Flat white £3.40" in markdown
    assert f"![Our 15 kg drum roaster]({ORIGIN}/img/roaster.svg)" in markdown
    assert f"[Shop our coffee]({ORIGIN}/shop/)" in markdown
    # Navigation and footer are not main content.
    assert "Shop beans" not in markdown and "Wholesale" not in markdown


def test_same_site_links_to_crawl_next(home: ScrapedPage) -> None:
    assert same_site_links(home) == [
        f"{ORIGIN}/menu.html", f"{ORIGIN}/shop/", f"{ORIGIN}/contact.html",
        f"{ORIGIN}/about/growers", f"{ORIGIN}/about/", f"{ORIGIN}/wholesale/"]
    assert same_site_links(home, limit=2) == [f"{ORIGIN}/menu.html", f"{ORIGIN}/shop/"]
    page = extract_page('<a href="/report.pdf">pdf</a><a href="/a#x">a</a><a href="/a#y">a</a>'
                        '<a href="http://www.e.example/b">b</a><a href="/#top">top</a>',
                        "https://e.example/")
    assert same_site_links(page) == ["https://e.example/a", "http://www.e.example/b"]


def test_a_messy_page_with_unclosed_tags() -> None:
    html = (SITES / "messy.html").read_text(encoding="latin-1")
    page = extract_page(html, "http://joes.example/diner/index.html")
    assert page.title == "Joe's Diner & Grill"
    assert page.description == "Joe's Diner & Grill - serving since 1987"
    assert page.language is None
    # No landmarks: the page is cut at its headings.
    assert [s.heading for s in page.sections] == [None, "Our history", "Find us"]
    first, history, find_us = page.sections
    assert "Meatloaf Monday – $8.99\nTaco Tuesday\nFish Fry Friday" in first.text
    assert history.text == "Joe opened the diner in 1987. It has been family run ever since."
    assert "INJECTED_BY_SCRIPT" not in page.model_dump_json()
    assert [link.href for link in page.links] == [
        "tel:555-0199", "http://joes.example/diner/directions.html",
        "http://joes.example/diner/index.html#top", "http://partner.example.net/coupon"]
    assert [(i.src, i.width, i.height) for i in find_us.images] == [
        ("http://joes.example/images/map.gif", 200, None)]
    [form] = page.forms
    assert (form.action, form.method, form.submit) == (
        "http://joes.example/diner/guestbook.cgi", "get", "Sign the guestbook")
    assert [(f.name, f.type, f.label) for f in form.fields] == [
        ("name", "text", "Name"), ("comment", "textarea", "Comment")]
    assert page.brand.logo == "http://joes.example/diner/images/joes_logo.gif"
    assert page.brand.color("primary") == "#cc0000"
    assert page.brand.color("background") == "#ffffcc"


def test_hidden_elements_and_hidden_fields_are_left_out() -> None:
    page = extract_page(
        '<body><p hidden>HIDDEN_ATTR</p><div style="display: none">HIDDEN_STYLE</div>'
        '<p>Shown</p><form><input type=hidden name=t><input name=q></form></body>',
        "https://e.example/")
    assert [s.text for s in page.sections] == ["Shown"]
    assert [f.name for f in page.forms[0].fields] == ["q"]


def test_urls_of_every_shape() -> None:
    page = extract_page(
        '<a href="  /a  ">a</a><a href="b?q=1#f">b</a><a href="//cdn.example/c">c</a>'
        '<a href="java&#10;script:alert(1)">x</a><a href="vbscript:x">x</a>'
        '<a href="data:text/html,hi">x</a><a href="ftp://f.example/">x</a>'
        '<a href="http://[::1">x</a><a href="https://h.example:99999/">x</a>'
        '<a href="#top">top</a><a href="?page=2">next</a><a href="MAILTO:x@e.example">m</a>',
        "https://e.example/dir/page.html?old=1")
    assert [link.href for link in page.links] == [
        "https://e.example/a", "https://e.example/dir/b?q=1#f", "https://cdn.example/c",
        "https://e.example/dir/page.html?old=1#top", "https://e.example/dir/page.html?page=2",
        "MAILTO:x@e.example"]


def test_pages_without_sections_are_cut_at_their_headings() -> None:
    page = extract_page(
        "<body><div class=wrap><h1>Title</h1><p>Intro</p><h2>One</h2><p>First"
        "<img src=one.png alt=1></p><h3>Sub</h3><p>Deeper</p><h2>Two</h2>"
        "<p>Second <a href=/two>more</a></p></div></body>", "https://e.example/")
    assert [(s.heading, s.text) for s in page.sections] == [
        ("Title", "Intro"), ("One", "First"), ("Sub", "Deeper"), ("Two", "Second more")]
    assert [i.src for i in page.sections[1].images] == ["https://e.example/one.png"]
    assert [link.href for link in page.sections[3].links] == ["https://e.example/two"]


def test_caps_hold_on_a_huge_page() -> None:
    items = "".join(f'<li><a href="/p/{i}">Page {i}</a><img src="/i/{i}.png" alt="{i}"></li>'
                    for i in range(5000))
    sections = "".join(f"<section><h2>Part {i}</h2><p>{'word ' * 2000}</p></section>"
                       for i in range(100))
    headings = "".join(f"<h3>Heading {i}</h3>" for i in range(500))
    html = (f"<html><head><title>{'T' * 5000}</title></head><body><nav><ul>{items}</ul></nav>"
            f"{sections}{headings}<main>{'<p>paragraph</p>' * 20000}</main></body></html>")
    page = extract_page(html, "https://big.example/")
    assert len(page.links) == MAX_LINKS and len(page.navigation) == MAX_NAVIGATION
    assert len(page.images) == MAX_IMAGES and len(page.sections) == MAX_SECTIONS
    assert len(page.title) == MAX_SHORT and page.title.endswith("…")
    assert len(page.markdown) <= MAX_MARKDOWN
    assert max(len(s.text) for s in page.sections) <= MAX_SECTION_TEXT
    assert max(len(s.links) for s in page.sections) <= 20
    assert len(page.model_dump_json()) < 250_000


def test_the_model_itself_cuts_what_any_provider_sends() -> None:
    page = ScrapedPage.model_validate({
        "url": "https://e.example/", "final_url": "https://e.example/", "title": "x" * 10_000,
        "links": [{"href": f"https://e.example/{i}"} for i in range(5000)],
        "sections": [{"text": "y" * 100_000}], "markdown": "z" * 1_000_000,
    })
    assert len(page.title) == MAX_SHORT and len(page.links) == MAX_LINKS
    assert len(page.sections[0].text) == MAX_SECTION_TEXT
    assert len(page.markdown) == MAX_MARKDOWN
    assert ScrapedPage.model_validate_json(page.model_dump_json()) == page
    assert json.loads(page.model_dump_json())["provider"] == "local"


def test_pages_nested_deeper_than_any_stack_are_read() -> None:
    html = "<body>" + "<div>" * 5000 + 'deep <a href="/d">link</a>' + "</div>" * 5000
    page = extract_page(html, "https://e.example/")
    assert [(s.text, [link.href for link in s.links]) for s in page.sections] == [
        ("deep link", ["https://e.example/d"])]
    assert page.markdown == "deep\nlink"


@pytest.mark.parametrize(("html", "title", "text"), [
    ("", "", []),
    ("just words", "", ["just words"]),
    ('<?xml version="1.0"?><rss><channel><title>Feed</title></channel></rss>', "Feed",
     ["Feed"]),
    ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
     "<head><title>XHTML</title></head><body><p>Body</p></body></html>", "XHTML", ["Body"]),
    ("<frameset><frame src=a.html></frameset>", "", []),
])
def test_odd_documents_give_what_they_have(html: str, title: str, text: list[str]) -> None:
    page = extract_page(html, "https://e.example/")
    assert page.title == title
    assert [s.text for s in page.sections] == text


def test_a_logo_too_long_to_carry_is_left_out_not_cut() -> None:
    assert Brand(logo="data:image/svg+xml;base64," + "A" * MAX_LOGO).logo is None
    assert Brand(logo="https://e.example/logo.png").logo == "https://e.example/logo.png"
