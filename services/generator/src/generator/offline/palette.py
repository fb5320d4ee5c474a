"""Palettes: a Tailwind hue and a grey family, and the literal class strings a site's
components use for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    """A Tailwind hue for accents, a grey family for surfaces and text, and light or dark."""

    primary: str
    neutral: str
    dark: bool = False


class Theme:
    """Literal class strings for a palette.

    Tailwind finds classes by scanning source text, so classes must appear whole in the emitted
    files; they are assembled here, in Python, never by string building in the JSX.
    """

    def __init__(self, palette: Palette) -> None:
        p, n = palette.primary, palette.neutral
        self.palette = palette
        if not palette.dark:
            self.page = f"bg-{n}-50 text-{n}-900"
            self.header = f"border-{n}-200/80 bg-{n}-50/85"
            self.muted = f"text-{n}-600"
            self.accent = f"text-{p}-700"
            self.surfaces = ("bg-white", f"bg-{n}-100/60")
            self.card = f"bg-white ring-1 ring-{n}-200"
            self.featured = f"bg-{p}-50 ring-2 ring-{p}-500"
            self.primary_btn = (
                f"bg-{p}-600 text-white hover:bg-{p}-700 focus-visible:outline-{p}-600"
            )
            self.secondary_btn = f"bg-white text-{n}-900 ring-1 ring-{n}-300 hover:bg-{n}-100"
            self.badge = f"bg-{p}-100 text-{p}-800"
            self.logo = f"bg-{p}-600 text-white"
            self.icon_box = f"bg-{p}-100 text-{p}-700"
            self.hero = f"bg-linear-to-b from-{p}-50 to-{n}-50"
            self.art = f"from-{p}-200 via-{p}-100 to-{n}-100"
            self.nav_link = f"text-{n}-700 hover:text-{p}-700"
            self.mobile_link = f"text-{n}-800 hover:bg-{n}-100"
            self.divide = f"divide-{n}-200"
            self.border = f"border-{n}-200"
            self.input = (
                f"bg-white text-{n}-900 ring-1 ring-{n}-300 placeholder:text-{n}-400 "
                f"focus:ring-2 focus:ring-{p}-500 focus:outline-none"
            )
            self.footer = f"bg-{n}-900 text-{n}-300"
            self.footer_title = "text-white"
            self.footer_link = "hover:text-white"
            self.footer_border = f"border-{n}-800"
            self.tones = (
                f"from-{p}-100 to-{p}-300",
                f"from-{n}-100 to-{n}-300",
                f"from-{p}-200 to-{n}-200",
                f"from-{p}-300 to-{p}-500",
                f"from-{n}-200 to-{p}-200",
                f"from-{p}-50 to-{p}-200",
            )
        else:
            self.page = f"bg-{n}-950 text-{n}-100"
            self.header = f"border-{n}-800/80 bg-{n}-950/85"
            self.muted = f"text-{n}-400"
            self.accent = f"text-{p}-400"
            self.surfaces = (f"bg-{n}-950", f"bg-{n}-900/40")
            self.card = f"bg-{n}-900 ring-1 ring-{n}-800"
            self.featured = f"bg-{n}-900 ring-2 ring-{p}-400"
            self.primary_btn = (
                f"bg-{p}-400 text-{n}-950 hover:bg-{p}-300 focus-visible:outline-{p}-400"
            )
            self.secondary_btn = f"bg-{n}-900 text-{n}-100 ring-1 ring-{n}-700 hover:bg-{n}-800"
            self.badge = f"bg-{p}-400/10 text-{p}-300 ring-1 ring-{p}-400/30"
            self.logo = f"bg-{p}-400 text-{n}-950"
            self.icon_box = f"bg-{p}-400/10 text-{p}-300"
            self.hero = f"bg-linear-to-b from-{n}-900 to-{n}-950"
            self.art = f"from-{p}-400/40 via-{n}-800 to-{n}-900"
            self.nav_link = f"text-{n}-300 hover:text-{p}-300"
            self.mobile_link = f"text-{n}-200 hover:bg-{n}-900"
            self.divide = f"divide-{n}-800"
            self.border = f"border-{n}-800"
            self.input = (
                f"bg-{n}-950 text-{n}-100 ring-1 ring-{n}-700 placeholder:text-{n}-500 "
                f"focus:ring-2 focus:ring-{p}-400 focus:outline-none"
            )
            self.footer = f"border-t border-{n}-800 bg-{n}-950 text-{n}-400"
            self.footer_title = f"text-{n}-100"
            self.footer_link = f"hover:text-{p}-300"
            self.footer_border = f"border-{n}-800"
            self.tones = (
                f"from-{p}-500/30 to-{n}-900",
                f"from-{n}-700 to-{n}-900",
                f"from-{p}-400/20 to-{n}-800",
                f"from-{n}-800 to-{p}-500/30",
                f"from-{p}-600/30 to-{n}-950",
                f"from-{n}-700 to-{p}-400/20",
            )
