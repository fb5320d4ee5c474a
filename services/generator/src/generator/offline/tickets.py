"""Plan tickets without a model: the offline generator's site cut into a build plan, and the
files of each ticket written by the offline generator itself."""

from __future__ import annotations

from typing import Any

from generator.offline.answer import site_files
from generator.offline.prompt import SitePlan, plan_site
from generator.offline.sections import COMPONENT
from generator.offline.writer import Writer
from generator.planning import DATA_MODE, PlanSpec, TicketSpec

_SHELL_FILES = (
    "src/index.css", "src/App.jsx", "src/components/Icon.jsx", "src/components/Header.jsx",
    "src/components/Footer.jsx",
)
_KIND_OF = {name: kind for kind, name in COMPONENT.items()}
# Sections with more moving parts than a heading and a grid of cards.
_LARGER = frozenset({"hero", "contact", "products", "schedule", "pricing"})


def offline_plan(prompt: str) -> PlanSpec:
    """The offline generator's site for ``prompt`` cut into tickets; deterministic, no model.

    T1 sets up the shell (styles, App, icons, header, footer); every other component the offline
    generator writes gets a ticket of its own that depends on T1 only. Together the tickets
    name exactly the files the offline generator writes.
    """
    plan = plan_site(prompt)
    writer = Writer(plan)
    palette = plan.palette
    blueprint: dict[str, Any] = {
        "title": plan.title,
        "summary": f"A one-page {plan.topic.label} website for {plan.title}.",
        "theme": {
            "primary": palette.primary,
            "neutral": palette.neutral,
            "mode": "dark" if palette.dark else "light",
        },
        "routes": ["/"],
        "navigation": [str(link["label"]) for link in writer.links()],
        "entities": [],
        "data_mode": DATA_MODE,
    }
    tickets = [
        TicketSpec(
            key="T1",
            title="Page shell and theme",
            type="setup",
            priority="high",
            complexity="M",
            depends_on=[],
            acceptance=(
                f"src/index.css imports Tailwind; App.jsx renders the header, every section "
                f"and the footer in order on a {palette.primary}/{palette.neutral} "
                f"{'dark' if palette.dark else 'light'} page; the header links to the sections "
                "and collapses into a menu on small screens; Icon.jsx draws the site's icons as "
                "inline SVG."
            ),
            files=list(_SHELL_FILES),
            description=(
                f"Global styles, the App layout, icons, header and footer for {plan.title}."
            ),
        )
    ]
    for path, _ in writer.files():
        if path in _SHELL_FILES:
            continue
        name = path.rsplit("/", 1)[-1].removesuffix(".jsx")
        kind = _KIND_OF.get(name, name.lower())
        tickets.append(
            TicketSpec(
                key=f"T{len(tickets) + 1}",
                title=f"{'FAQ' if kind == 'faq' else kind.capitalize()} section",
                type="component",
                priority="high" if kind == "hero" else "medium",
                complexity="M" if kind in _LARGER else "S",
                depends_on=["T1"],
                acceptance=(
                    f"{path} default-exports {name}, which App.jsx renders; the section has "
                    f'id "{"top" if kind == "hero" else kind}", is built mobile first and uses '
                    "the site's palette."
                ),
                files=[path],
                description=_section_brief(writer, plan, kind),
            )
        )
    return PlanSpec(blueprint=blueprint, tickets=tickets)


def _section_brief(writer: Writer, plan: SitePlan, kind: str) -> str:
    if kind == "hero":
        return f"The opening section: “{plan.headline}” with the main call to action."
    if kind == "contact":
        return f"“{writer.value(plan.topic.contact_title)}”: contact details and a message form."
    title, intro = writer.head(kind)
    return f"“{writer.value(title)}”: {writer.value(intro)}"


def offline_ticket_files(prompt: str, paths: list[str]) -> dict[str, str]:
    """The offline generator's contents for exactly ``paths``, in that order.

    Raises KeyError naming the first path the offline generator does not write.
    """
    written = site_files(prompt)
    out: dict[str, str] = {}
    for path in paths:
        if path not in written:
            raise KeyError(path)
        out[path] = written[path]
    return out
