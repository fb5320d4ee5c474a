"""Writing a :class:`SitePlan` as files: styles, the App, and one component per section."""

from __future__ import annotations

import re
import textwrap

from generator.offline.icons import icon_module
from generator.offline.jsx import js, js_const, jsx_text, render
from generator.offline.palette import Theme
from generator.offline.prompt import SitePlan
from generator.offline.sections import (
    COMPONENT,
    GENERIC_FAQ,
    GENERIC_GALLERY,
    GENERIC_MENU,
    GENERIC_PRODUCTS,
    GENERIC_QUOTES,
    GENERIC_SCHEDULE,
    GENERIC_STEPS,
    GENERIC_TEAM,
    GENERIC_TIERS,
    HEADS,
    NAV_LABEL,
)

_ICON_IMPORT = 'import Icon from "./Icon.jsx";'


def _fill(text: str, plan: SitePlan, *, keep_title: bool = False) -> str:
    text = text.replace("{subject}", plan.subject)
    return text if keep_title else text.replace("{title}", plan.title)


def _initials(name: str) -> str:
    # Titles and articles ("Dr.", "The") are not part of anyone's initials.
    words = [w for w in name.replace(".", " ").split() if w not in {"Dr", "The", "A", "An"}]
    letters = [w[0] for w in words if w[:1].isalpha() and w[0].isupper()]
    return "".join(letters[:2]) or name[:1].upper()


class Writer:
    """Renders one :class:`SitePlan` into files."""

    def __init__(self, plan: SitePlan) -> None:
        self.plan = plan
        self.topic = plan.topic
        self.t = Theme(plan.palette)

    # helpers ------------------------------------------------------------------------------

    def text(self, value: str, *, title_prop: bool = False) -> str:
        """Copy as JSX text; with ``title_prop`` the name comes from the component's prop."""
        return jsx_text(_fill(value, self.plan, keep_title=title_prop))

    def value(self, value: str) -> str:
        """Copy for a JS string: both placeholders filled in."""
        return _fill(value, self.plan)

    def nav_label(self, kind: str) -> str:
        return self.topic.nav.get(kind, NAV_LABEL[kind])

    def head(self, kind: str) -> tuple[str, str]:
        if kind in self.topic.heads:
            return self.topic.heads[kind]
        if kind == "features":
            return self.topic.features_title, self.topic.features_intro
        return HEADS[kind]

    def section_head(self, kind: str) -> str:
        """The centred eyebrow, heading and intro that open a section."""
        title, intro = self.head(kind)
        return render(
            """
            <div className="mx-auto max-w-2xl text-center">
              <p className="text-sm font-semibold tracking-wide uppercase $accent">$eyebrow</p>
              <h2 id="$kind-title" className="mt-2 text-3xl font-bold tracking-tight text-balance sm:text-4xl">
                $title
              </h2>
              <p className="mt-4 text-lg $muted">$intro</p>
            </div>
            """,  # noqa: E501
            accent=self.t.accent,
            eyebrow=jsx_text(self.nav_label(kind)),
            kind=kind,
            title=self.text(title),
            muted=self.t.muted,
            intro=self.text(intro),
        )

    def section(self, kind: str, index: int, body: str, *, head: bool = True) -> str:
        """Wrap a section body in the shared frame (id, heading, alternating background)."""
        inner = (self.section_head(kind) if head else "") + body
        return render(
            """
            <section id="$kind" aria-labelledby="$kind-title" className="$bg py-20 sm:py-28">
              <div className="mx-auto max-w-6xl px-4 sm:px-6 lg:px-8">
            $inner
              </div>
            </section>
            """,
            kind=kind,
            bg=self.t.surfaces[index % 2],
            inner=textwrap.indent(inner.rstrip("\n"), " " * 4),
        )

    def component(self, name: str, consts: str, jsx: str, *, props: str = "",
                  imports: str = "", before_return: str = "") -> str:
        """A component module: imports, data constants, then the function returning ``jsx``."""
        parts = []
        if imports:
            parts.append(imports.rstrip("\n") + "\n")
        if consts:
            parts.append(consts.rstrip("\n") + "\n")
        signature = f"export default function {name}({props})"
        body = textwrap.indent(jsx.rstrip("\n"), " " * 4)
        setup = textwrap.indent(before_return.rstrip("\n"), "  ") + "\n\n" if before_return else ""
        parts.append(f"{signature} {{\n{setup}  return (\n{body}\n  );\n}}\n")
        return "\n".join(parts)

    # files --------------------------------------------------------------------------------

    def files(self) -> list[tuple[str, str]]:
        out = [("src/index.css", self.index_css()), ("src/App.jsx", self.app())]
        out.append(("src/components/Icon.jsx", icon_module(self.icon_names())))
        out.append(("src/components/Header.jsx", self.header()))
        out.append(("src/components/Hero.jsx", self.hero()))
        for i, kind in enumerate(self.plan.sections):
            out.append((f"src/components/{COMPONENT[kind]}.jsx", getattr(self, kind)(i)))
        out.append(("src/components/Contact.jsx", self.contact(len(self.plan.sections))))
        out.append(("src/components/Footer.jsx", self.footer()))
        return out

    def icon_names(self) -> set[str]:
        """The icons the site's components draw: exactly what ``Icon.jsx`` has to hold."""
        topic, sections = self.topic, self.plan.sections
        # The topic's own icon marks the header, hero, contact form and footer.
        names = {topic.icon, "menu", "x", "mail", *(icon for icon, _, _ in topic.details)}
        if "features" in sections:
            names.update(icon for icon, _, _ in topic.features)
        if "products" in sections:
            names.update(icon for icon, _, _ in topic.products or GENERIC_PRODUCTS)
        if "gallery" in sections:
            names.update(icon for icon, _ in topic.gallery or GENERIC_GALLERY)
        if "pricing" in sections:
            names.add("check")
        if "testimonials" in sections:
            names.add("star")
        return names

    def index_css(self) -> str:
        return textwrap.dedent(
            """\
            @import "tailwindcss";

            @layer base {
              /* Anchor links should land below the sticky header, not under it. */
              html {
                scroll-behavior: smooth;
                scroll-padding-top: 5rem;
              }

              @media (prefers-reduced-motion: reduce) {
                html {
                  scroll-behavior: auto;
                }
              }
            }
            """
        )

    def app(self) -> str:
        names = ["Header", "Hero", *(COMPONENT[k] for k in self.plan.sections), "Contact",
                 "Footer"]
        imports = "\n".join(f'import {n} from "./components/{n}.jsx";' for n in names)
        imports = 'import { useEffect } from "react";\n' + imports
        middle = "\n".join(f"    <{COMPONENT[k]} />" for k in self.plan.sections)
        consts = (
            "// The site's name, shown in the header, hero, contact form and footer.\n"
            f"const SITE_TITLE = {js(self.plan.title)};"
        )
        jsx = render(
            """
            <div className="min-h-screen antialiased $page">
              <a
                href="#main"
                className="sr-only focus:not-sr-only focus:fixed focus:top-4 focus:left-4 focus:z-50 focus:rounded-lg focus:px-4 focus:py-2 $skip"
              >
                Skip to content
              </a>
              <Header title={SITE_TITLE} />
              <main id="main">
                <Hero title={SITE_TITLE} />
            $middle
                <Contact title={SITE_TITLE} />
              </main>
              <Footer title={SITE_TITLE} />
            </div>
            """,  # noqa: E501
            page=self.t.page,
            skip=self.t.primary_btn.split(" hover:")[0],
            middle=middle,
        )
        return self.component(
            "App",
            consts,
            jsx,
            imports=imports,
            before_return=(
                "// The template's index.html has a generic title; name the tab after the site.\n"
                "useEffect(() => {\n  document.title = SITE_TITLE;\n}, []);"
            ),
        )

    def links(self) -> list[dict[str, object]]:
        kinds = [k for k in self.plan.sections if k not in ("faq",)][:4]
        return [{"href": f"#{k}", "label": self.nav_label(k)} for k in kinds]

    def header(self) -> str:
        t = self.t
        jsx = render(
            """
            <header className="sticky top-0 z-40 border-b backdrop-blur $header">
              <nav aria-label="Main" className="mx-auto flex max-w-6xl items-center justify-between gap-6 px-4 py-3 sm:px-6 lg:px-8">
                <a href="#top" className="flex items-center gap-3 text-lg font-bold tracking-tight">
                  <span aria-hidden="true" className="grid h-9 w-9 place-items-center rounded-xl $logo">
                    <Icon name="$icon" className="h-5 w-5" />
                  </span>
                  {title}
                </a>
                <ul className="hidden items-center gap-8 md:flex">
                  {LINKS.map((link) => (
                    <li key={link.href}>
                      <a href={link.href} className="text-sm font-medium transition $nav_link">
                        {link.label}
                      </a>
                    </li>
                  ))}
                </ul>
                <a
                  href="#$cta_target"
                  className="hidden rounded-full px-5 py-2 text-sm font-semibold shadow-sm transition focus-visible:outline-2 focus-visible:outline-offset-2 md:inline-flex $primary"
                >
                  $cta
                </a>
                <button
                  type="button"
                  className="grid h-10 w-10 cursor-pointer place-items-center rounded-lg md:hidden $mobile_link"
                  aria-expanded={open}
                  aria-controls="mobile-menu"
                  onClick={() => setOpen((value) => !value)}
                >
                  <span className="sr-only">{open ? "Close menu" : "Open menu"}</span>
                  <Icon name={open ? "x" : "menu"} className="h-6 w-6" />
                </button>
              </nav>
              {open && (
                <div id="mobile-menu" className="border-t md:hidden $border">
                  <ul className="space-y-1 px-4 py-4">
                    {LINKS.map((link) => (
                      <li key={link.href}>
                        <a
                          href={link.href}
                          onClick={() => setOpen(false)}
                          className="block rounded-lg px-3 py-2 font-medium $mobile_link"
                        >
                          {link.label}
                        </a>
                      </li>
                    ))}
                    <li className="pt-2">
                      <a
                        href="#$cta_target"
                        onClick={() => setOpen(false)}
                        className="block rounded-lg px-3 py-2 text-center font-semibold $primary"
                      >
                        $cta
                      </a>
                    </li>
                  </ul>
                </div>
              )}
            </header>
            """,  # noqa: E501
            header=t.header,
            logo=t.logo,
            icon=self.topic.icon,
            nav_link=t.nav_link,
            primary=t.primary_btn,
            cta=jsx_text(self.topic.cta),
            cta_target=self.cta_target,
            mobile_link=t.mobile_link,
            border=t.border,
        )
        return self.component(
            "Header",
            js_const("LINKS", self.links()),
            jsx,
            props="{ title }",
            imports=f'import {{ useState }} from "react";\n{_ICON_IMPORT}',
            before_return="const [open, setOpen] = useState(false);",
        )

    @property
    def cta_target(self) -> str:
        target = self.topic.cta_target
        return target if target in self.plan.sections else "contact"

    @property
    def secondary(self) -> tuple[str, str]:
        """Where the hero's second button goes, and its label."""
        target = self.topic.secondary_target
        if target in self.plan.sections and target != self.cta_target:
            return target, self.topic.secondary
        others = [k for k in self.plan.sections if k != self.cta_target]
        return (others[0] if others else "contact"), "Learn more"

    def hero(self) -> str:
        t, topic = self.t, self.topic
        (badge_value, badge_label), *stats = topic.stats
        jsx = render(
            """
            <section id="top" className="relative overflow-hidden $hero">
              <div className="mx-auto grid max-w-6xl items-center gap-16 px-4 pt-16 pb-24 sm:px-6 md:grid-cols-2 md:pt-24 lg:px-8">
                <div>
                  <p className="inline-flex items-center gap-2 rounded-full px-4 py-1.5 text-sm font-medium $badge">
                    <Icon name="$icon" className="h-4 w-4" />
                    $eyebrow
                  </p>
                  <h1 className="mt-6 text-4xl font-extrabold tracking-tight text-balance sm:text-5xl lg:text-6xl">
                    $headline
                  </h1>
                  <p className="mt-6 max-w-xl text-lg leading-8 $muted">
                    $intro
                  </p>
                  <div className="mt-10 flex flex-wrap gap-4">
                    <a
                      href="#$cta_target"
                      className="rounded-full px-6 py-3 font-semibold shadow-lg transition focus-visible:outline-2 focus-visible:outline-offset-2 $primary"
                    >
                      $cta
                    </a>
                    <a
                      href="#$secondary_target"
                      className="rounded-full px-6 py-3 font-semibold transition $secondary"
                    >
                      $secondary_label
                    </a>
                  </div>
                  <dl className="mt-12 grid max-w-md grid-cols-2 gap-8">
                    {STATS.map((stat) => (
                      <div key={stat.label} className="flex flex-col-reverse">
                        <dt className="text-sm $muted">{stat.label}</dt>
                        <dd className="mt-1 text-2xl font-bold tracking-tight">{stat.value}</dd>
                      </div>
                    ))}
                  </dl>
                </div>
                <div aria-hidden="true" className="relative mx-auto w-full max-w-md">
                  <div className="flex aspect-square flex-col items-center justify-center gap-6 rounded-3xl bg-linear-to-br p-8 text-center shadow-2xl $art">
                    <Icon name="$icon" className="h-24 w-24 sm:h-32 sm:w-32" />
                    <span className="text-2xl font-bold tracking-tight text-balance">{title}</span>
                  </div>
                  <div className="absolute -bottom-6 left-4 rounded-2xl px-5 py-4 shadow-xl sm:-left-8 $card">
                    <p className="text-2xl font-bold tracking-tight">$badge_value</p>
                    <p className="text-sm $muted">$badge_label</p>
                  </div>
                </div>
              </div>
            </section>
            """,  # noqa: E501
            hero=t.hero,
            badge=t.badge,
            icon=topic.icon,
            eyebrow=self.text(topic.eyebrow, title_prop=True),
            headline=self.text(self.plan.headline, title_prop=True),
            muted=t.muted,
            intro=self.text(topic.intro, title_prop=True),
            cta_target=self.cta_target,
            primary=t.primary_btn,
            cta=jsx_text(topic.cta),
            secondary_target=self.secondary[0],
            secondary=t.secondary_btn,
            secondary_label=jsx_text(self.secondary[1]),
            art=t.art,
            card=t.card,
            badge_value=jsx_text(badge_value),
            badge_label=jsx_text(badge_label),
        )
        stats_rows = [{"value": v, "label": label} for v, label in stats]
        return self.component(
            "Hero", js_const("STATS", stats_rows), jsx, props="{ title }", imports=_ICON_IMPORT
        )

    def features(self, index: int) -> str:
        feats = self.topic.features
        cols = "lg:grid-cols-3" if len(feats) % 3 == 0 else "lg:grid-cols-4"
        body = render(
            """
            <div className="mt-14 grid gap-6 sm:grid-cols-2 $cols">
              {FEATURES.map((feature) => (
                <article
                  key={feature.title}
                  className="rounded-2xl p-6 transition duration-200 hover:-translate-y-1 hover:shadow-lg $card"
                >
                  <span aria-hidden="true" className="grid h-12 w-12 place-items-center rounded-xl $icon_box">
                    <Icon name={feature.icon} className="h-6 w-6" />
                  </span>
                  <h3 className="mt-5 text-lg font-semibold">{feature.title}</h3>
                  <p className="mt-2 leading-7 $muted">{feature.text}</p>
                </article>
              ))}
            </div>
            """,  # noqa: E501
            cols=cols,
            card=self.t.card,
            icon_box=self.t.icon_box,
            muted=self.t.muted,
        )
        rows = [{"icon": g, "title": self.value(h), "text": self.value(x)} for g, h, x in feats]
        return self.component(
            "Features",
            js_const("FEATURES", rows),
            self.section("features", index, body),
            imports=_ICON_IMPORT,
        )

    def menu(self, index: int) -> str:
        dishes = self.topic.menu or GENERIC_MENU
        note = self.topic.menu_note or "Ask us about today’s specials and dietary options."
        body = render(
            """
            <ul className="mx-auto mt-14 grid max-w-5xl gap-x-12 gap-y-6 md:grid-cols-2">
              {DISHES.map((dish) => (
                <li key={dish.name} className="border-b border-dashed pb-5 $border">
                  <div className="flex items-baseline justify-between gap-4">
                    <h3 className="font-semibold">{dish.name}</h3>
                    <p className="shrink-0 font-semibold tabular-nums $accent">{dish.price}</p>
                  </div>
                  <p className="mt-1 text-sm $muted">{dish.description}</p>
                </li>
              ))}
            </ul>
            <p className="mt-10 text-center text-sm $muted">$note</p>
            """,
            border=self.t.border,
            accent=self.t.accent,
            muted=self.t.muted,
            note=self.text(note),
        )
        rows = [
            {"name": self.value(n), "description": self.value(d), "price": p}
            for n, d, p in dishes
        ]
        return self.component("Menu", js_const("DISHES", rows), self.section("menu", index, body))

    def products(self, index: int) -> str:
        items = self.topic.products or GENERIC_PRODUCTS
        tones = self.t.tones
        body = render(
            """
            <p aria-live="polite" className="mt-6 text-center text-sm font-medium $accent">
              {bag.length === 0 ? "Your bag is empty." : "Items in your bag: " + bag.length}
            </p>
            <ul className="mt-10 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
              {PRODUCTS.map((product) => (
                <li key={product.name} className="group overflow-hidden rounded-2xl $card">
                  <div
                    role="img"
                    aria-label={product.name}
                    className={"grid aspect-video place-items-center bg-linear-to-br sm:aspect-square " + product.tone}
                  >
                    <Icon
                      name={product.icon}
                      className="h-20 w-20 transition duration-300 group-hover:scale-110"
                    />
                  </div>
                  <div className="flex items-center justify-between gap-4 p-5">
                    <div>
                      <h3 className="font-semibold">{product.name}</h3>
                      <p className="text-sm $muted">{product.price}</p>
                    </div>
                    <button
                      type="button"
                      onClick={() => addToBag(product.name)}
                      className="cursor-pointer rounded-full px-4 py-2 text-sm font-semibold transition $primary"
                    >
                      Add to bag
                    </button>
                  </div>
                </li>
              ))}
            </ul>
            """,  # noqa: E501
            accent=self.t.accent,
            card=self.t.card,
            muted=self.t.muted,
            primary=self.t.primary_btn,
        )
        rows = [
            {"icon": g, "name": self.value(n), "price": p, "tone": tones[i % len(tones)]}
            for i, (g, n, p) in enumerate(items)
        ]
        return self.component(
            "Products",
            js_const("PRODUCTS", rows),
            self.section("products", index, body),
            imports=f'import {{ useState }} from "react";\n{_ICON_IMPORT}',
            before_return=(
                "// The bag lives in this component until the shop has a real checkout.\n"
                "const [bag, setBag] = useState([]);\n\n"
                "function addToBag(name) {\n  setBag((items) => [...items, name]);\n}"
            ),
        )

    def gallery(self, index: int) -> str:
        shots = self.topic.gallery or GENERIC_GALLERY
        tones = self.t.tones
        cols = "lg:grid-cols-4" if len(shots) == 4 else "lg:grid-cols-3"
        body = render(
            """
            <ul className="mt-14 grid gap-6 sm:grid-cols-2 $cols">
              {SHOTS.map((shot) => (
                <li key={shot.caption}>
                  <figure className="group overflow-hidden rounded-2xl $card">
                    <div
                      role="img"
                      aria-label={shot.caption}
                      className={"grid aspect-video place-items-center bg-linear-to-br " + shot.tone}
                    >
                      <Icon
                        name={shot.icon}
                        className="h-16 w-16 transition duration-300 group-hover:scale-110"
                      />
                    </div>
                    <figcaption className="px-5 py-4 text-sm font-medium">{shot.caption}</figcaption>
                  </figure>
                </li>
              ))}
            </ul>
            """,  # noqa: E501
            cols=cols,
            card=self.t.card,
        )
        rows = [
            {"icon": g, "caption": self.value(c), "tone": tones[i % len(tones)]}
            for i, (g, c) in enumerate(shots)
        ]
        return self.component(
            "Gallery",
            js_const("SHOTS", rows),
            self.section("gallery", index, body),
            imports=_ICON_IMPORT,
        )

    def schedule(self, index: int) -> str:
        sessions = self.topic.schedule or GENERIC_SCHEDULE
        action = self.topic.schedule_action if self.topic.schedule else "Book"
        body = render(
            """
            <ol className="mx-auto mt-14 max-w-4xl divide-y overflow-hidden rounded-2xl $divide $card">
              {SESSIONS.map((session) => (
                <li
                  key={session.when + session.name}
                  className="flex flex-col gap-2 p-5 sm:flex-row sm:items-center sm:gap-6"
                >
                  <p className="w-20 shrink-0 font-bold $accent">{session.when}</p>
                  <p className="w-20 shrink-0 text-sm tabular-nums $muted">{session.time}</p>
                  <div className="flex-1">
                    <h3 className="font-semibold">{session.name}</h3>
                    <p className="text-sm $muted">{session.detail}</p>
                  </div>
                  <a
                    href="#contact"
                    aria-label={$action_label + session.name}
                    className="self-start rounded-full px-4 py-2 text-sm font-semibold transition sm:self-center $secondary"
                  >
                    $action
                  </a>
                </li>
              ))}
            </ol>
            """,  # noqa: E501
            divide=self.t.divide,
            card=self.t.card,
            accent=self.t.accent,
            muted=self.t.muted,
            action=jsx_text(action),
            action_label=js(f"{action}: "),
            secondary=self.t.secondary_btn,
        )
        rows = [
            {"when": w, "time": tm, "name": self.value(n), "detail": self.value(d)}
            for w, tm, n, d in sessions
        ]
        return self.component(
            "Schedule", js_const("SESSIONS", rows), self.section("schedule", index, body)
        )

    def process(self, index: int) -> str:
        steps = self.topic.steps or GENERIC_STEPS
        cols = "lg:grid-cols-3" if len(steps) == 3 else "lg:grid-cols-4"
        body = render(
            """
            <ol className="mt-14 grid gap-6 sm:grid-cols-2 $cols">
              {STEPS.map((step, index) => (
                <li key={step.title} className="rounded-2xl p-6 $card">
                  <span aria-hidden="true" className="grid h-10 w-10 place-items-center rounded-full font-bold $logo">
                    {index + 1}
                  </span>
                  <h3 className="mt-5 text-lg font-semibold">{step.title}</h3>
                  <p className="mt-2 leading-7 $muted">{step.text}</p>
                </li>
              ))}
            </ol>
            """,  # noqa: E501
            cols=cols,
            card=self.t.card,
            logo=self.t.logo,
            muted=self.t.muted,
        )
        rows = [{"title": self.value(h), "text": self.value(x)} for h, x in steps]
        return self.component(
            "Process", js_const("STEPS", rows), self.section("process", index, body)
        )

    def pricing(self, index: int) -> str:
        tiers = self.topic.tiers or GENERIC_TIERS
        t = self.t
        body = render(
            """
            <div className="mx-auto mt-14 grid max-w-5xl gap-6 lg:grid-cols-3">
              {TIERS.map((tier) => (
                <article
                  key={tier.name}
                  className={"relative flex flex-col rounded-3xl p-8 " + (tier.featured ? "$featured" : "$card")}
                >
                  {tier.featured && (
                    <p className="absolute -top-3 left-8 rounded-full px-3 py-1 text-xs font-semibold $logo">
                      Most popular
                    </p>
                  )}
                  <h3 className="text-lg font-semibold">{tier.name}</h3>
                  <p className="mt-2 text-sm $muted">{tier.blurb}</p>
                  <p className="mt-6 flex items-baseline gap-1">
                    <span className="text-4xl font-bold tracking-tight">{tier.price}</span>
                    <span className="text-sm $muted">{tier.period}</span>
                  </p>
                  <ul className="mt-8 flex-1 space-y-3 text-sm">
                    {tier.features.map((feature) => (
                      <li key={feature} className="flex gap-3">
                        <Icon name="check" className="mt-0.5 h-4 w-4 shrink-0 $accent" />
                        {feature}
                      </li>
                    ))}
                  </ul>
                  <a
                    href="#contact"
                    className={"mt-8 rounded-full px-5 py-3 text-center font-semibold transition " + (tier.featured ? "$primary" : "$secondary")}
                  >
                    $cta
                  </a>
                </article>
              ))}
            </div>
            """,  # noqa: E501
            featured=t.featured,
            card=t.card,
            logo=t.logo,
            muted=t.muted,
            accent=t.accent,
            primary=t.primary_btn,
            secondary=t.secondary_btn,
            cta=jsx_text(self.topic.cta if self.cta_target == "contact" else "Get started"),
        )
        rows = [
            {
                "name": self.value(tier.name),
                "price": tier.price,
                "period": tier.period,
                "blurb": self.value(tier.blurb),
                "features": [self.value(f) for f in tier.features],
                "featured": tier.featured,
            }
            for tier in tiers
        ]
        return self.component(
            "Pricing",
            js_const("TIERS", rows),
            self.section("pricing", index, body),
            imports=_ICON_IMPORT,
        )

    def team(self, index: int) -> str:
        people = self.topic.team or GENERIC_TEAM
        body = render(
            """
            <ul className="mt-14 grid gap-6 sm:grid-cols-2 lg:grid-cols-3">
              {PEOPLE.map((person) => (
                <li key={person.name} className="rounded-2xl p-8 text-center $card">
                  <span
                    aria-hidden="true"
                    className="mx-auto grid h-20 w-20 place-items-center rounded-full text-2xl font-bold $icon_box"
                  >
                    {person.initials}
                  </span>
                  <h3 className="mt-5 text-lg font-semibold">{person.name}</h3>
                  <p className="text-sm font-medium $accent">{person.role}</p>
                  <p className="mt-3 text-sm leading-6 $muted">{person.bio}</p>
                </li>
              ))}
            </ul>
            """,  # noqa: E501
            card=self.t.card,
            icon_box=self.t.icon_box,
            accent=self.t.accent,
            muted=self.t.muted,
        )
        rows = [
            {"name": n, "initials": _initials(n), "role": r, "bio": self.value(b)}
            for n, r, b in people
        ]
        return self.component(
            "Team", js_const("PEOPLE", rows), self.section("team", index, body)
        )

    def testimonials(self, index: int) -> str:
        quotes = self.topic.quotes or GENERIC_QUOTES
        body = render(
            """
            <div className="mt-14 grid gap-6 md:grid-cols-3">
              {QUOTES.map((item) => (
                <figure key={item.name} className="flex flex-col rounded-2xl p-8 $card">
                  <p className="flex gap-1 $accent">
                    <Icon name="star" className="h-5 w-5" filled />
                    <Icon name="star" className="h-5 w-5" filled />
                    <Icon name="star" className="h-5 w-5" filled />
                    <Icon name="star" className="h-5 w-5" filled />
                    <Icon name="star" className="h-5 w-5" filled />
                    <span className="sr-only">Rated 5 out of 5</span>
                  </p>
                  <blockquote className="mt-4 flex-1 leading-7">
                    <p>“{item.quote}”</p>
                  </blockquote>
                  <figcaption className="mt-6 flex items-center gap-3">
                    <span
                      aria-hidden="true"
                      className="grid h-11 w-11 shrink-0 place-items-center rounded-full text-sm font-bold $icon_box"
                    >
                      {item.initials}
                    </span>
                    <span>
                      <span className="block font-semibold">{item.name}</span>
                      <span className="block text-sm $muted">{item.role}</span>
                    </span>
                  </figcaption>
                </figure>
              ))}
            </div>
            """,  # noqa: E501
            card=self.t.card,
            accent=self.t.accent,
            icon_box=self.t.icon_box,
            muted=self.t.muted,
        )
        rows = [
            {"quote": self.value(q), "name": n, "initials": _initials(n), "role": self.value(r)}
            for q, n, r in quotes
        ]
        return self.component(
            "Testimonials",
            js_const("QUOTES", rows),
            self.section("testimonials", index, body),
            imports=_ICON_IMPORT,
        )

    def faq(self, index: int) -> str:
        questions = self.topic.faq or GENERIC_FAQ
        body = render(
            """
            <div className="mx-auto mt-14 max-w-3xl divide-y $divide">
              {QUESTIONS.map((item) => (
                <details key={item.question} className="group py-5">
                  <summary className="flex cursor-pointer list-none items-center justify-between gap-4 text-lg font-semibold">
                    {item.question}
                    <span aria-hidden="true" className="text-2xl transition group-open:rotate-45 $accent">
                      +
                    </span>
                  </summary>
                  <p className="mt-3 leading-7 $muted">{item.answer}</p>
                </details>
              ))}
            </div>
            """,  # noqa: E501
            divide=self.t.divide,
            accent=self.t.accent,
            muted=self.t.muted,
        )
        rows = [{"question": self.value(q), "answer": self.value(a)} for q, a in questions]
        return self.component(
            "Faq", js_const("QUESTIONS", rows), self.section("faq", index, body)
        )

    def contact(self, index: int) -> str:
        t, topic = self.t, self.topic
        slug = re.sub(r"[^a-z0-9]+", "", self.plan.title.lower()) or "hello"
        details = [
            {"icon": "mail", "label": "Email", "value": f"hello@{slug[:40]}.example"},
            *({"icon": g, "label": label, "value": self.value(v)} for g, label, v in
              topic.details),
        ]
        body = render(
            """
            <div className="grid gap-12 lg:grid-cols-2">
              <div>
                <p className="text-sm font-semibold tracking-wide uppercase $accent">Contact</p>
                <h2 id="contact-title" className="mt-2 text-3xl font-bold tracking-tight text-balance sm:text-4xl">
                  $heading
                </h2>
                <p className="mt-4 text-lg $muted">$intro</p>
                <dl className="mt-10 space-y-6">
                  {DETAILS.map((detail) => (
                    <div key={detail.label} className="flex gap-4">
                      <dt className="grid h-12 w-12 shrink-0 place-items-center rounded-xl $icon_box">
                        <Icon name={detail.icon} className="h-6 w-6" />
                        <span className="sr-only">{detail.label}</span>
                      </dt>
                      <dd className="self-center">
                        <span className="block text-sm $muted">{detail.label}</span>
                        <span className="block font-medium">{detail.value}</span>
                      </dd>
                    </div>
                  ))}
                </dl>
              </div>
              <div className="rounded-3xl p-6 shadow-xl sm:p-10 $card">
                {sent ? (
                  <div role="status" className="py-16 text-center">
                    <Icon name="$icon" className="mx-auto h-12 w-12" />
                    <h3 className="mt-6 text-2xl font-semibold">Thank you!</h3>
                    <p className="mt-2 $muted">
                      The {title} team will get back to you soon.
                    </p>
                  </div>
                ) : (
                  <form onSubmit={handleSubmit} className="space-y-6">
                    <div>
                      <label htmlFor="contact-name" className="block text-sm font-medium">
                        Name
                      </label>
                      <input
                        id="contact-name"
                        name="name"
                        type="text"
                        autoComplete="name"
                        required
                        className="mt-2 block w-full rounded-xl px-4 py-3 $input"
                      />
                    </div>
                    <div>
                      <label htmlFor="contact-email" className="block text-sm font-medium">
                        Email
                      </label>
                      <input
                        id="contact-email"
                        name="email"
                        type="email"
                        autoComplete="email"
                        required
                        className="mt-2 block w-full rounded-xl px-4 py-3 $input"
                      />
                    </div>
                    <div>
                      <label htmlFor="contact-message" className="block text-sm font-medium">
                        Message
                      </label>
                      <textarea
                        id="contact-message"
                        name="message"
                        rows={5}
                        required
                        className="mt-2 block w-full rounded-xl px-4 py-3 $input"
                      />
                    </div>
                    <button
                      type="submit"
                      className="w-full cursor-pointer rounded-full px-6 py-3 font-semibold shadow-lg transition focus-visible:outline-2 focus-visible:outline-offset-2 $primary"
                    >
                      $submit
                    </button>
                  </form>
                )}
              </div>
            </div>
            """,  # noqa: E501
            accent=t.accent,
            heading=self.text(topic.contact_title, title_prop=True),
            muted=t.muted,
            intro=self.text(topic.contact_intro, title_prop=True),
            icon_box=t.icon_box,
            card=t.card,
            icon=topic.icon,
            input=t.input,
            primary=t.primary_btn,
            submit="Send message",
        )
        return self.component(
            "Contact",
            js_const("DETAILS", details),
            self.section("contact", index, body, head=False),
            props="{ title }",
            imports=f'import {{ useState }} from "react";\n{_ICON_IMPORT}',
            before_return=(
                "const [sent, setSent] = useState(false);\n\n"
                "function handleSubmit(event) {\n"
                "  event.preventDefault();\n"
                "  // Nothing is sent yet: connect this to a form or email service.\n"
                "  setSent(true);\n"
                "}"
            ),
        )

    def footer(self) -> str:
        t = self.t
        links: list[dict[str, object]] = [*self.links(), {"href": "#contact", "label": "Contact"}]
        jsx = render(
            """
            <footer className="$footer">
              <div className="mx-auto max-w-6xl px-4 py-14 sm:px-6 lg:px-8">
                <div className="flex flex-col gap-10 md:flex-row md:items-start md:justify-between">
                  <div className="max-w-sm">
                    <a href="#top" className="flex items-center gap-2 text-lg font-bold $title_class">
                      <Icon name="$icon" className="h-6 w-6" />
                      {title}
                    </a>
                    <p className="mt-3 text-sm leading-6">$blurb</p>
                  </div>
                  <nav aria-label="Footer">
                    <ul className="grid grid-cols-2 gap-x-12 gap-y-3 text-sm sm:grid-cols-3">
                      {LINKS.map((link) => (
                        <li key={link.href}>
                          <a href={link.href} className="transition $link">
                            {link.label}
                          </a>
                        </li>
                      ))}
                    </ul>
                  </nav>
                </div>
                <p className="mt-12 border-t pt-6 text-xs $border">
                  © {year} {title}. All rights reserved.
                </p>
              </div>
            </footer>
            """,  # noqa: E501
            footer=t.footer,
            title_class=t.footer_title,
            icon=self.topic.icon,
            blurb=self.text(self.topic.footer, title_prop=True),
            link=t.footer_link,
            border=t.footer_border,
        )
        return self.component(
            "Footer",
            js_const("LINKS", links),
            jsx,
            props="{ title }",
            imports=_ICON_IMPORT,
            before_return="const year = new Date().getFullYear();",
        )
