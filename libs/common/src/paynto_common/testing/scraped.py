"""A realistic scraped site for tests of cloning: a coffee roastery's home page and its menu
page, as the scraper would hand them on (sections in document order, navigation, images, a
form, a brand palette), built by hand so that no test needs the scraper package."""

from __future__ import annotations

from paynto_common.messages.scrape import (
    Brand,
    BrandColor,
    Form,
    FormField,
    Heading,
    Image,
    Link,
    ScrapedPage,
    Section,
)

__all__ = ["ROASTERY", "roastery_pages"]

ROASTERY = "https://roastery.example"

def _navigation() -> list[Link]:
    return [
        Link(href=f"{ROASTERY}/", text="Home", internal=True),
        Link(href=f"{ROASTERY}/menu.html", text="Menu", internal=True),
        Link(href=f"{ROASTERY}/#beans", text="Our beans", internal=True),
        Link(href=f"{ROASTERY}/#visit", text="Visit", internal=True),
        Link(href="https://shop.roastery.example/", text="Shop", internal=False),
    ]

def _brand() -> Brand:
    return Brand(
        colors=[
            BrandColor(hex="#fdf6ec", role="background", weight=0.46),
            BrandColor(hex="#2b1d14", role="text", weight=0.22),
            BrandColor(hex="#6b3e26", role="primary", weight=0.17),
            BrandColor(hex="#e0a458", role="accent", weight=0.09),
            BrandColor(hex="#8c9a7b", role="other", weight=0.06),
        ],
        fonts=["Playfair Display", "Inter", "sans-serif"],
        logo=f"{ROASTERY}/img/logo.svg",
        favicon=f"{ROASTERY}/favicon.ico",
        theme_color="#6b3e26",
    )


def _footer() -> Section:
    return Section(
        tag="footer",
        text="The Roastery, 12 Mill Lane, Leeds\n© 2026 The Roastery Ltd.",
        links=[
            Link(href="https://instagram.com/theroastery", text="Instagram"),
            Link(href="mailto:hello@roastery.example", text="hello@roastery.example"),
        ],
    )


def _home() -> ScrapedPage:
    url = f"{ROASTERY}/"
    return ScrapedPage(
        url=url,
        final_url=url,
        title="The Roastery",
        description="Small-batch coffee roasted every Thursday in Leeds.",
        language="en",
        markdown=(
            "# Coffee roasted on Thursdays\n\n"
            "We roast small batches of single-origin beans and sell them the same week.\n\n"
            "## Our beans\n\nEthiopia Guji: bergamot, peach, black tea.\n"
            "Colombia Huila: caramel, red apple.\n\n"
            "## Visit the roastery\n\n12 Mill Lane, Leeds LS1 4AB\n"
        ),
        headings=[
            Heading(level=1, text="Coffee roasted on Thursdays"),
            Heading(level=2, text="Our beans"),
            Heading(level=2, text="Visit the roastery"),
        ],
        sections=[
            Section(tag="header", links=_navigation(),
                    text="Home\nMenu\nOur beans\nVisit\nShop",
                    images=[Image(src=f"{ROASTERY}/img/logo.svg", alt="The Roastery")]),
            Section(
                tag="section", id="top", heading="Coffee roasted on Thursdays",
                text=("We roast small batches of single-origin beans and sell them the same "
                      "week.\nOpen Tuesday to Sunday, 8am to 4pm."),
                images=[Image(src=f"{ROASTERY}/img/roaster.jpg",
                              alt="Our drum roaster mid-roast", width=1200, height=800)],
                links=[Link(href=f"{ROASTERY}/menu.html", text="See the menu", internal=True)],
            ),
            Section(
                tag="section", id="beans", heading="Our beans",
                text=("Ethiopia Guji: bergamot, peach, black tea.\n"
                      "Colombia Huila: caramel, red apple.\n"
                      "Brazil Cerrado: hazelnut, milk chocolate."),
                images=[
                    Image(src=f"{ROASTERY}/img/guji.jpg", alt="A bag of Ethiopia Guji",
                          width=600, height=600),
                    Image(src=f"{ROASTERY}/img/huila.jpg", alt="A bag of Colombia Huila",
                          width=600, height=600),
                ],
                links=[Link(href="https://shop.roastery.example/beans", text="Buy beans")],
            ),
            Section(
                tag="section", id="visit", heading="Visit the roastery",
                text="12 Mill Lane, Leeds LS1 4AB\nTuesday to Sunday, 8am to 4pm",
                links=[Link(href="tel:+441130000000", text="Call us")],
            ),
            _footer(),
        ],
        navigation=_navigation(),
        links=[*_navigation(), Link(href="tel:+441130000000", text="Call us")],
        images=[Image(src=f"{ROASTERY}/img/roaster.jpg", alt="Our drum roaster mid-roast",
                      width=1200, height=800)],
        forms=[Form(
            action=f"{ROASTERY}/subscribe", method="post",
            fields=[
                FormField(name="email", type="email", label="Email address", required=True),
                FormField(name="brew", type="select", label="How do you brew?",
                          options=["Espresso", "Filter", "French press"]),
            ],
            submit="Subscribe",
        )],
        brand=_brand(),
    )


def _menu() -> ScrapedPage:
    url = f"{ROASTERY}/menu.html"
    return ScrapedPage(
        url=url,
        final_url=url,
        title="Menu | The Roastery",
        description="What we pour at the roastery bar.",
        language="en",
        markdown="# Menu\n\n## Espresso bar\n\nEspresso £2.40\nFlat white £3.20\n",
        headings=[
            Heading(level=1, text="Menu"),
            Heading(level=2, text="Espresso bar"),
            Heading(level=2, text="Pastries"),
        ],
        sections=[
            Section(tag="header", links=_navigation(), text="Home\nMenu\nOur beans\nVisit\nShop"),
            Section(tag="section", id="menu", heading="Menu",
                    text="Everything is made with this week's roast."),
            Section(tag="section", id="espresso", heading="Espresso bar",
                    text="Espresso £2.40\nFlat white £3.20\nOat milk at no extra cost"),
            Section(tag="section", id="pastries", heading="Pastries",
                    text="Cardamom bun £3.00\nAlmond croissant £3.40",
                    images=[Image(src=f"{ROASTERY}/img/buns.jpg", alt="Cardamom buns",
                                  width=800, height=533)],
                    links=[Link(href=f"{ROASTERY}/#visit", text="Find us", internal=True)]),
            _footer(),
        ],
        navigation=_navigation(),
        links=_navigation(),
        images=[Image(src=f"{ROASTERY}/img/buns.jpg", alt="Cardamom buns", width=800,
                      height=533)],
        brand=_brand(),
    )


def roastery_pages() -> list[ScrapedPage]:
    """The roastery's home page (the one asked for) and its menu page: new objects on every
    call, so a test may change them."""
    return [_home(), _menu()]
