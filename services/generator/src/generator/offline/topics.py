"""The built-in offline generator: a rule-based site writer, not AI.

When no model is configured Paynto still has to produce something worth previewing. This module
reads the prompt with plain rules (a keyword table for the topic, a few patterns for the name,
colour words for the palette) and writes a complete Vite + React + Tailwind 4 app: ``index.css``,
``App.jsx`` and every component App imports. It answers in exactly the tagged-file format a
model uses, so the rest of the pipeline cannot tell the difference except by the label.

Everything is deterministic: the same prompt gives byte-identical output. Where there is a
choice between variants, a hash of the prompt decides, never a clock or a random generator.
Only ``react`` is used, so nothing needs installing; icons are Unicode glyphs.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from string import Template

__all__ = ["OfflineGenerator", "Palette", "SitePlan", "plan_site"]


# --- palettes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """A Tailwind hue for accents, a grey family for surfaces and text, and light or dark."""

    primary: str
    neutral: str
    dark: bool = False


class _Theme:
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


# --- topics ------------------------------------------------------------------------------------

Feature = tuple[str, str, str]  # glyph, title, text
Dish = tuple[str, str, str]  # name, description, price
Product = tuple[str, str, str]  # glyph, name, price
Shot = tuple[str, str]  # glyph, caption
Session = tuple[str, str, str, str]  # when, time, name, detail
Step = tuple[str, str]  # title, text
Person = tuple[str, str, str]  # name, role, bio
Quote = tuple[str, str, str]  # quote, name, role
Question = tuple[str, str]  # question, answer
Detail = tuple[str, str, str]  # glyph, label, value


@dataclass(frozen=True)
class Tier:
    """One pricing plan."""

    name: str
    price: str
    period: str
    blurb: str
    features: tuple[str, ...]
    featured: bool = False


@dataclass(frozen=True)
class Topic:
    """What the generator knows about one kind of site: words, palette and sections.

    Copy may use ``{title}`` (the site's name) and ``{subject}`` (what the prompt says the site
    is for). Sections without data of their own fall back to generic copy about the subject.
    """

    key: str
    label: str
    keywords: tuple[str, ...]
    palette: Palette
    glyph: str
    subject: str
    names: tuple[str, ...]
    eyebrow: str
    headlines: tuple[str, ...]
    intro: str
    cta: str
    secondary: str
    stats: tuple[tuple[str, str], ...]
    features_title: str
    features_intro: str
    features: tuple[Feature, ...]
    sections: tuple[str, ...]
    contact_title: str
    contact_intro: str
    footer: str
    weak_keywords: tuple[str, ...] = ()
    cta_target: str = "contact"
    secondary_target: str = "features"
    nav: Mapping[str, str] = field(default_factory=dict)
    heads: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    menu: tuple[Dish, ...] = ()
    menu_note: str = ""
    products: tuple[Product, ...] = ()
    gallery: tuple[Shot, ...] = ()
    schedule: tuple[Session, ...] = ()
    schedule_action: str = "Book"
    tiers: tuple[Tier, ...] = ()
    steps: tuple[Step, ...] = ()
    team: tuple[Person, ...] = ()
    quotes: tuple[Quote, ...] = ()
    faq: tuple[Question, ...] = ()
    details: tuple[Detail, ...] = ()


_TOPICS: tuple[Topic, ...] = (
    Topic(
        key="coffee",
        label="coffee roastery",
        keywords=(
            "coffee", "caf[eé]", "espresso", "roaster", "roastery", "roasting", "barista",
            "latte", "cappuccino", "coffeehouse", "coffee shop",
        ),
        weak_keywords=("tea", "brew"),
        palette=Palette("amber", "stone"),
        glyph="☕",
        subject="coffee roastery",
        names=("Ember & Bean", "Copper Kettle Roasters", "Morning Ritual Coffee"),
        eyebrow="Small-batch coffee, roasted weekly",
        headlines=(
            "Coffee worth getting up for.",
            "Freshly roasted coffee, brewed with care.",
            "Great coffee starts with the roast.",
        ),
        intro=(
            "We source seasonal beans from farms we know by name, roast them in small batches "
            "and brew every cup to order. Drop by for an espresso or take a bag of this week’s "
            "roast home."
        ),
        cta="Visit us",
        secondary="See the menu",
        secondary_target="menu",
        stats=(("12", "single origins"), ("48 h", "from roast to shelf"), ("4.9★", "rating")),
        nav={"features": "Our craft", "gallery": "Roastery"},
        features_title="From green bean to your cup",
        features_intro=(
            "Every step of our coffee is done by hand, in small batches, so each roast tastes "
            "the way it should."
        ),
        features=(
            ("🌱", "Direct trade", "We buy green coffee straight from growers and pay well "
             "above fair-trade prices."),
            ("🔥", "Roasted in small batches", "Our 15 kg drum roaster lets us tune every "
             "profile to the bean, never the other way round."),
            ("☕", "Brewed to order", "Espresso, pour-over or cold brew: every coffee is made "
             "fresh by baristas who care."),
            ("📦", "Beans to go", "Take home whole beans or a fresh grind, sealed the day they "
             "leave the roaster."),
        ),
        sections=("features", "menu", "gallery", "testimonials"),
        heads={
            "menu": ("On the menu", "Coffee, brewed the way you like it."),
            "gallery": ("Inside the roastery", "A look behind the counter and around the "
                        "roaster."),
        },
        menu=(
            ("Espresso", "A double shot of our house blend, chocolatey and bright", "$3.00"),
            ("Flat white", "Silky microfoam over a double ristretto", "$4.20"),
            ("Pour-over", "This week’s single origin, brewed by hand", "$5.00"),
            ("Cold brew", "Steeped for 18 hours, smooth and low in acidity", "$4.50"),
            ("Oat latte", "Espresso with creamy oat milk", "$4.80"),
            ("House beans, 250 g", "Whole bean or ground for your brewer", "$14.00"),
        ),
        menu_note="Oat, soy and almond milk at no extra cost. Ask about this week’s roast.",
        gallery=(
            ("☕", "Morning espresso at the bar"),
            ("🔥", "The roaster at work"),
            ("🫘", "Fresh beans cooling after the roast"),
            ("🥐", "Pastries from the bakery next door"),
            ("🌿", "The green-coffee room"),
            ("🧊", "Cold brew on tap"),
        ),
        quotes=(
            ("The best flat white in town, and the beans I take home were always roasted that "
             "week.", "Maya Lopez", "Regular since 2021"),
            ("You can taste the care in every cup. Their pour-over changed how I drink coffee.",
             "Daniel Kim", "Home brewer"),
            ("Friendly baristas, good music and an espresso that wakes you up properly.",
             "Priya Shah", "Remote worker"),
        ),
        contact_title="Come by for a cup",
        contact_intro=(
            "Questions about our coffee, wholesale or private tastings? Send us a note or "
            "visit the roastery."
        ),
        details=(
            ("📍", "Address", "12 Roaster Lane, Portland"),
            ("🕒", "Opening hours", "Mon–Fri 7:00–17:00 · Sat–Sun 8:00–16:00"),
        ),
        footer="Small-batch coffee, roasted weekly and brewed with care.",
    ),
    Topic(
        key="bakery",
        label="bakery",
        keywords=(
            "bakery", "bakeries", "bakehouse", "pastry", "pastries", "patisserie",
            "boulangerie", "bread", "sourdough", "cake", "cupcake", "donut", "doughnut",
            "croissant", "baker", "macaron",
        ),
        weak_keywords=("dessert", "sweets"),
        palette=Palette("pink", "stone"),
        glyph="🥐",
        subject="neighbourhood bakery",
        names=("Golden Crust Bakery", "Rise & Shine Bakehouse", "Flour & Fern"),
        eyebrow="Baked fresh every morning",
        headlines=(
            "Fresh from our oven since dawn.",
            "Bread, pastries and cakes, baked by hand.",
            "Real bread, honest ingredients.",
        ),
        intro=(
            "Our bakers start before sunrise, so the shelves are full of warm sourdough, flaky "
            "croissants and seasonal cakes by the time you walk in."
        ),
        cta="Order a cake",
        secondary="See today’s bakes",
        secondary_target="menu",
        stats=(("4 am", "ovens on"), ("36 h", "sourdough ferment"), ("20+", "bakes a day")),
        nav={"features": "Our bakery", "menu": "Bakes"},
        features_title="Baked the slow way",
        features_intro="No shortcuts and no additives: flour, water, salt, time and a lot of "
        "butter.",
        features=(
            ("🌾", "Stone-milled flour", "We bake with organic flour from a mill two hours "
             "away."),
            ("⏳", "Long fermentation", "Our sourdough rises for 36 hours for flavour, crust and "
             "easy digestion."),
            ("🎂", "Cakes to order", "Birthdays, weddings or just because: tell us the date and "
             "we’ll bake it."),
            ("♻️", "Nothing wasted", "Day-old loaves go to local food banks every evening."),
        ),
        sections=("features", "menu", "testimonials"),
        heads={"menu": ("Today’s bakes", "What’s on the shelves this morning. Come early for "
                                         "croissants.")},
        menu=(
            ("Country sourdough", "Crackling crust, open crumb, 36-hour ferment", "$7.50"),
            ("Butter croissant", "Laminated over three days with cultured butter", "$3.80"),
            ("Cardamom bun", "Soft dough, brown-sugar and cardamom swirl", "$4.20"),
            ("Seasonal fruit tart", "Almond cream and the best fruit of the market", "$5.50"),
            ("Seeded rye", "Dense, dark and full of seeds", "$8.00"),
            ("Celebration cake", "Serves 12; order 48 hours ahead", "from $45"),
        ),
        menu_note="Vegan and gluten-free bakes every day. Ask us about allergens.",
        quotes=(
            ("Their sourdough has ruined supermarket bread for me forever.", "Hannah Becker",
             "Weekly regular"),
            ("They made our wedding cake and guests are still talking about it.",
             "Luis Ortega", "Newly married"),
            ("The cardamom buns sell out by ten for a reason.", "Tom Harris", "Neighbour"),
        ),
        contact_title="Order ahead or drop in",
        contact_intro=(
            "Custom cakes need 48 hours’ notice. Everything else is first come, first served."
        ),
        details=(
            ("📍", "Address", "8 Mill Street, Bristol"),
            ("🕒", "Opening hours", "Tue–Sun 7:00–15:00"),
        ),
        footer="Bread, pastries and cakes, baked by hand every morning.",
    ),
    Topic(
        key="restaurant",
        label="restaurant",
        keywords=(
            "restaurant", "bistro", "brasserie", "diner", "eatery", "trattoria", "osteria",
            "pizzeria", "pizza", "sushi", "ramen", "taco", "burger", "bbq", "steakhouse",
            "tapas", "food truck", "dining", "chef", "wine bar", "brewery", "gastropub",
            "pub", "catering",
        ),
        weak_keywords=("food", "bar", "kitchen", "dinner", "lunch", "brunch"),
        palette=Palette("red", "neutral"),
        glyph="🍽️",
        subject="restaurant",
        names=("Olive & Ember", "The Long Table", "Saffron Kitchen"),
        eyebrow="Seasonal kitchen · open for dinner",
        headlines=(
            "Seasonal food, made for sharing.",
            "A table worth booking.",
            "Good food, good company, good nights.",
        ),
        intro=(
            "Our chefs cook with what local farms bring in that week: honest plates, "
            "wood-fired flavours and a wine list chosen to match. Book a table and stay a while."
        ),
        cta="Book a table",
        secondary="View the menu",
        secondary_target="menu",
        stats=(("40", "seats"), ("15 km", "to our farthest farm"), ("7", "nights a week")),
        nav={"features": "Our kitchen"},
        features_title="Why guests come back",
        features_intro="A small restaurant with a big respect for ingredients.",
        features=(
            ("🔥", "Wood-fired cooking", "Most of our menu passes over the oak-fired grill."),
            ("🥕", "Local produce", "Vegetables, meat and cheese from farms a short drive "
             "away."),
            ("🍷", "Natural wines", "A short, changing list of low-intervention wines by the "
             "glass."),
            ("🎉", "Private dining", "Book the back room for birthdays, team dinners and "
             "celebrations."),
        ),
        sections=("features", "menu", "testimonials"),
        heads={"menu": ("Tonight’s menu", "The menu changes with the seasons; ask about "
                                          "today’s specials.")},
        menu=(
            ("Burrata", "Heirloom tomatoes, basil oil, grilled bread", "$14"),
            ("Charred octopus", "Smoked paprika, crushed potatoes, lemon", "$19"),
            ("Wood-fired chicken", "Salsa verde, crispy potatoes", "$24"),
            ("Wild mushroom risotto", "Aged parmesan, thyme", "$21"),
            ("Grilled ribeye", "Bone-marrow butter, watercress", "$36"),
            ("Olive-oil cake", "Crème fraîche, seasonal fruit", "$9"),
        ),
        menu_note="Vegetarian and gluten-free options on request. Please tell us about "
        "allergies.",
        quotes=(
            ("Every dish felt thought through, and the staff made us feel like regulars on our "
             "first visit.", "Sofia Marin", "Food writer"),
            ("The wood-fired chicken is the best thing I ate all year.", "James Carter",
             "Local guide"),
            ("We booked the private room for a birthday and it was perfect.", "Aisha Bello",
             "Guest"),
        ),
        contact_title="Reserve your table",
        contact_intro=(
            "Book online or call us. For groups of eight or more, send us a message and we’ll "
            "plan the evening with you."
        ),
        details=(
            ("📍", "Address", "27 Harbour Road, Lisbon"),
            ("🕒", "Opening hours", "Tue–Sun 17:30–23:00"),
        ),
        footer="Seasonal food and natural wine, made for sharing.",
    ),
    Topic(
        key="saas",
        label="software product",
        keywords=(
            "saas", "software", "startup", "start-up", "platform", "dashboard", "api", "crm",
            "analytics", "b2b", "automation", "workflow", "devtools?", "developer tools?",
            "productivity", "subscription", "ai",
        ),
        weak_keywords=("app", "tool", "product", "tech", "cloud", "data"),
        palette=Palette("indigo", "slate"),
        glyph="⚡",
        subject="software platform",
        names=("Flowbase", "Launchpad", "Signalstack"),
        eyebrow="New: automations that run themselves",
        headlines=(
            "Ship more. Stress less.",
            "The simplest way to run your work.",
            "Everything your team needs, in one place.",
        ),
        intro=(
            "{title} brings your data, tasks and teammates into one fast workspace. Set it up in "
            "minutes, automate the busywork and see what matters at a glance."
        ),
        cta="Start free trial",
        secondary="See pricing",
        secondary_target="pricing",
        stats=(("10k+", "teams"), ("99.99%", "uptime"), ("4 min", "average setup")),
        features_title="Built for teams that move fast",
        features_intro="Powerful where it counts, simple everywhere else.",
        features=(
            ("⚡", "Lightning fast", "Every page loads in under 100 ms, even with millions of "
             "records."),
            ("🔄", "Automations", "Trigger workflows from any event and stop copying data by "
             "hand."),
            ("📊", "Live dashboards", "Share real-time metrics with your team and your "
             "customers."),
            ("🔒", "Secure by default", "SSO, audit logs and encryption at rest on every plan."),
            ("🔌", "Integrations", "Connect the tools you already use in one click."),
            ("🤝", "Human support", "Real people answer in minutes, not days."),
        ),
        sections=("features", "process", "pricing", "testimonials", "faq"),
        steps=(
            ("Connect your tools", "Import data from spreadsheets or the apps you already "
             "use."),
            ("Automate the routine", "Pick a template or build your own workflow in a few "
             "clicks."),
            ("Watch it grow", "Dashboards and alerts keep everyone on the same page."),
        ),
        tiers=(
            Tier("Starter", "$0", "/month", "For individuals trying things out.",
                 ("Up to 3 projects", "Basic automations", "Community support")),
            Tier("Team", "$29", "/user/month", "For growing teams that need more.",
                 ("Unlimited projects", "Advanced automations", "Live dashboards",
                  "Priority support"), featured=True),
            Tier("Enterprise", "Custom", "", "For organisations with special needs.",
                 ("SSO and audit logs", "Dedicated success manager", "Custom contract",
                  "99.99% uptime SLA")),
        ),
        quotes=(
            ("We replaced three tools with {title} and weekly reporting went from hours to "
             "minutes.", "Elena Petrova", "Head of Operations, Northwind"),
            ("Setup took one afternoon. The automations paid for the subscription in the first "
             "week.", "Marcus Reid", "Founder, Brightlane"),
            ("Support answered in four minutes. On a Sunday.", "Yuki Tanaka",
             "Engineering Manager, Kite"),
        ),
        faq=(
            ("Is there a free plan?", "Yes. The Starter plan is free forever for up to three "
             "projects."),
            ("Can I cancel at any time?", "Of course. Plans run month to month and you can "
             "export your data whenever you like."),
            ("Is my data secure?", "Data is encrypted in transit and at rest, and we never sell "
             "or share it."),
            ("Do you offer discounts?", "Non-profits and schools get 50% off. Get in touch to "
             "apply."),
        ),
        contact_title="Ready to get started?",
        contact_intro=(
            "Start your free trial today, or tell us about your team and we’ll set up a "
            "personal demo."
        ),
        details=(
            ("💬", "Live chat", "Weekdays 8:00–20:00 CET"),
            ("📍", "Office", "Remote-first, headquartered in Amsterdam"),
        ),
        footer="The simplest way to run your team’s work.",
    ),
    Topic(
        key="portfolio",
        label="portfolio",
        keywords=(
            "portfolio", "designer", "developer", "illustrator", "freelancer", "freelance",
            "resume", "résumé", "cv", "personal website", "personal site", "ux", "ui designer",
            "product designer", "web developer",
        ),
        weak_keywords=("artist", "creative", "personal", "engineer"),
        palette=Palette("violet", "zinc"),
        glyph="✦",
        subject="design portfolio",
        names=("Alex Rivera", "Jordan Lee", "Sam Okafor"),
        eyebrow="Available for new projects",
        headlines=(
            "Design that works as well as it looks.",
            "Thoughtful products, carefully crafted.",
            "Clear ideas, beautifully made.",
        ),
        intro=(
            "I’m a designer and developer helping start-ups and studios turn rough ideas into "
            "clear, usable products, from the first sketch to the shipped interface."
        ),
        cta="Start a project",
        secondary="See my work",
        secondary_target="gallery",
        stats=(("8 yrs", "experience"), ("60+", "projects shipped"), ("25", "happy clients")),
        nav={"gallery": "Work", "features": "Services"},
        features_title="What I do",
        features_intro="End-to-end design for products that need to be useful and lovely.",
        features=(
            ("✏️", "Product design", "Research, flows and polished interfaces for web and "
             "mobile."),
            ("🎨", "Brand identity", "Logos, colour and type systems that feel unmistakably "
             "yours."),
            ("💻", "Front-end development", "Responsive, accessible React sites built to "
             "last."),
            ("🧪", "Prototyping", "Clickable prototypes to test ideas before you build them."),
        ),
        sections=("gallery", "features", "testimonials"),
        heads={"gallery": ("Selected work", "Recent projects across product, brand and web.")},
        gallery=(
            ("📱", "Banking app redesign"),
            ("🛍️", "E-commerce brand refresh"),
            ("📊", "Analytics dashboard"),
            ("🎨", "Illustration series"),
            ("🌐", "Marketing website"),
            ("🧩", "Design system"),
        ),
        quotes=(
            ("A rare designer who also ships the code. Our sign-ups went up 30%.",
             "Lena Fischer", "CEO, Parcel"),
            ("Clear process, great communication and an eye for detail.", "Omar Haddad",
             "Product Lead, Orbit"),
            ("Turned our scattered ideas into a brand we’re proud of.", "Grace Liu",
             "Founder, Bloom"),
        ),
        contact_title="Let’s work together",
        contact_intro=(
            "Have a project in mind? Tell me a little about it and I’ll reply within two "
            "working days."
        ),
        details=(
            ("📍", "Based in", "Berlin, working worldwide"),
            ("🗓️", "Availability", "Booking projects from next month"),
        ),
        footer="Design and development for thoughtful digital products.",
    ),
    Topic(
        key="photography",
        label="photography studio",
        keywords=(
            "photographer", "photography", "photo studio", "videographer", "videography",
            "filmmaker", "cinematographer",
        ),
        weak_keywords=("photos?", "wedding", "camera", "film"),
        palette=Palette("yellow", "neutral", dark=True),
        glyph="📷",
        subject="photography studio",
        names=("Silver Hour Studio", "Northlight Photography", "Frame & Field"),
        eyebrow="Weddings · Portraits · Brands",
        headlines=(
            "Moments worth keeping, beautifully told.",
            "Honest photographs of the moments that matter.",
            "Light, story and a little magic.",
        ),
        intro=(
            "Natural, unposed photography for weddings, families and brands. I work quietly in "
            "the background so you can enjoy the day, and you get photographs that feel just "
            "like it."
        ),
        cta="Check availability",
        secondary="View the portfolio",
        secondary_target="gallery",
        stats=(("300+", "sessions"), ("12", "years behind the lens"), ("2 wks", "delivery")),
        nav={"gallery": "Portfolio", "pricing": "Packages"},
        features_title="How I work",
        features_intro="Relaxed sessions, honest images and a gallery you will actually use.",
        features=(
            ("🌅", "Natural light", "Soft, flattering light and real moments, never stiff "
             "poses."),
            ("🗺️", "On location", "At home, in the mountains or at your venue; I travel "
             "worldwide."),
            ("🖼️", "Heirloom prints", "Archival prints and albums made to last for "
             "generations."),
        ),
        sections=("gallery", "pricing", "testimonials"),
        heads={
            "gallery": ("Recent stories", "A small selection from recent weddings, portraits "
                        "and brand shoots."),
            "pricing": ("Packages", "Every package includes a planning call and a private "
                        "online gallery."),
        },
        gallery=(
            ("💍", "Lakeside wedding in June"),
            ("🌅", "Golden-hour portraits"),
            ("🏡", "Family session at home"),
            ("🏔️", "Mountain elopement"),
            ("🏢", "Brand shoot for a design studio"),
            ("🌿", "Garden engagement session"),
        ),
        tiers=(
            Tier("Portrait", "$350", "per session", "An hour on location, perfect for "
                 "families and headshots.", ("1-hour session", "40 edited photographs",
                                             "Private online gallery")),
            Tier("Wedding", "$2,400", "full day", "Everything from getting ready to the first "
                 "dance.", ("Up to 10 hours", "500+ edited photographs", "Second photographer",
                            "Printed album"), featured=True),
            Tier("Brand", "$900", "half day", "Fresh images for your website and social "
                 "media.", ("4-hour session", "100 edited photographs", "Commercial licence")),
        ),
        quotes=(
            ("We barely noticed the camera, yet every important moment is in our album.",
             "Emma & Noah", "Married in June"),
            ("The family photos are the first thing visitors notice in our living room.",
             "Clara Jensen", "Family session"),
            ("Our new brand photos doubled the enquiries from our website.", "Ravi Patel",
             "Studio owner"),
        ),
        contact_title="Tell me about your day",
        contact_intro=(
            "Summer dates book up quickly. Send your date and location and I’ll confirm my "
            "availability within a day."
        ),
        details=(
            ("📍", "Based in", "Edinburgh, travelling worldwide"),
            ("⏱️", "Response time", "Within 24 hours"),
        ),
        footer="Natural photography for weddings, families and brands.",
    ),
    Topic(
        key="fitness",
        label="fitness gym",
        keywords=(
            "gym", "fitness", "workout", "personal trainer", "crossfit", "boxing",
            "martial arts", "kickboxing", "bootcamp", "strength", "athletics", "running club",
            "powerlifting", "weightlifting",
        ),
        weak_keywords=("training", "sports?", "trainer", "coach"),
        palette=Palette("lime", "zinc", dark=True),
        glyph="💪",
        subject="fitness gym",
        names=("Iron Forge Fitness", "Pulse Athletics", "Peak Form Gym"),
        eyebrow="Your first class is free",
        headlines=(
            "Stronger every week.",
            "Train hard. Recover smart. Repeat.",
            "Your strongest self starts here.",
        ),
        intro=(
            "Coached group classes, open-gym hours and personal training for every level. Our "
            "coaches build a fitness plan around your goals and keep you accountable."
        ),
        cta="Claim a free class",
        secondary="See the timetable",
        secondary_target="schedule",
        stats=(("40+", "classes a week"), ("12", "certified coaches"), ("5 am", "doors open")),
        nav={"features": "Training", "schedule": "Classes", "pricing": "Membership"},
        features_title="Everything you need to get fit",
        features_intro="A gym built around coaching, not just equipment.",
        features=(
            ("🏋️", "Strength training", "Barbell and kettlebell sessions that build real, "
             "lasting strength."),
            ("🔥", "HIIT classes", "Fast, high-intensity sessions that fit into a lunch "
             "break."),
            ("🎯", "Personal coaching", "One-to-one programmes with regular check-ins and "
             "progress tracking."),
            ("🥗", "Nutrition support", "Simple, sustainable eating plans to back up your "
             "training."),
        ),
        sections=("features", "schedule", "pricing", "testimonials"),
        heads={
            "schedule": ("Class timetable", "Book your spot or just turn up five minutes "
                         "early."),
            "pricing": ("Membership", "No joining fee and no long contracts. Cancel any "
                        "time."),
        },
        schedule=(
            ("Mon", "06:30", "Strength Foundations", "All levels · 60 min"),
            ("Tue", "12:15", "Lunchtime HIIT", "Intermediate · 45 min"),
            ("Wed", "18:00", "Olympic Lifting", "Advanced · 75 min"),
            ("Thu", "07:00", "Mobility & Core", "All levels · 45 min"),
            ("Fri", "17:30", "Team Workout", "All levels · 60 min"),
            ("Sat", "09:00", "Bootcamp in the Park", "All levels · 60 min"),
        ),
        tiers=(
            Tier("Drop-in", "$20", "per class", "Try a class with no commitment.",
                 ("Any group class", "Equipment included", "Showers and lockers")),
            Tier("Unlimited", "$89", "/month", "Our most popular membership.",
                 ("Unlimited classes", "Open-gym access", "Monthly progress check",
                  "Member app"), featured=True),
            Tier("Coaching", "$199", "/month", "A plan built around you.",
                 ("Everything in Unlimited", "4 personal sessions a month",
                  "Nutrition plan")),
        ),
        quotes=(
            ("I’ve tried plenty of gyms. This is the first one where I actually look forward "
             "to training.", "Chris Morgan", "Member for 2 years"),
            ("The coaches fixed my squat in one session and I’ve been getting stronger ever "
             "since.", "Fatima Noor", "Strength class regular"),
            ("Lost 12 kg, gained a lot of friends. The community is the secret.", "Ben Ade",
             "Bootcamp member"),
        ),
        contact_title="Start training this week",
        contact_intro=(
            "Your first class is on us. Tell us what you’d like to work on and we’ll suggest the "
            "right session."
        ),
        details=(
            ("📍", "Address", "Unit 4, Foundry Yard, Manchester"),
            ("🕒", "Opening hours", "Mon–Fri 5:00–22:00 · Sat–Sun 8:00–18:00"),
        ),
        footer="Coached fitness for every level, seven days a week.",
    ),
    Topic(
        key="wellness",
        label="yoga and wellness studio",
        keywords=(
            "yoga", "pilates", "meditation", "mindfulness", "wellness", "spa", "massage",
            "retreat", "reiki", "breathwork", "barre", "holistic",
        ),
        weak_keywords=("calm", "relax", "wellbeing"),
        palette=Palette("teal", "stone"),
        glyph="🧘",
        subject="yoga studio",
        names=("Still Water Yoga", "Lotus & Light", "The Breathing Room"),
        eyebrow="New students: first week free",
        headlines=(
            "Slow down. Breathe. Come home to yourself.",
            "Find your balance, one breath at a time.",
            "A calm place to move and breathe.",
        ),
        intro=(
            "Small, welcoming yoga classes in a light-filled studio. Whether you’re brand new "
            "or deepening your practice, our teachers meet you where you are."
        ),
        cta="Book a class",
        secondary="See the schedule",
        secondary_target="schedule",
        stats=(("25", "classes a week"), ("8", "teachers"), ("12", "mats per class")),
        nav={"features": "Classes", "pricing": "Passes"},
        features_title="A practice for every body",
        features_intro="From gentle mornings to strong evening flows, there’s a class for how "
        "you feel today.",
        features=(
            ("🌿", "Gentle & restorative", "Slow, supported classes to release tension and "
             "rest deeply."),
            ("🌊", "Vinyasa flow", "Breath-led movement that builds strength and focus."),
            ("🕯️", "Meditation", "Guided sits to quiet the mind; no experience needed."),
            ("🤲", "Private sessions", "One-to-one classes tailored to your body and goals."),
        ),
        sections=("features", "schedule", "pricing", "testimonials"),
        heads={
            "schedule": ("Weekly schedule", "Mats, blocks and blankets are provided; just "
                         "bring yourself."),
            "pricing": ("Class passes", "Start with a drop-in, then choose what suits your "
                        "week."),
        },
        schedule=(
            ("Mon", "07:00", "Morning Flow", "All levels · 60 min"),
            ("Tue", "18:30", "Yin & Restore", "Gentle · 75 min"),
            ("Wed", "12:30", "Lunchtime Stretch", "All levels · 45 min"),
            ("Thu", "19:00", "Vinyasa Flow", "Intermediate · 60 min"),
            ("Sat", "09:30", "Beginners’ Course", "New students · 90 min"),
            ("Sun", "17:00", "Candlelit Meditation", "All levels · 45 min"),
        ),
        tiers=(
            Tier("Drop-in", "$18", "per class", "Come when it suits you.",
                 ("Any regular class", "Mat and props included")),
            Tier("Unlimited", "$95", "/month", "For a steady, regular practice.",
                 ("Unlimited classes", "10% off workshops", "Bring a friend once a month"),
                 featured=True),
            Tier("10-class pass", "$150", "valid 4 months", "Flexible, and it never rushes "
                 "you.", ("10 classes", "Shareable with family")),
        ),
        quotes=(
            ("The calmest hour of my week. The teachers remember your name and your injuries.",
             "Isabel Moreau", "Student for 3 years"),
            ("I came for my back and stayed for the people.", "Kwame Mensah",
             "Beginners’ course graduate"),
            ("Candlelit meditation on Sunday evenings is my reset button.", "Lucy Chen",
             "Member"),
        ),
        contact_title="Come and practise with us",
        contact_intro="Not sure which class is right for you? Ask us anything; we’re happy to "
        "help.",
        details=(
            ("📍", "Address", "3 Garden Walk, Brighton"),
            ("🕒", "Studio hours", "Mon–Fri 6:30–21:00 · Sat–Sun 8:00–18:00"),
        ),
        footer="Yoga, meditation and rest in a calm, light-filled studio.",
    ),
    Topic(
        key="agency",
        label="creative agency",
        keywords=(
            "agency", "marketing", "branding", "advertising", "seo", "digital agency",
            "creative studio", "web design", "social media", "pr firm", "content studio",
        ),
        weak_keywords=("studio", "design", "campaigns?"),
        palette=Palette("fuchsia", "neutral"),
        glyph="🚀",
        subject="creative agency",
        names=("Brightside Studio", "Northstar Creative", "Loop & Line"),
        eyebrow="Brand · Web · Growth",
        headlines=(
            "We build brands people remember.",
            "Ideas that move people, and numbers.",
            "Bold work for ambitious brands.",
        ),
        intro=(
            "{title} is a small, senior team of strategists, designers and developers. We help "
            "ambitious companies find their voice, launch better websites and grow faster."
        ),
        cta="Start a project",
        secondary="See our work",
        secondary_target="gallery",
        stats=(("120+", "launches"), ("9", "industry awards"), ("3×", "average growth")),
        nav={"features": "Services", "gallery": "Work", "process": "Process"},
        features_title="What we do",
        features_intro="Strategy, design and technology under one roof, so nothing gets lost "
        "in translation.",
        features=(
            ("🎯", "Brand strategy", "Positioning, messaging and naming grounded in real "
             "research."),
            ("🎨", "Visual identity", "Logos, type, colour and guidelines that scale."),
            ("💻", "Websites", "Fast, accessible sites built on modern tools."),
            ("📈", "Growth marketing", "SEO, paid social and content that compound over "
             "time."),
        ),
        sections=("features", "gallery", "process", "testimonials"),
        heads={"gallery": ("Selected work", "Recent projects for start-ups, scale-ups and "
                                            "household names.")},
        gallery=(
            ("🛰️", "Orbit: brand and website"),
            ("🍃", "Verde: packaging system"),
            ("🏦", "Ledger: product launch"),
            ("🎧", "Wave: launch campaign"),
            ("🏨", "Harbour Hotels: booking site"),
            ("🚲", "Spoke: app design"),
        ),
        steps=(
            ("Discover", "Workshops and research to understand your customers and market."),
            ("Define", "A clear strategy and creative direction we all agree on."),
            ("Design & build", "Fast iterations and weekly demos, so there are no surprises."),
            ("Launch & grow", "We ship, measure and keep improving."),
        ),
        quotes=(
            ("They understood our business faster than we did, and the new brand shows it.",
             "Hugo Martin", "CMO, Verde"),
            ("Our website finally converts. Demo requests tripled in a quarter.", "Nina Koval",
             "Founder, Ledger"),
            ("A rare agency that is as good at listening as at designing.", "Sam Wright",
             "Marketing Director, Harbour Hotels"),
        ),
        contact_title="Have a project in mind?",
        contact_intro=(
            "Tell us about your goals, timeline and budget. We reply to every enquiry within "
            "one working day."
        ),
        details=(
            ("📍", "Studio", "41 Canal Street, Amsterdam"),
            ("🗓️", "Availability", "Taking on new projects this quarter"),
        ),
        footer="Brand, web and growth for ambitious companies.",
    ),
    Topic(
        key="professional",
        label="professional services firm",
        keywords=(
            "law firm", "lawyers?", "attorneys?", "legal", "solicitors?", "notary",
            "consulting", "consultancy", "consultants?", "accountants?", "accounting",
            "bookkeeping", "tax", "financial", "finance", "advisers?", "advisors?",
            "insurance", "wealth", "investment",
        ),
        weak_keywords=("firm", "advice", "business"),
        palette=Palette("blue", "slate"),
        glyph="🏛️",
        subject="advisory firm",
        names=("Harper & Cole", "Sterling Advisory", "Whitfield Partners"),
        eyebrow="Trusted advice since 1998",
        headlines=(
            "Clear advice when it matters most.",
            "Expert guidance, plainly explained.",
            "Experienced advisers on your side.",
        ),
        intro=(
            "We help people and businesses make confident decisions, with practical, honest "
            "advice and one adviser who knows your case from the first call to the last."
        ),
        cta="Book a consultation",
        secondary="How we work",
        secondary_target="process",
        stats=(("25+", "years of practice"), ("1,200", "clients advised"), ("48 h", "reply")),
        nav={"features": "Expertise", "process": "How we work"},
        features_title="How we can help",
        features_intro="Focused practice areas, each led by a senior partner.",
        features=(
            ("🏢", "Business advice", "Company formation, contracts and growth planning."),
            ("📑", "Compliance", "Stay ahead of regulation with clear, practical guidance."),
            ("🏠", "Property & estates", "Purchases, leases, wills and estate planning."),
            ("🤝", "Disputes & mediation", "Resolve conflicts quickly and fairly, out of court "
             "where possible."),
        ),
        sections=("features", "process", "team", "faq"),
        steps=(
            ("A free first call", "Tell us what’s going on. We’ll say honestly whether we can "
             "help."),
            ("A clear plan", "A written plan with a fixed fee, so there are no surprises."),
            ("We handle it", "Your adviser keeps you updated at every step."),
        ),
        team=(
            ("Eleanor Harper", "Managing Partner", "Thirty years advising owner-run "
             "businesses."),
            ("David Cole", "Partner", "Specialist in property and estates."),
            ("Nadia Rahman", "Senior Associate", "Leads our compliance practice."),
        ),
        faq=(
            ("What does a first meeting cost?", "Your first 30-minute consultation is free and "
             "without obligation."),
            ("Do you work for fixed fees?", "Yes. Most work is quoted upfront at a fixed fee."),
            ("Can we meet online?", "Of course: by video call, by phone or at our office."),
        ),
        contact_title="Book a free consultation",
        contact_intro=(
            "Tell us briefly what you need help with. Everything you share is treated in strict "
            "confidence."
        ),
        details=(
            ("📍", "Office", "100 King Street, London"),
            ("🕒", "Office hours", "Mon–Fri 9:00–17:30"),
        ),
        footer="Clear, practical advice for people and businesses.",
    ),
    Topic(
        key="shop",
        label="online shop",
        keywords=(
            "boutique", "ecommerce", "e-commerce", "online store", "online shop", "fashion",
            "clothing", "apparel", "jewelry", "jewellery", "shoes", "candles", "skincare",
            "cosmetics", "handmade", "crafts", "merch", "gift shop", "shop", "store",
        ),
        weak_keywords=("products", "gifts?", "sell", "selling"),
        palette=Palette("rose", "neutral"),
        glyph="🛍️",
        subject="online boutique",
        names=("Maison Rue", "Field & Thread", "Little Lantern"),
        eyebrow="Free shipping on orders over $50",
        headlines=(
            "Made to be loved for years.",
            "Thoughtfully made, beautifully simple.",
            "Small-batch goods for everyday life.",
        ),
        intro=(
            "Discover thoughtfully made goods, designed in-house and produced in small batches "
            "by makers we know. New pieces arrive in the shop every month."
        ),
        cta="Shop the collection",
        cta_target="products",
        secondary="Why shop with us",
        stats=(("4.8★", "2,000 reviews"), ("30 days", "free returns"), ("100%", "plastic-free")),
        nav={"features": "Why us"},
        features_title="Why shop with us",
        features_intro="Small shop, big care: from the materials we choose to the box it "
        "arrives in.",
        features=(
            ("🚚", "Fast, free delivery", "Free shipping on orders over $50, delivered in 2–4 "
             "days."),
            ("↩️", "Easy returns", "Changed your mind? Send it back within 30 days."),
            ("🌱", "Made responsibly", "Natural materials and fair wages, always."),
            ("🎁", "Gift wrapping", "Add a handwritten note and we’ll wrap it for free."),
        ),
        sections=("products", "features", "testimonials"),
        heads={"products": ("New arrivals", "Fresh pieces from this month’s collection, while "
                                            "they last.")},
        products=(
            ("🧥", "Wool overshirt", "$120"),
            ("👜", "Leather tote", "$145"),
            ("🕯️", "Cedar candle", "$32"),
            ("🧣", "Merino scarf", "$58"),
            ("👟", "Canvas sneakers", "$89"),
            ("💍", "Gold-plated ring", "$45"),
        ),
        quotes=(
            ("Beautiful quality and it arrived in two days, wrapped like a present.",
             "Olivia Grant", "Verified buyer"),
            ("My tote still looks new after a year of daily use.", "Mei Tanaka",
             "Verified buyer"),
            ("Lovely customer service: they swapped my size within a week.", "Jonas Berg",
             "Verified buyer"),
        ),
        contact_title="Questions about an order?",
        contact_intro="Our small team answers every message personally, usually within a few "
        "hours.",
        details=(
            ("🚚", "Shipping", "Free over $50 · 2–4 working days"),
            ("↩️", "Returns", "Free within 30 days"),
        ),
        footer="Thoughtfully made goods, designed in-house and made in small batches.",
    ),
    Topic(
        key="travel",
        label="travel company",
        keywords=(
            "travel", "tours?", "trips?", "vacations?", "holidays?", "hotel", "hostel",
            "resort", "b&b", "bed and breakfast", "guesthouse", "tourism", "safari", "cruise",
            "destinations?", "getaway",
        ),
        weak_keywords=("adventure", "booking", "stay", "inn"),
        palette=Palette("sky", "slate"),
        glyph="✈️",
        subject="travel company",
        names=("Wanderlight Travel", "Blue Horizon Tours", "Compass & Co."),
        eyebrow="Small-group trips · carbon-balanced",
        headlines=(
            "Go further. Travel better.",
            "Trips you’ll talk about for years.",
            "The world is waiting. Let’s go.",
        ),
        intro=(
            "Hand-crafted journeys with local guides, small groups and stays full of character. "
            "We handle the details of your trip so you can enjoy every moment."
        ),
        cta="Plan my trip",
        secondary="Explore destinations",
        secondary_target="gallery",
        stats=(("45", "destinations"), ("12", "travellers per group"), ("4.9★", "rating")),
        nav={"gallery": "Destinations", "features": "Why travel with us", "pricing": "Trips"},
        features_title="Travel, done thoughtfully",
        features_intro="Everything we plan is built around people and places, not checklists.",
        features=(
            ("🧭", "Local guides", "Experts who live where you’re travelling and know its "
             "secrets."),
            ("👥", "Small groups", "Never more than twelve travellers, for a more personal "
             "trip."),
            ("🏡", "Stays with character", "Boutique hotels and family-run guesthouses, not "
             "chains."),
            ("🌍", "Responsible travel", "We balance the carbon of every trip and support local "
             "projects."),
        ),
        sections=("gallery", "features", "pricing", "testimonials"),
        heads={
            "gallery": ("Popular destinations", "Our travellers’ favourite places this "
                        "season."),
            "pricing": ("Ways to travel", "Prices include accommodation, guides and most "
                        "meals."),
        },
        gallery=(
            ("🏔️", "Swiss Alps · 8 days"),
            ("🏝️", "Greek islands · 10 days"),
            ("🌋", "Iceland ring road · 9 days"),
            ("🏯", "Kyoto and Nara · 12 days"),
            ("🐘", "Kenya safari · 7 days"),
            ("🌮", "Mexico City and Oaxaca · 10 days"),
        ),
        tiers=(
            Tier("Weekend escape", "$690", "per person", "Three nights, a handpicked stay and "
                 "one guided day.", ("3 nights", "Breakfast daily", "1 guided excursion")),
            Tier("Signature tour", "$2,450", "per person", "Our most-loved small-group trips.",
                 ("8–10 days", "Local guide throughout", "Most meals", "All transfers"),
                 featured=True),
            Tier("Tailor-made", "Custom", "", "A private trip designed around you.",
                 ("Your dates, your pace", "Personal trip designer", "24/7 support")),
        ),
        quotes=(
            ("Every detail was taken care of. Iceland was the trip of a lifetime.",
             "Rachel Adams", "Iceland ring road"),
            ("Small group, brilliant guide, and not a tourist trap in sight.", "Marco Rossi",
             "Kyoto and Nara"),
            ("We’ve booked three trips with them now and each was better than the last.",
             "The Okafor family", "Kenya safari"),
        ),
        contact_title="Start planning your trip",
        contact_intro=(
            "Tell us where you dream of going and when. A travel specialist will send you ideas "
            "within two days."
        ),
        details=(
            ("📞", "Travel specialists", "Mon–Sat 9:00–19:00"),
            ("📍", "Office", "5 Harbour Square, Copenhagen"),
        ),
        footer="Small-group journeys with local guides and stays full of character.",
    ),
    Topic(
        key="education",
        label="school",
        keywords=(
            "school", "courses?", "academy", "tutoring", "tutors?", "university", "college",
            "education", "e-learning", "elearning", "online course", "language school",
            "kindergarten", "preschool", "lessons", "curriculum",
        ),
        weak_keywords=("learning", "learn", "teacher", "workshops?", "classes", "students?"),
        palette=Palette("emerald", "slate"),
        glyph="🎓",
        subject="learning academy",
        names=("Brightpath Academy", "Open Book School", "Northfield Learning"),
        eyebrow="Enrolment open for the autumn term",
        headlines=(
            "Learn skills that open doors.",
            "Learning that sticks, taught by people who care.",
            "Grow your skills with expert teachers.",
        ),
        intro=(
            "Practical courses taught by experienced teachers in small groups, online or in "
            "person. Learn at your own pace, with real feedback on real projects."
        ),
        cta="Enrol now",
        secondary="Browse courses",
        secondary_target="schedule",
        stats=(("2,500+", "students"), ("94%", "recommend us"), ("15", "courses")),
        nav={"features": "Why learn here", "schedule": "Courses"},
        features_title="A better way to learn",
        features_intro="Small classes, practical projects and teachers who know their field.",
        features=(
            ("🧑‍🏫", "Expert teachers", "Learn from practitioners with years of real-world "
             "experience."),
            ("👥", "Small groups", "Classes of twelve or fewer, so everyone gets attention."),
            ("🧪", "Hands-on projects", "Build a portfolio of real work while you learn."),
            ("📜", "Certificates", "Earn a certificate that employers recognise."),
        ),
        sections=("features", "schedule", "pricing", "faq"),
        heads={
            "schedule": ("Upcoming courses", "Start dates for the next term. Places are "
                         "limited."),
            "pricing": ("Tuition", "Clear prices, instalments at no extra cost."),
        },
        schedule=(
            ("Sep 8", "10 weeks", "Foundations of Web Development", "Evenings · Beginner"),
            ("Sep 15", "6 weeks", "Data Analysis with Python", "Online · Intermediate"),
            ("Sep 22", "8 weeks", "UX Design Essentials", "Weekends · Beginner"),
            ("Oct 6", "4 weeks", "Public Speaking", "Evenings · All levels"),
            ("Oct 13", "12 weeks", "Spanish for Beginners", "Mornings · Beginner"),
        ),
        schedule_action="Enrol",
        tiers=(
            Tier("Single course", "$390", "per course", "One course, start to finish.",
                 ("All lessons and materials", "Project feedback", "Certificate")),
            Tier("Annual pass", "$1,290", "/year", "As many courses as you like for a year.",
                 ("Unlimited courses", "Career coaching", "Alumni community", "Certificates"),
                 featured=True),
            Tier("Teams", "Custom", "", "Training for your whole organisation.",
                 ("Private cohorts", "Custom curriculum", "Progress reports")),
        ),
        faq=(
            ("Do I need any experience?", "Most courses start from scratch; each listing shows "
             "its level."),
            ("Can I pay in instalments?", "Yes: split any course into three monthly payments "
             "at no extra cost."),
            ("What if I miss a class?", "Every session is recorded, and teachers hold weekly "
             "office hours."),
            ("Do you offer scholarships?", "We fund ten places each term for people from "
             "under-represented groups."),
        ),
        contact_title="Questions about a course?",
        contact_intro="Our admissions team will help you choose the right course and start "
        "date.",
        details=(
            ("📍", "Campus", "22 College Road, Dublin"),
            ("🕒", "Admissions", "Mon–Fri 9:00–18:00"),
        ),
        footer="Practical courses, taught by people who care.",
    ),
    Topic(
        key="music",
        label="band",
        keywords=(
            "band", "musician", "music", "singer", "songwriter", "dj", "rapper", "album",
            "concerts?", "gigs?", "tour dates", "festival", "orchestra", "choir",
            "record label", "podcast",
        ),
        weak_keywords=("songs?", "live", "artist", "producer"),
        palette=Palette("purple", "zinc", dark=True),
        glyph="🎸",
        subject="band",
        names=("The Midnight Echoes", "Velvet Static", "Paper Lanterns"),
        eyebrow="New album out now",
        headlines=(
            "Loud songs for quiet towns.",
            "New music, live on tour this season.",
            "Turn it up.",
        ),
        intro=(
            "{title} makes warm, guitar-driven music about late nights and long drives. The "
            "new record is out everywhere, and we’re playing it live in a city near you."
        ),
        cta="Get tickets",
        cta_target="schedule",
        secondary="Listen to the music",
        secondary_target="gallery",
        stats=(("3", "albums"), ("200+", "shows"), ("10M", "streams")),
        nav={"schedule": "Tour", "gallery": "Music", "testimonials": "Press"},
        features_title="What to expect",
        features_intro="Big choruses, quiet moments and a room full of people singing along.",
        features=(
            ("🎤", "Live shows", "Every night a different setlist, every song played live."),
            ("💿", "On vinyl", "All records pressed on heavyweight vinyl, signed at the merch "
             "table."),
            ("📻", "Sessions", "Acoustic sessions and radio specials between albums."),
        ),
        sections=("schedule", "gallery", "testimonials"),
        heads={
            "schedule": ("Tour dates", "Tickets go fast: sign up below for pre-sale codes."),
            "gallery": ("Discography", "Stream every record, or pick up a copy on vinyl at the "
                        "merch table."),
            "testimonials": ("What people are saying", "From the press and from the front "
                             "row."),
        },
        schedule=(
            ("Oct 3", "20:00", "The Lantern, Leeds", "On sale"),
            ("Oct 9", "20:30", "Harbour Hall, Rotterdam", "Few tickets left"),
            ("Oct 14", "19:30", "Werkhaus, Berlin", "On sale"),
            ("Oct 21", "20:00", "Le Phare, Lyon", "Sold out"),
            ("Nov 2", "21:00", "The Ballroom, Chicago", "On sale"),
        ),
        schedule_action="Tickets",
        gallery=(
            ("💿", "Night Drive · LP, 2025"),
            ("📀", "Static Bloom · EP, 2023"),
            ("🎶", "Paper Town · LP, 2021"),
            ("🎤", "Live at the Lantern · 2024"),
        ),
        quotes=(
            ("A band that makes stadium-sized choruses feel intimate.", "Northern Sound",
             "Album review, 4/5"),
            ("The best live show I’ve seen this year, by a mile.", "Jess Palmer",
             "Fan, Leeds"),
            ("Night Drive is the record of the autumn.", "Indie Weekly", "Album of the week"),
        ),
        contact_title="Booking & press",
        contact_intro=(
            "For shows, festivals and interviews, get in touch with our management team."
        ),
        details=(
            ("🎟️", "Booking", "Worldwide, via our agent"),
            ("📰", "Press kit", "Available on request"),
        ),
        footer="New music and live shows, coming to a city near you.",
    ),
    Topic(
        key="health",
        label="health clinic",
        keywords=(
            "clinic", "dentist", "dental", "doctors?", "medical", "physio", "physiotherapy",
            "physiotherapist", "therapy", "therapist", "chiropractor", "optician", "pharmacy",
            "vet", "veterinary", "healthcare", "hospital", "counselling", "counseling",
            "psychologist", "dermatology", "orthodontist",
        ),
        weak_keywords=("health", "care", "patients?"),
        palette=Palette("cyan", "slate"),
        glyph="🩺",
        subject="health clinic",
        names=("Clearwater Clinic", "Bright Smile Dental", "Riverside Health"),
        eyebrow="Now accepting new patients",
        headlines=(
            "Care that puts you first.",
            "Modern care, with a human touch.",
            "Feel better, with a team you can trust.",
        ),
        intro=(
            "Friendly, experienced clinicians, short waiting times and a calm, modern practice. "
            "Book online in a minute and get the care you need, when you need it."
        ),
        cta="Book an appointment",
        secondary="Our services",
        stats=(("20+", "years of care"), ("4.9★", "patient rating"), ("Same day", "visits")),
        nav={"features": "Services"},
        features_title="Our services",
        features_intro="Everything you need under one roof, from check-ups to specialist "
        "treatment.",
        features=(
            ("🩺", "Check-ups", "Thorough, unhurried appointments with time for your "
             "questions."),
            ("🔬", "Specialist care", "Treatment plans from experienced specialists."),
            ("💬", "Online consultations", "Talk to a clinician by video from home."),
            ("♿", "Accessible practice", "Step-free access, quiet rooms and flexible hours."),
        ),
        sections=("features", "team", "testimonials", "faq"),
        team=(
            ("Dr. Amara Okafor", "Lead Clinician", "Fifteen years in family practice."),
            ("Dr. Ben Walsh", "Specialist", "Known for gentle, careful treatment."),
            ("Sara Lind", "Practice Nurse", "Runs our check-up and prevention clinics."),
        ),
        faq=(
            ("Are you taking new patients?", "Yes. Register online or call us and we’ll book "
             "your first visit."),
            ("Do you accept insurance?", "We work with most major insurers. Bring your card "
             "to your first appointment."),
            ("What if I need to cancel?", "Please let us know 24 hours ahead so we can offer "
             "the slot to someone else."),
        ),
        contact_title="Book your visit",
        contact_intro=(
            "Request an appointment and we’ll confirm within one working day. In an emergency, "
            "call your local emergency number."
        ),
        details=(
            ("📍", "Address", "14 Riverside Avenue, Leeds"),
            ("🕒", "Opening hours", "Mon–Fri 8:00–19:00 · Sat 9:00–13:00"),
        ),
        footer="Modern, friendly care for the whole family.",
    ),
    Topic(
        key="home",
        label="home services company",
        keywords=(
            "real estate", "realtor", "estate agents?", "property", "properties", "apartments?",
            "architects?", "architecture", "interior design", "construction", "builders?",
            "renovations?", "contractors?", "plumbers?", "plumbing", "electricians?",
            "roofing", "landscaping", "gardening", "cleaning", "handyman", "carpentry",
        ),
        weak_keywords=("homes?", "house", "houses", "repairs?"),
        palette=Palette("green", "stone"),
        glyph="🏡",
        subject="home services company",
        names=("Oak & Stone", "Greenleaf Homes", "Cornerstone Builders"),
        eyebrow="Licensed & insured · free quotes",
        headlines=(
            "Better homes, built with care.",
            "Your home, in good hands.",
            "Quality work, on time and on budget.",
        ),
        intro=(
            "From the first sketch to the final walkthrough, our team plans, builds and "
            "finishes homes with craftsmanship you can see and a schedule you can trust."
        ),
        cta="Get a free quote",
        secondary="See our projects",
        secondary_target="gallery",
        stats=(("350+", "homes finished"), ("15", "years in business"), ("10 yrs", "guarantee")),
        nav={"features": "Services", "gallery": "Projects", "process": "How we work"},
        features_title="What we do",
        features_intro="One team for the whole job, so you only ever need one phone number.",
        features=(
            ("📐", "Design & planning", "Plans, permits and budgets sorted before work "
             "begins."),
            ("🔨", "Renovations", "Kitchens, bathrooms, lofts and extensions."),
            ("🌿", "Sustainable homes", "Insulation, heat pumps and solar that cut your "
             "bills."),
            ("🧹", "Spotless handover", "We leave every site cleaner than we found it."),
        ),
        sections=("features", "gallery", "process", "testimonials"),
        heads={"gallery": ("Recent projects", "A few homes we’ve been proud to work on.")},
        gallery=(
            ("🏡", "Victorian terrace renovation"),
            ("🍳", "Open-plan kitchen"),
            ("🛁", "Spa-style bathroom"),
            ("🌞", "Garden room with a solar roof"),
            ("🏗️", "Two-storey extension"),
            ("🪴", "Courtyard landscaping"),
        ),
        steps=(
            ("Free visit & quote", "We come round, listen and send a clear, fixed quote."),
            ("Plan & schedule", "Drawings, permits and a start date you can count on."),
            ("Build", "A dedicated site lead keeps you updated every week."),
            ("Handover", "A final walkthrough, and a guarantee that lasts."),
        ),
        quotes=(
            ("Finished on the day they promised, and the kitchen is better than we imagined.",
             "Helen Price", "Kitchen renovation"),
            ("Tidy, polite and honest about costs from day one.", "Mark Evans",
             "Loft conversion"),
            ("Our energy bills halved after the insulation and heat pump.", "Anna Kowalski",
             "Sustainable upgrade"),
        ),
        contact_title="Get your free quote",
        contact_intro="Tell us about your project and we’ll arrange a visit within a week.",
        details=(
            ("📍", "Yard", "Unit 9, Station Road, Oxford"),
            ("🕒", "Office hours", "Mon–Fri 8:00–18:00 · Sat 9:00–12:00"),
        ),
        footer="Renovations and new builds, finished with care.",
    ),
    Topic(
        key="nonprofit",
        label="charity",
        keywords=(
            "nonprofit", "non-profit", "charity", "charities", "foundation", "ngo",
            "volunteers?", "volunteering", "donations?", "fundraising", "church", "mosque",
            "synagogue", "temple", "animal rescue", "shelter",
        ),
        weak_keywords=("community", "cause", "donate", "help"),
        palette=Palette("orange", "stone"),
        glyph="🤝",
        subject="community charity",
        names=("Common Ground Foundation", "Open Hands", "Bright Futures Trust"),
        eyebrow="Together we’ve raised $2.4M",
        headlines=(
            "Small acts, big change.",
            "Together, we can do more.",
            "Help us build a kinder community.",
        ),
        intro=(
            "{title} brings neighbours, volunteers and donors together to support the people "
            "who need it most. Every gift and every hour makes a real difference."
        ),
        cta="Donate now",
        secondary="Our work",
        stats=(("18k", "meals shared"), ("600", "volunteers"), ("92%", "to programmes")),
        nav={"features": "Our work", "process": "Get involved"},
        features_title="What we do",
        features_intro="Practical help, close to home, run by the community for the community.",
        features=(
            ("🍲", "Food support", "Weekly food parcels and a community kitchen open to all."),
            ("📚", "Education", "Homework clubs and mentoring for local young people."),
            ("🏠", "Housing help", "Advice and emergency support for families at risk."),
            ("🌳", "Green spaces", "Volunteers caring for parks and community gardens."),
        ),
        sections=("features", "process", "team", "testimonials"),
        heads={"process": ("Get involved", "There are many ways to help. Every one of them "
                                           "counts.")},
        steps=(
            ("Donate", "One-off or monthly: 92% of every gift goes straight to our "
             "programmes."),
            ("Volunteer", "Give an hour a week, or join a weekend project."),
            ("Spread the word", "Share our work and bring friends to our events."),
        ),
        team=(
            ("Grace Mwangi", "Director", "Founded the charity in her own kitchen in 2012."),
            ("Tomás Silva", "Volunteer Lead", "Coordinates 600 volunteers every month."),
            ("Ruth Cohen", "Programmes Manager", "Runs our food and education projects."),
        ),
        quotes=(
            ("When we lost our home they were there within a day. I can’t thank them enough.",
             "A local parent", "Housing help"),
            ("Volunteering on Saturdays is the best part of my week.", "Daniel Osei",
             "Volunteer"),
            ("Transparent, efficient and deeply rooted in the community.", "City Giving Fund",
             "Partner"),
        ),
        contact_title="Get involved",
        contact_intro=(
            "Want to volunteer, partner with us or ask about a donation? We’d love to hear "
            "from you."
        ),
        details=(
            ("📍", "Community centre", "60 Market Street, Glasgow"),
            ("🕒", "Open", "Mon–Sat 9:00–17:00"),
        ),
        footer="Neighbours helping neighbours since 2012.",
    ),
)

_GENERIC = Topic(
    key="generic",
    label="business",
    keywords=(),
    palette=Palette("blue", "gray"),
    glyph="✨",
    subject="business",
    names=("Northwind", "Brightside", "Evergreen & Co."),
    eyebrow="Welcome",
    headlines=(
        "Made with care, made for you.",
        "Everything you need, in one place.",
        "Quality you can count on.",
    ),
    intro=(
        "Everything about our {subject}, in one place: what we offer, how we work and what our "
        "customers say. Have a look around, then get in touch; we’d love to hear from you."
    ),
    cta="Get in touch",
    secondary="Learn more",
    stats=(("10+", "years of experience"), ("500+", "happy customers"), ("24 h", "reply")),
    nav={"features": "What we offer"},
    features_title="What we offer",
    features_intro="Everything our {subject} does is built around what you need.",
    features=(
        ("⭐", "Quality first", "We take the time to do things properly, every time."),
        ("🤝", "Personal service", "You’ll always talk to a real person who knows your name."),
        ("⚡", "Fast & reliable", "Clear timelines, quick replies and no surprises."),
        ("💬", "Honest advice", "We’ll tell you what you need, and what you don’t."),
    ),
    sections=("features", "process", "testimonials", "faq"),
    contact_title="Get in touch",
    contact_intro="Questions, ideas or a project in mind? Send us a message and we’ll reply "
    "within a day.",
    footer="Made with care, made for you.",
)


# --- generic copy for sections a topic does not describe itself --------------------------------

_GENERIC_MENU: tuple[Dish, ...] = (
    ("House special", "Our signature, and the one regulars always order", "$12"),
    ("Seasonal plate", "Whatever is best this week", "$14"),
    ("Light option", "Fresh, simple and quick", "$9"),
    ("Something sweet", "To finish on a high note", "$7"),
)
_GENERIC_PRODUCTS: tuple[Product, ...] = (
    ("🎁", "Gift card", "$25"),
    ("⭐", "Signature set", "$60"),
    ("📦", "Starter kit", "$35"),
    ("🧾", "Annual plan", "$120"),
)
_GENERIC_GALLERY: tuple[Shot, ...] = (
    ("✨", "A recent highlight"),
    ("🤝", "Working with our customers"),
    ("🏆", "A project we’re proud of"),
    ("🌟", "Behind the scenes"),
    ("📸", "The team at work"),
    ("🎉", "Celebrating a milestone"),
)
_GENERIC_SCHEDULE: tuple[Session, ...] = (
    ("Mon", "10:00", "Open day", "Meet the team · 60 min"),
    ("Wed", "18:00", "Workshop", "Hands-on · 90 min"),
    ("Sat", "11:00", "Questions & answers", "All welcome · 45 min"),
)
_GENERIC_TIERS: tuple[Tier, ...] = (
    Tier("Basic", "$19", "/month", "Everything you need to get started.",
         ("Core features", "Email support")),
    Tier("Standard", "$49", "/month", "Our most popular choice.",
         ("Everything in Basic", "Priority support", "Monthly check-in"), featured=True),
    Tier("Premium", "$99", "/month", "For those who want it all.",
         ("Everything in Standard", "Dedicated contact", "Custom options")),
)
_GENERIC_STEPS: tuple[Step, ...] = (
    ("Tell us what you need", "A short call or message is all it takes to start."),
    ("We make a plan", "A clear proposal with honest prices and timings."),
    ("We get it done", "Regular updates from start to finish."),
    ("We stay in touch", "Support whenever you need it afterwards."),
)
_GENERIC_TEAM: tuple[Person, ...] = (
    ("Jamie Carter", "Founder", "Started {title} to do things properly."),
    ("Alex Morgan", "Operations", "Keeps everything running smoothly."),
    ("Riley Chen", "Customer care", "Your first point of contact."),
)
_GENERIC_QUOTES: tuple[Quote, ...] = (
    ("Friendly, professional and genuinely helpful from start to finish.", "Sarah Collins",
     "Customer"),
    ("{title} did exactly what they promised, on time and on budget.", "Michael Ross",
     "Customer"),
    ("I recommend them to everyone I know.", "Aiyana Brooks", "Customer"),
)
_GENERIC_FAQ: tuple[Question, ...] = (
    ("How do I get started?", "Send us a message using the form below and we’ll reply "
     "within one working day."),
    ("What does it cost?", "Prices depend on what you need. We always quote upfront, with no "
     "hidden fees."),
    ("Where are you based?", "We work locally and online, so wherever you are, we can help."),
)

# Sections a prompt can ask for by name, on top of those its topic brings.
_SECTION_REQUESTS: tuple[tuple[str, str], ...] = (
    ("menu", r"menu|dishes|drinks list"),
    ("products", r"products?|catalog(?:ue)?|merch|shop section|store section"),
    ("gallery", r"gallery|photos|pictures|showcase|case studies|our work"),
    ("schedule", r"schedule|timetable|class times|events?|tour dates|calendar"),
    ("process", r"how it works|process|steps"),
    ("pricing", r"pricing|prices|plans|packages|rates|membership"),
    ("team", r"team|staff|about us|our people|founders?"),
    ("testimonials", r"testimonials?|reviews?|social proof|what (?:people|customers) say"),
    ("faq", r"faqs?|frequently asked|questions"),
)
# Canonical order, used to slot requested sections between those the topic already has.
_SECTION_ORDER = (
    "products", "features", "menu", "gallery", "schedule", "process", "pricing", "team",
    "testimonials", "faq",
)
_MAX_SECTIONS = 6

_COMPONENT = {
    "features": "Features", "menu": "Menu", "products": "Products", "gallery": "Gallery",
    "schedule": "Schedule", "process": "Process", "pricing": "Pricing", "team": "Team",
    "testimonials": "Testimonials", "faq": "Faq",
}
_NAV_LABEL = {
    "features": "Features", "menu": "Menu", "products": "Shop", "gallery": "Gallery",
    "schedule": "Schedule", "process": "How it works", "pricing": "Pricing", "team": "Team",
    "testimonials": "Reviews", "faq": "FAQ", "contact": "Contact",
}
_HEADS = {
    "menu": ("Our menu", "A taste of what we serve."),
    "products": ("Shop our favourites", "Hand-picked favourites from the {subject}."),
    "gallery": ("Gallery", "A look at what we do."),
    "schedule": ("What’s coming up", "Dates and times for the weeks ahead."),
    "process": ("How it works", "Getting started is simple."),
    "pricing": ("Simple, honest pricing", "Pick the plan that fits. Change it any time."),
    "team": ("Meet the team", "The people behind {title}."),
    "testimonials": ("Loved by our customers", "Don’t just take our word for it."),
    "faq": ("Frequently asked questions", "Can’t find what you’re looking for? Just ask."),
}


# --- reading the prompt ------------------------------------------------------------------------

_COLOURS = {
    **{c: c for c in (
        "red", "orange", "amber", "yellow", "lime", "green", "emerald", "teal", "cyan", "sky",
        "blue", "indigo", "violet", "purple", "fuchsia", "pink", "rose",
    )},
    "gold": "amber", "golden": "amber", "brown": "amber", "navy": "blue", "turquoise": "teal",
    "aqua": "cyan", "mint": "emerald", "olive": "lime", "lavender": "violet", "lilac": "violet",
    "magenta": "fuchsia", "coral": "orange", "crimson": "red", "burgundy": "red",
    "maroon": "red", "black": "zinc", "grey": "zinc", "gray": "zinc", "monochrome": "zinc",
}
_COLOUR_WORD = "|".join(sorted(_COLOURS, key=len, reverse=True))
# A colour word only sets the palette when it is about the design: "blue buttons", "make it
# green", "in teal". "Green tea" or a brand such as "Blue Bottle" must not repaint the site.
_COLOUR_RES = (
    re.compile(
        rf"\b({_COLOUR_WORD})(?:-?ish)?\b(?=(?:\s+and\s+\w+)?\s+(?:colou?rs?|palette|theme|"
        r"accents?|tones?|scheme|branding|buttons?|highlights?|look|style|design|background))",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:colou?rs?|colou?red|palette|theme|accents?|make|paint|turn|use|using|in)\b"
        rf"(?:\s+[\w'-]+){{0,3}}?\s+({_COLOUR_WORD})\b"
        r"(?=\s*(?:$|[,.;:!?)]|and\b|with\b|tones?\b|shades?\b|accents?\b|colou?rs?\b|"
        r"palette\b|theme\b|instead\b|please\b))",
        re.IGNORECASE,
    ),
)
_DARK_RE = re.compile(
    r"\bdark(?:\s+|-)(?:mode|theme|background|design|look|palette|colou?rs?|ui|style)\b"
    r"|\b(?:moody|night[- ]mode)\b",
    re.IGNORECASE,
)
_LIGHT_RE = re.compile(
    r"\blight(?:\s+|-)(?:mode|theme|background|design)\b|\bbright and airy\b", re.IGNORECASE
)

_QUOTED_NAME_RE = re.compile(
    r"\b(?:called|named|titled|name(?:d)?\s+is|brand(?:ed)?\s+as|name\s*:|"
    r"(?:title|name|rename(?:\s+(?:it|the\s+\w+))?)\s+to)\s*"
    r"[\"“'‘`]([^\"”’`\n]{1,60}?)[\"”'’`](?![A-Za-z])",
    re.IGNORECASE,
)
# "called Bean There": capitalised words after the verb, joined by a few small words.
_BARE_NAME_RE = re.compile(
    r"\b(?:called|named|titled)\s+"
    r"((?:[A-Z0-9][\w'’&.-]*)(?:\s+(?:&|and|of|the|de|[A-Z0-9][\w'’&.-]*)){0,5})"
)
_ANY_QUOTED_RE = re.compile(r"[\"“]([^\"”\n]{2,40})[\"”]")
# A look-ahead, so that every "for" is tried: "for people who love a bakery" is an audience.
_FOR_RE = re.compile(r"\b(?:for|about)\s+(?=(.+))", re.IGNORECASE)
_PAGE_WORDS = (
    r"(?:web\s*site|site|landing\s*page|home\s*page|web\s*page|one[- ]pager|page|web\s*app|"
    r"webapp|portal)"
)
_BEFORE_PAGE_RE = re.compile(rf"^(.*?)\s*\b{_PAGE_WORDS}\b", re.IGNORECASE)
_LEAD_RE = re.compile(
    r"^(?:(?:please|pls|hey|hi|ok|okay)[\s,]+)*"
    r"(?:(?:can|could|would|will)\s+you\s+|i(?:\s+want|\s+need|\s+would\s+like|['’]d\s+like)\s+"
    r"(?:you\s+)?(?:to\s+)?|let'?s\s+)?"
    r"(?:build|create|make|design|generate|write|code|develop|give\s+me|set\s+up|"
    r"put\s+together|draft|mock\s+up|whip\s+up)?\s*(?:me\s+|us\s+)?",
    re.IGNORECASE,
)
_ARTICLES = {
    "a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "some", "one",
}
_FILLERS = {
    "small", "little", "new", "modern", "simple", "beautiful", "local", "fictional", "cool",
    "nice", "professional", "minimal", "minimalist", "clean", "sleek", "stunning", "awesome",
    "great", "basic", "fancy", "elegant", "responsive", "single", "one-page", "landing",
    "fake", "sample", "demo", "hypothetical", "imaginary", "trendy", "stylish",
}
_STOP_WORDS = {
    "in", "at", "with", "that", "which", "who", "where", "called", "named", "titled", "using",
    "featuring", "including", "to", "and", "on", "near", "from", "based", "located",
    "offering", "selling", "specializing", "specialising", "focused", "focusing", "by", "of",
    "like", "but", "so", "it", "has", "have", "website", "site", "page", "landing",
    "homepage", "webpage", "web", "built", "made", "should", "must", "please", "style",
    "styled", "inspired", "themed", "vibe", "vibes", "look", "feel", "aesthetic",
    "whose", "when", "while", "plus", "also", "then", "showing", "for",
}
# "for people who…", "for me": audiences, not what the site is about.
_AUDIENCE = {
    "people", "users", "customers", "clients", "me", "us", "everyone", "kids", "children",
    "beginners", "students", "families", "teams", "anyone", "them", "him", "her", "you",
    "fun", "free", "practice", "testing", "mobile", "desktop", "now", "today",
}
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
_EDIT_RE = re.compile(
    r"^\s*(?:please\s+)?(?:change|make\s+(?:the|it|this|that|all)|add|remove|delete|update|"
    r"fix|replace|move|edit|turn|set|swap|rename|increase|decrease|center|centre|align|hide|"
    r"show|use|put|tweak|adjust|shrink|enlarge|darken|lighten)\b",
    re.IGNORECASE,
)
# "add a pricing section" asks to change a site; "add ... for a new website" describes one.
_NEW_SITE_RE = re.compile(
    rf"\b(?:a|an|new)\s+(?:[\w'-]+\s+){{0,3}}?(?:{_PAGE_WORDS}|portfolio|store|shop)\b",
    re.IGNORECASE,
)
_MAX_TITLE_WORDS = 6
_MAX_TITLE_CHARS = 48


def _digest(prompt: str, salt: str) -> int:
    normal = " ".join(prompt.lower().split())
    return int.from_bytes(hashlib.sha256(f"{salt}\0{normal}".encode()).digest()[:8], "big")


def _pick(options: Sequence[str], prompt: str, salt: str) -> str:
    return options[_digest(prompt, salt) % len(options)]


def _keyword_re(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){word}(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class _Keywords:
    topic: Topic
    strong: tuple[re.Pattern[str], ...]
    weak: tuple[re.Pattern[str], ...]


_KEYWORDS = tuple(
    _Keywords(t, tuple(map(_keyword_re, t.keywords)), tuple(map(_keyword_re, t.weak_keywords)))
    for t in _TOPICS
)


def _detect_topic(prompt: str) -> Topic:
    # Strong keywords count 2, weak ones 1; a tie goes to the topic named first in the prompt.
    # One weak word ("studio", "app") is too little to go on: that stays generic.
    best: tuple[int, int, Topic] | None = None
    for entry in _KEYWORDS:
        score, first = 0, len(prompt)
        for weight, patterns in ((2, entry.strong), (1, entry.weak)):
            for rx in patterns:
                hits = list(rx.finditer(prompt))
                if hits:
                    score += weight * len(hits)
                    first = min(first, hits[0].start())
        if score >= 2 and (best is None or (score, -first) > (best[0], -best[1])):
            best = (score, first, entry.topic)
    return best[2] if best else _GENERIC


def _title_case(words: Sequence[str]) -> str:
    out = []
    for i, word in enumerate(words):
        if any(c.isupper() for c in word):
            out.append(word)  # keeps "AI", "SaaS", "McKenzie" as written
        elif i and word in _SMALL_WORDS:
            out.append(word)
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(out)


def _clean_name(name: str) -> str:
    name = " ".join(name.split()).strip(" .,;:!?-–—")
    words = name.split()[:_MAX_TITLE_WORDS]
    while words and words[-1].lower() in {"and", "of", "the", "&", "de"}:
        words.pop()
    return " ".join(words)[:_MAX_TITLE_CHARS].strip()


def _phrase_words(text: str) -> list[str]:
    """Leading words of ``text`` that name a thing: up to a stop word or punctuation."""
    chunk = re.split(r"[,.;:!?()\[\]{}\"“”]|\s[-–—]\s", text, maxsplit=1)[0]
    words: list[str] = []
    for raw in chunk.split():
        word = raw.strip("'’`")
        low = word.lower()
        if not words and (low in _ARTICLES or low in _FILLERS):
            continue
        if low in _STOP_WORDS or not re.fullmatch(r"[\w&'’+-]+", word):
            break
        words.append(word)
        if len(words) == 4:
            break
    while words and words[-1].lower() in _FILLERS | _ARTICLES:
        words.pop()
    return words


def _subject_words(prompt: str, topic: Topic) -> list[str]:
    """What the site is for: "for a coffee roastery", "a bakery landing page"."""
    candidates = [m.group(1) for m in _FOR_RE.finditer(prompt)]
    bare = _LEAD_RE.sub("", prompt.strip(), count=1)
    if before := _BEFORE_PAGE_RE.match(bare):
        candidates.append(before.group(1))
    # The opening words name the subject too ("a coffee roastery in teal"), but only trust
    # them when they carry a known topic; otherwise "hello" would become the site's name.
    if topic is not _GENERIC:
        candidates.append(bare)
    for text in candidates:
        words = _phrase_words(text)
        if words and words[0].lower() not in _AUDIENCE:
            return words
    return []


_CATEGORY_WORDS = {"website", "site", "portfolio", "business", "company", "brand", "startup"}


def _is_category(words: Sequence[str], topic: Topic) -> bool:
    """Whether the subject only names the kind of site ("a bakery", "a SaaS")."""
    if len(words) != 1:
        return False
    word = words[0].lower()
    keywords = (*topic.keywords, *topic.weak_keywords)
    return word in _CATEGORY_WORDS or any(re.fullmatch(k, word) for k in keywords)


def _explicit_name(prompt: str) -> str | None:
    for rx in (_QUOTED_NAME_RE, _BARE_NAME_RE, _ANY_QUOTED_RE):
        m = rx.search(prompt)
        if m and (name := _clean_name(m.group(1))):
            return name
    return None


@dataclass(frozen=True)
class SitePlan:
    """What the offline generator decided to build for a prompt."""

    prompt: str
    title: str
    subject: str
    topic: Topic
    palette: Palette
    sections: tuple[str, ...]
    headline: str
    edit_like: bool


def _sections_for(prompt: str, topic: Topic) -> tuple[str, ...]:
    sections = list(topic.sections)
    for kind, pattern in _SECTION_REQUESTS:
        if kind in sections or not re.search(rf"\b(?:{pattern})\b", prompt, re.IGNORECASE):
            continue
        rank = _SECTION_ORDER.index(kind)
        at = next(
            (i for i, s in enumerate(sections) if _SECTION_ORDER.index(s) > rank), len(sections)
        )
        sections.insert(at, kind)
    # A requested section counts for more than a default one, so trim the topic's own first.
    while len(sections) > _MAX_SECTIONS:
        extra = next((s for s in reversed(sections) if s in topic.sections), sections[-1])
        sections.remove(extra)
    return tuple(sections)


def _palette_for(prompt: str, topic: Topic) -> Palette:
    primary, dark = topic.palette.primary, topic.palette.dark
    found = [(m.start(1), m.group(1).lower()) for rx in _COLOUR_RES for m in rx.finditer(prompt)]
    if found:
        primary = _COLOURS[min(found)[1]]
    if _DARK_RE.search(prompt):
        dark = True
    elif _LIGHT_RE.search(prompt):
        dark = False
    neutral = topic.palette.neutral
    if primary == "zinc":
        neutral = "neutral"  # a grey accent on a grey of the same family would disappear
    return Palette(primary, neutral, dark)


def plan_site(prompt: str) -> SitePlan:
    """Decide title, topic, palette and sections for ``prompt``; pure and deterministic."""
    text = " ".join(prompt.split())
    topic = _detect_topic(text)
    edit_like = bool(_EDIT_RE.match(text)) and not _NEW_SITE_RE.search(text)
    name = _explicit_name(text)
    words = [] if edit_like else _subject_words(text, topic)
    subject = " ".join(w if any(c.isupper() for c in w) else w.lower() for w in words)
    if name is None:
        if words and not _is_category(words, topic):
            name = _clean_name(_title_case(words))
        else:
            name = _pick(topic.names, text, "name")
    headline = _pick(topic.headlines, text, "headline")
    return SitePlan(
        prompt=text,
        title=name,
        subject=subject or topic.subject,
        topic=topic,
        palette=_palette_for(text, topic),
        sections=_sections_for(text, topic),
        headline=headline,
        edit_like=edit_like,
    )


# --- writing JSX -------------------------------------------------------------------------------


def _js(value: object) -> str:
    """A JavaScript literal; JSON strings are valid JS strings, and keep Unicode readable."""
    return json.dumps(value, ensure_ascii=False)


def _js_object(obj: Mapping[str, object]) -> str:
    return "{ " + ", ".join(f"{k}: {_js(v)}" for k, v in obj.items()) + " }"


def _js_const(name: str, rows: Sequence[Mapping[str, object]]) -> str:
    lines = []
    for row in rows:
        one = f"  {_js_object(row)},"
        if len(one) <= 100:
            lines.append(one)
        else:
            inner = "".join(f"    {k}: {_js(v)},\n" for k, v in row.items())
            lines.append("  {\n" + inner + "  },")
    return f"const {name} = [\n" + "\n".join(lines) + "\n];"


def _jsx_text(text: str) -> str:
    """Text safe to place between JSX tags; ``{title}`` becomes the ``title`` prop."""
    parts = text.split("{title}")
    escaped = []
    for part in parts:
        part = part.replace("&", "&amp;").replace("'", "’").replace('"', "&quot;")
        # Braces and angle brackets would start an expression or a tag.
        part = "".join('{"' + c + '"}' if c in "{}<>" else c for c in part)
        escaped.append(part)
    return "{title}".join(escaped)


def _fill(text: str, plan: SitePlan, *, keep_title: bool = False) -> str:
    text = text.replace("{subject}", plan.subject)
    return text if keep_title else text.replace("{title}", plan.title)


def _render(template: str, **values: str) -> str:
    return Template(textwrap.dedent(template).lstrip("\n")).substitute(values)


def _initials(name: str) -> str:
    # Titles and articles ("Dr.", "The") are not part of anyone's initials.
    words = [w for w in name.replace(".", " ").split() if w not in {"Dr", "The", "A", "An"}]
    letters = [w[0] for w in words if w[:1].isalpha() and w[0].isupper()]
    return "".join(letters[:2]) or name[:1].upper()


class _Writer:
    """Renders one :class:`SitePlan` into files."""

    def __init__(self, plan: SitePlan) -> None:
        self.plan = plan
        self.topic = plan.topic
        self.t = _Theme(plan.palette)

    # helpers ------------------------------------------------------------------------------

    def text(self, value: str, *, title_prop: bool = False) -> str:
        """Copy as JSX text; with ``title_prop`` the name comes from the component's prop."""
        return _jsx_text(_fill(value, self.plan, keep_title=title_prop))

    def value(self, value: str) -> str:
        """Copy for a JS string: both placeholders filled in."""
        return _fill(value, self.plan)

    def nav_label(self, kind: str) -> str:
        return self.topic.nav.get(kind, _NAV_LABEL[kind])

    def head(self, kind: str) -> tuple[str, str]:
        if kind in self.topic.heads:
            return self.topic.heads[kind]
        if kind == "features":
            return self.topic.features_title, self.topic.features_intro
        return _HEADS[kind]

    def section_head(self, kind: str) -> str:
        """The centred eyebrow, heading and intro that open a section."""
        title, intro = self.head(kind)
        return _render(
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
            eyebrow=_jsx_text(self.nav_label(kind)),
            kind=kind,
            title=self.text(title),
            muted=self.t.muted,
            intro=self.text(intro),
        )

    def section(self, kind: str, index: int, body: str, *, head: bool = True) -> str:
        """Wrap a section body in the shared frame (id, heading, alternating background)."""
        inner = (self.section_head(kind) if head else "") + body
        return _render(
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
        out.append(("src/components/Header.jsx", self.header()))
        out.append(("src/components/Hero.jsx", self.hero()))
        for i, kind in enumerate(self.plan.sections):
            out.append((f"src/components/{_COMPONENT[kind]}.jsx", getattr(self, kind)(i)))
        out.append(("src/components/Contact.jsx", self.contact(len(self.plan.sections))))
        out.append(("src/components/Footer.jsx", self.footer()))
        return out

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
        names = ["Header", "Hero", *(_COMPONENT[k] for k in self.plan.sections), "Contact",
                 "Footer"]
        imports = "\n".join(f'import {n} from "./components/{n}.jsx";' for n in names)
        imports = 'import { useEffect } from "react";\n' + imports
        middle = "\n".join(f"    <{_COMPONENT[k]} />" for k in self.plan.sections)
        consts = (
            "// The site's name, shown in the header, hero, contact form and footer.\n"
            f"const SITE_TITLE = {_js(self.plan.title)};"
        )
        jsx = _render(
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
        jsx = _render(
            """
            <header className="sticky top-0 z-40 border-b backdrop-blur $header">
              <nav aria-label="Main" className="mx-auto flex max-w-6xl items-center justify-between gap-6 px-4 py-3 sm:px-6 lg:px-8">
                <a href="#top" className="flex items-center gap-3 text-lg font-bold tracking-tight">
                  <span aria-hidden="true" className="grid h-9 w-9 place-items-center rounded-xl text-lg $logo">
                    $glyph
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
                  <span aria-hidden="true" className="text-2xl leading-none">
                    {open ? "✕" : "☰"}
                  </span>
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
            glyph=self.topic.glyph,
            nav_link=t.nav_link,
            primary=t.primary_btn,
            cta=_jsx_text(self.topic.cta),
            cta_target=self.cta_target,
            mobile_link=t.mobile_link,
            border=t.border,
        )
        return self.component(
            "Header",
            _js_const("LINKS", self.links()),
            jsx,
            props="{ title }",
            imports='import { useState } from "react";',
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
        jsx = _render(
            """
            <section id="top" className="relative overflow-hidden $hero">
              <div className="mx-auto grid max-w-6xl items-center gap-16 px-4 pt-16 pb-24 sm:px-6 md:grid-cols-2 md:pt-24 lg:px-8">
                <div>
                  <p className="inline-flex items-center gap-2 rounded-full px-4 py-1.5 text-sm font-medium $badge">
                    <span aria-hidden="true">$glyph</span>
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
                    <span className="text-8xl sm:text-9xl">$glyph</span>
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
            glyph=topic.glyph,
            eyebrow=self.text(topic.eyebrow, title_prop=True),
            headline=self.text(self.plan.headline, title_prop=True),
            muted=t.muted,
            intro=self.text(topic.intro, title_prop=True),
            cta_target=self.cta_target,
            primary=t.primary_btn,
            cta=_jsx_text(topic.cta),
            secondary_target=self.secondary[0],
            secondary=t.secondary_btn,
            secondary_label=_jsx_text(self.secondary[1]),
            art=t.art,
            card=t.card,
            badge_value=_jsx_text(badge_value),
            badge_label=_jsx_text(badge_label),
        )
        stats_rows = [{"value": v, "label": label} for v, label in stats]
        return self.component("Hero", _js_const("STATS", stats_rows), jsx, props="{ title }")

    def features(self, index: int) -> str:
        feats = self.topic.features
        cols = "lg:grid-cols-3" if len(feats) % 3 == 0 else "lg:grid-cols-4"
        body = _render(
            """
            <div className="mt-14 grid gap-6 sm:grid-cols-2 $cols">
              {FEATURES.map((feature) => (
                <article
                  key={feature.title}
                  className="rounded-2xl p-6 transition duration-200 hover:-translate-y-1 hover:shadow-lg $card"
                >
                  <span aria-hidden="true" className="grid h-12 w-12 place-items-center rounded-xl text-2xl $icon_box">
                    {feature.icon}
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
            "Features", _js_const("FEATURES", rows), self.section("features", index, body)
        )

    def menu(self, index: int) -> str:
        dishes = self.topic.menu or _GENERIC_MENU
        note = self.topic.menu_note or "Ask us about today’s specials and dietary options."
        body = _render(
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
        return self.component("Menu", _js_const("DISHES", rows), self.section("menu", index, body))

    def products(self, index: int) -> str:
        items = self.topic.products or _GENERIC_PRODUCTS
        tones = self.t.tones
        body = _render(
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
                    <span aria-hidden="true" className="text-7xl transition duration-300 group-hover:scale-110">
                      {product.icon}
                    </span>
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
            _js_const("PRODUCTS", rows),
            self.section("products", index, body),
            imports='import { useState } from "react";',
            before_return=(
                "// The bag lives in this component until the shop has a real checkout.\n"
                "const [bag, setBag] = useState([]);\n\n"
                "function addToBag(name) {\n  setBag((items) => [...items, name]);\n}"
            ),
        )

    def gallery(self, index: int) -> str:
        shots = self.topic.gallery or _GENERIC_GALLERY
        tones = self.t.tones
        cols = "lg:grid-cols-4" if len(shots) == 4 else "lg:grid-cols-3"
        body = _render(
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
                      <span aria-hidden="true" className="text-6xl transition duration-300 group-hover:scale-110">
                        {shot.icon}
                      </span>
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
            "Gallery", _js_const("SHOTS", rows), self.section("gallery", index, body)
        )

    def schedule(self, index: int) -> str:
        sessions = self.topic.schedule or _GENERIC_SCHEDULE
        action = self.topic.schedule_action if self.topic.schedule else "Book"
        body = _render(
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
            action=_jsx_text(action),
            action_label=_js(f"{action}: "),
            secondary=self.t.secondary_btn,
        )
        rows = [
            {"when": w, "time": tm, "name": self.value(n), "detail": self.value(d)}
            for w, tm, n, d in sessions
        ]
        return self.component(
            "Schedule", _js_const("SESSIONS", rows), self.section("schedule", index, body)
        )

    def process(self, index: int) -> str:
        steps = self.topic.steps or _GENERIC_STEPS
        cols = "lg:grid-cols-3" if len(steps) == 3 else "lg:grid-cols-4"
        body = _render(
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
            "Process", _js_const("STEPS", rows), self.section("process", index, body)
        )

    def pricing(self, index: int) -> str:
        tiers = self.topic.tiers or _GENERIC_TIERS
        t = self.t
        body = _render(
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
                        <span aria-hidden="true" className="font-bold $accent">
                          ✓
                        </span>
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
            cta=_jsx_text(self.topic.cta if self.cta_target == "contact" else "Get started"),
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
            "Pricing", _js_const("TIERS", rows), self.section("pricing", index, body)
        )

    def team(self, index: int) -> str:
        people = self.topic.team or _GENERIC_TEAM
        body = _render(
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
            "Team", _js_const("PEOPLE", rows), self.section("team", index, body)
        )

    def testimonials(self, index: int) -> str:
        quotes = self.topic.quotes or _GENERIC_QUOTES
        body = _render(
            """
            <div className="mt-14 grid gap-6 md:grid-cols-3">
              {QUOTES.map((item) => (
                <figure key={item.name} className="flex flex-col rounded-2xl p-8 $card">
                  <p className="$accent">
                    <span aria-hidden="true">★★★★★</span>
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
            "Testimonials", _js_const("QUOTES", rows), self.section("testimonials", index, body)
        )

    def faq(self, index: int) -> str:
        questions = self.topic.faq or _GENERIC_FAQ
        body = _render(
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
            "Faq", _js_const("QUESTIONS", rows), self.section("faq", index, body)
        )

    def contact(self, index: int) -> str:
        t, topic = self.t, self.topic
        slug = re.sub(r"[^a-z0-9]+", "", self.plan.title.lower()) or "hello"
        details = [
            {"icon": "✉️", "label": "Email", "value": f"hello@{slug[:40]}.example"},
            *({"icon": g, "label": label, "value": self.value(v)} for g, label, v in
              topic.details),
        ]
        body = _render(
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
                      <dt className="grid h-12 w-12 shrink-0 place-items-center rounded-xl text-xl $icon_box">
                        <span aria-hidden="true">{detail.icon}</span>
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
                    <p aria-hidden="true" className="text-5xl">
                      $glyph
                    </p>
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
            glyph=topic.glyph,
            input=t.input,
            primary=t.primary_btn,
            submit="Send message",
        )
        return self.component(
            "Contact",
            _js_const("DETAILS", details),
            self.section("contact", index, body, head=False),
            props="{ title }",
            imports='import { useState } from "react";',
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
        jsx = _render(
            """
            <footer className="$footer">
              <div className="mx-auto max-w-6xl px-4 py-14 sm:px-6 lg:px-8">
                <div className="flex flex-col gap-10 md:flex-row md:items-start md:justify-between">
                  <div className="max-w-sm">
                    <a href="#top" className="flex items-center gap-2 text-lg font-bold $title_class">
                      <span aria-hidden="true">$glyph</span>
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
            glyph=self.topic.glyph,
            blurb=self.text(self.topic.footer, title_prop=True),
            link=t.footer_link,
            border=t.footer_border,
        )
        return self.component(
            "Footer",
            _js_const("LINKS", links),
            jsx,
            props="{ title }",
            before_return="const year = new Date().getFullYear();",
        )


def _explanation(plan: SitePlan, paths: Sequence[str]) -> str:
    components = ", ".join(p.rsplit("/", 1)[-1].removesuffix(".jsx") for p in paths
                           if p.startswith("src/components/"))
    p = plan.palette
    lines = [
        f"Built by Paynto's offline generator (rule-based, not AI): a {plan.topic.label} site "
        f"for “{plan.title}”.",
        f"Components: {components}. Palette: {p.primary} on {p.neutral}, "
        f"{'dark' if p.dark else 'light'}. Only React and Tailwind are used, so nothing needs "
        "installing.",
    ]
    if plan.edit_like:
        lines.append(
            "This looks like a change request. The offline generator cannot edit an existing "
            "site, so it wrote a fresh one that follows the request where it can (colours and "
            "sections). Configure a model for real edits."
        )
    return "\n".join(lines)


class OfflineGenerator:
    """Deterministic, rule-based stand-in for a model (not AI).

    It answers any prompt with a complete multi-component site in the same tagged-file format
    a model uses: an ``<explanation>``, then ``src/index.css``, ``src/App.jsx`` and every
    component App imports.
    """

    name = "offline"

    def plan(self, prompt: str) -> SitePlan:
        """What would be built for ``prompt`` (title, topic, palette, sections)."""
        return plan_site(prompt)

    def render(self, prompt: str) -> str:
        """The full tagged answer for ``prompt``; the same prompt always gives the same text."""
        plan = plan_site(prompt)
        files = _Writer(plan).files()
        parts = [f"<explanation>\n{_explanation(plan, [p for p, _ in files])}\n</explanation>"]
        parts += [f'<file path="{path}">\n{content}</file>' for path, content in files]
        return "\n\n".join(parts) + "\n"

    async def stream(self, prompt: str, chunk_size: int = 64) -> AsyncIterator[str]:
        """Yield :meth:`render`'s text in pieces of ``chunk_size`` characters, without delay."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        text = self.render(prompt)
        for start in range(0, len(text), chunk_size):
            yield text[start : start + chunk_size]
