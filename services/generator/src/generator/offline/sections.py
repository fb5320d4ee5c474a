"""The sections a site can have: which a prompt can ask for by name, their order, their
component and navigation names, and generic copy for topics that bring none."""

from __future__ import annotations

from generator.offline.topics import (
    Dish,
    Person,
    Product,
    Question,
    Quote,
    Session,
    Shot,
    Step,
    Tier,
)

# Copy for the sections a topic does not describe itself.
GENERIC_MENU: tuple[Dish, ...] = (
    ("House special", "Our signature, and the one regulars always order", "$12"),
    ("Seasonal plate", "Whatever is best this week", "$14"),
    ("Light option", "Fresh, simple and quick", "$9"),
    ("Something sweet", "To finish on a high note", "$7"),
)
GENERIC_PRODUCTS: tuple[Product, ...] = (
    ("gift", "Gift card", "$25"),
    ("star", "Signature set", "$60"),
    ("package", "Starter kit", "$35"),
    ("receipt", "Annual plan", "$120"),
)
GENERIC_GALLERY: tuple[Shot, ...] = (
    ("sparkles", "A recent highlight"),
    ("handshake", "Working with our customers"),
    ("trophy", "A project we’re proud of"),
    ("star", "Behind the scenes"),
    ("camera", "The team at work"),
    ("party", "Celebrating a milestone"),
)
GENERIC_SCHEDULE: tuple[Session, ...] = (
    ("Mon", "10:00", "Open day", "Meet the team · 60 min"),
    ("Wed", "18:00", "Workshop", "Hands-on · 90 min"),
    ("Sat", "11:00", "Questions & answers", "All welcome · 45 min"),
)
GENERIC_TIERS: tuple[Tier, ...] = (
    Tier("Basic", "$19", "/month", "Everything you need to get started.",
         ("Core features", "Email support")),
    Tier("Standard", "$49", "/month", "Our most popular choice.",
         ("Everything in Basic", "Priority support", "Monthly check-in"), featured=True),
    Tier("Premium", "$99", "/month", "For those who want it all.",
         ("Everything in Standard", "Dedicated contact", "Custom options")),
)
GENERIC_STEPS: tuple[Step, ...] = (
    ("Tell us what you need", "A short call or message is all it takes to start."),
    ("We make a plan", "A clear proposal with honest prices and timings."),
    ("We get it done", "Regular updates from start to finish."),
    ("We stay in touch", "Support whenever you need it afterwards."),
)
GENERIC_TEAM: tuple[Person, ...] = (
    ("Jamie Carter", "Founder", "Started {title} to do things properly."),
    ("Alex Morgan", "Operations", "Keeps everything running smoothly."),
    ("Riley Chen", "Customer care", "Your first point of contact."),
)
GENERIC_QUOTES: tuple[Quote, ...] = (
    ("Friendly, professional and genuinely helpful from start to finish.", "Sarah Collins",
     "Customer"),
    ("{title} did exactly what they promised, on time and on budget.", "Michael Ross",
     "Customer"),
    ("I recommend them to everyone I know.", "Aiyana Brooks", "Customer"),
)
GENERIC_FAQ: tuple[Question, ...] = (
    ("How do I get started?", "Send us a message using the form below and we’ll reply "
     "within one working day."),
    ("What does it cost?", "Prices depend on what you need. We always quote upfront, with no "
     "hidden fees."),
    ("Where are you based?", "We work locally and online, so wherever you are, we can help."),
)

# Sections a prompt can ask for by name, on top of those its topic brings.
SECTION_REQUESTS: tuple[tuple[str, str], ...] = (
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
SECTION_ORDER = (
    "products", "features", "menu", "gallery", "schedule", "process", "pricing", "team",
    "testimonials", "faq",
)
MAX_SECTIONS = 6

COMPONENT = {
    "features": "Features", "menu": "Menu", "products": "Products", "gallery": "Gallery",
    "schedule": "Schedule", "process": "Process", "pricing": "Pricing", "team": "Team",
    "testimonials": "Testimonials", "faq": "Faq",
}
NAV_LABEL = {
    "features": "Features", "menu": "Menu", "products": "Shop", "gallery": "Gallery",
    "schedule": "Schedule", "process": "How it works", "pricing": "Pricing", "team": "Team",
    "testimonials": "Reviews", "faq": "FAQ", "contact": "Contact",
}
HEADS = {
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
