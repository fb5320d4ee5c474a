"""What the offline generator knows about each kind of site: its words, palette, copy and
sections (data only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from generator.offline.palette import Palette

Feature = tuple[str, str, str]  # icon, title, text
Dish = tuple[str, str, str]  # name, description, price
Product = tuple[str, str, str]  # icon, name, price
Shot = tuple[str, str]  # icon, caption
Session = tuple[str, str, str, str]  # when, time, name, detail
Step = tuple[str, str]  # title, text
Person = tuple[str, str, str]  # name, role, bio
Quote = tuple[str, str, str]  # quote, name, role
Question = tuple[str, str]  # question, answer
Detail = tuple[str, str, str]  # icon, label, value


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
    icon: str
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


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="coffee",
        label="coffee roastery",
        keywords=(
            "coffee", "caf[eé]", "espresso", "roaster", "roastery", "roasting", "barista",
            "latte", "cappuccino", "coffeehouse", "coffee shop",
        ),
        weak_keywords=("tea", "brew"),
        palette=Palette("amber", "stone"),
        icon="coffee",
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
        stats=(("12", "single origins"), ("48 h", "from roast to shelf"), ("4.9/5", "rating")),
        nav={"features": "Our craft", "gallery": "Roastery"},
        features_title="From green bean to your cup",
        features_intro=(
            "Every step of our coffee is done by hand, in small batches, so each roast tastes "
            "the way it should."
        ),
        features=(
            ("sprout", "Direct trade", "We buy green coffee straight from growers and pay well "
             "above fair-trade prices."),
            ("flame", "Roasted in small batches", "Our 15 kg drum roaster lets us tune every "
             "profile to the bean, never the other way round."),
            ("coffee", "Brewed to order", "Espresso, pour-over or cold brew: every coffee is made "
             "fresh by baristas who care."),
            ("package", "Beans to go", "Take home whole beans or a fresh grind, sealed the day "
             "they leave the roaster."),
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
            ("coffee", "Morning espresso at the bar"),
            ("flame", "The roaster at work"),
            ("coffee", "Fresh beans cooling after the roast"),
            ("croissant", "Pastries from the bakery next door"),
            ("leaf", "The green-coffee room"),
            ("snowflake", "Cold brew on tap"),
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
            ("map-pin", "Address", "12 Roaster Lane, Portland"),
            ("clock", "Opening hours", "Mon–Fri 7:00–17:00 · Sat–Sun 8:00–16:00"),
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
        icon="croissant",
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
            ("wheat", "Stone-milled flour", "We bake with organic flour from a mill two hours "
             "away."),
            ("hourglass", "Long fermentation", "Our sourdough rises for 36 hours for flavour, "
             "crust and easy digestion."),
            ("cake", "Cakes to order", "Birthdays, weddings or just because: tell us the date and "
             "we’ll bake it."),
            ("refresh", "Nothing wasted", "Day-old loaves go to local food banks every evening."),
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
            ("map-pin", "Address", "8 Mill Street, Bristol"),
            ("clock", "Opening hours", "Tue–Sun 7:00–15:00"),
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
        icon="utensils",
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
            ("flame", "Wood-fired cooking", "Most of our menu passes over the oak-fired grill."),
            ("sprout", "Local produce", "Vegetables, meat and cheese from farms a short drive "
             "away."),
            ("wine", "Natural wines", "A short, changing list of low-intervention wines by the "
             "glass."),
            ("party", "Private dining", "Book the back room for birthdays, team dinners and "
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
            ("map-pin", "Address", "27 Harbour Road, Lisbon"),
            ("clock", "Opening hours", "Tue–Sun 17:30–23:00"),
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
        icon="zap",
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
            ("zap", "Lightning fast", "Every page loads in under 100 ms, even with millions of "
             "records."),
            ("refresh", "Automations", "Trigger workflows from any event and stop copying data by "
             "hand."),
            ("chart-bar", "Live dashboards", "Share real-time metrics with your team and your "
             "customers."),
            ("lock", "Secure by default", "SSO, audit logs and encryption at rest on every plan."),
            ("plug", "Integrations", "Connect the tools you already use in one click."),
            ("handshake", "Human support", "Real people answer in minutes, not days."),
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
            ("message", "Live chat", "Weekdays 8:00–20:00 CET"),
            ("map-pin", "Office", "Remote-first, headquartered in Amsterdam"),
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
        icon="sparkle",
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
            ("pencil", "Product design", "Research, flows and polished interfaces for web and "
             "mobile."),
            ("palette", "Brand identity", "Logos, colour and type systems that feel unmistakably "
             "yours."),
            ("laptop", "Front-end development", "Responsive, accessible React sites built to "
             "last."),
            ("flask", "Prototyping", "Clickable prototypes to test ideas before you build them."),
        ),
        sections=("gallery", "features", "testimonials"),
        heads={"gallery": ("Selected work", "Recent projects across product, brand and web.")},
        gallery=(
            ("smartphone", "Banking app redesign"),
            ("shopping-bag", "E-commerce brand refresh"),
            ("chart-bar", "Analytics dashboard"),
            ("palette", "Illustration series"),
            ("globe", "Marketing website"),
            ("puzzle", "Design system"),
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
            ("map-pin", "Based in", "Berlin, working worldwide"),
            ("calendar", "Availability", "Booking projects from next month"),
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
        icon="camera",
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
            ("sun", "Natural light", "Soft, flattering light and real moments, never stiff "
             "poses."),
            ("map", "On location", "At home, in the mountains or at your venue; I travel "
             "worldwide."),
            ("image", "Heirloom prints", "Archival prints and albums made to last for "
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
            ("gem", "Lakeside wedding in June"),
            ("sun", "Golden-hour portraits"),
            ("home", "Family session at home"),
            ("mountain", "Mountain elopement"),
            ("building", "Brand shoot for a design studio"),
            ("leaf", "Garden engagement session"),
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
            ("map-pin", "Based in", "Edinburgh, travelling worldwide"),
            ("clock", "Response time", "Within 24 hours"),
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
        icon="dumbbell",
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
            ("dumbbell", "Strength training", "Barbell and kettlebell sessions that build real, "
             "lasting strength."),
            ("flame", "HIIT classes", "Fast, high-intensity sessions that fit into a lunch "
             "break."),
            ("target", "Personal coaching", "One-to-one programmes with regular check-ins and "
             "progress tracking."),
            ("salad", "Nutrition support", "Simple, sustainable eating plans to back up your "
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
            ("map-pin", "Address", "Unit 4, Foundry Yard, Manchester"),
            ("clock", "Opening hours", "Mon–Fri 5:00–22:00 · Sat–Sun 8:00–18:00"),
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
        icon="lotus",
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
            ("leaf", "Gentle & restorative", "Slow, supported classes to release tension and "
             "rest deeply."),
            ("waves", "Vinyasa flow", "Breath-led movement that builds strength and focus."),
            ("flame", "Meditation", "Guided sits to quiet the mind; no experience needed."),
            ("handshake", "Private sessions", "One-to-one classes tailored to your body and "
             "goals."),
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
            ("map-pin", "Address", "3 Garden Walk, Brighton"),
            ("clock", "Studio hours", "Mon–Fri 6:30–21:00 · Sat–Sun 8:00–18:00"),
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
        icon="rocket",
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
            ("target", "Brand strategy", "Positioning, messaging and naming grounded in real "
             "research."),
            ("palette", "Visual identity", "Logos, type, colour and guidelines that scale."),
            ("laptop", "Websites", "Fast, accessible sites built on modern tools."),
            ("trending-up", "Growth marketing", "SEO, paid social and content that compound over "
             "time."),
        ),
        sections=("features", "gallery", "process", "testimonials"),
        heads={"gallery": ("Selected work", "Recent projects for start-ups, scale-ups and "
                                            "household names.")},
        gallery=(
            ("globe", "Orbit: brand and website"),
            ("leaf", "Verde: packaging system"),
            ("landmark", "Ledger: product launch"),
            ("headphones", "Wave: launch campaign"),
            ("building", "Harbour Hotels: booking site"),
            ("bike", "Spoke: app design"),
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
            ("map-pin", "Studio", "41 Canal Street, Amsterdam"),
            ("calendar", "Availability", "Taking on new projects this quarter"),
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
        icon="landmark",
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
            ("building", "Business advice", "Company formation, contracts and growth planning."),
            ("file-text", "Compliance", "Stay ahead of regulation with clear, practical guidance."),
            ("home", "Property & estates", "Purchases, leases, wills and estate planning."),
            ("handshake", "Disputes & mediation", "Resolve conflicts quickly and fairly, out of "
             "court where possible."),
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
            ("map-pin", "Office", "100 King Street, London"),
            ("clock", "Office hours", "Mon–Fri 9:00–17:30"),
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
        icon="shopping-bag",
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
        stats=(("4.8/5", "2,000 reviews"), ("30 days", "free returns"), ("100%", "plastic-free")),
        nav={"features": "Why us"},
        features_title="Why shop with us",
        features_intro="Small shop, big care: from the materials we choose to the box it "
        "arrives in.",
        features=(
            ("truck", "Fast, free delivery", "Free shipping on orders over $50, delivered in 2–4 "
             "days."),
            ("arrow-return", "Easy returns", "Changed your mind? Send it back within 30 days."),
            ("sprout", "Made responsibly", "Natural materials and fair wages, always."),
            ("gift", "Gift wrapping", "Add a handwritten note and we’ll wrap it for free."),
        ),
        sections=("products", "features", "testimonials"),
        heads={"products": ("New arrivals", "Fresh pieces from this month’s collection, while "
                                            "they last.")},
        products=(
            ("shirt", "Wool overshirt", "$120"),
            ("shopping-bag", "Leather tote", "$145"),
            ("flame", "Cedar candle", "$32"),
            ("shirt", "Merino scarf", "$58"),
            ("shoe", "Canvas sneakers", "$89"),
            ("gem", "Gold-plated ring", "$45"),
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
            ("truck", "Shipping", "Free over $50 · 2–4 working days"),
            ("arrow-return", "Returns", "Free within 30 days"),
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
        icon="plane",
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
        stats=(("45", "destinations"), ("12", "travellers per group"), ("4.9/5", "rating")),
        nav={"gallery": "Destinations", "features": "Why travel with us", "pricing": "Trips"},
        features_title="Travel, done thoughtfully",
        features_intro="Everything we plan is built around people and places, not checklists.",
        features=(
            ("compass", "Local guides", "Experts who live where you’re travelling and know its "
             "secrets."),
            ("users", "Small groups", "Never more than twelve travellers, for a more personal "
             "trip."),
            ("home", "Stays with character", "Boutique hotels and family-run guesthouses, not "
             "chains."),
            ("globe", "Responsible travel", "We balance the carbon of every trip and support local "
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
            ("mountain", "Swiss Alps · 8 days"),
            ("palm-tree", "Greek islands · 10 days"),
            ("mountain", "Iceland ring road · 9 days"),
            ("landmark", "Kyoto and Nara · 12 days"),
            ("sun", "Kenya safari · 7 days"),
            ("utensils", "Mexico City and Oaxaca · 10 days"),
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
            ("phone", "Travel specialists", "Mon–Sat 9:00–19:00"),
            ("map-pin", "Office", "5 Harbour Square, Copenhagen"),
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
        icon="graduation-cap",
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
            ("users", "Expert teachers", "Learn from practitioners with years of real-world "
             "experience."),
            ("users", "Small groups", "Classes of twelve or fewer, so everyone gets attention."),
            ("flask", "Hands-on projects", "Build a portfolio of real work while you learn."),
            ("award", "Certificates", "Earn a certificate that employers recognise."),
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
            ("map-pin", "Campus", "22 College Road, Dublin"),
            ("clock", "Admissions", "Mon–Fri 9:00–18:00"),
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
        icon="guitar",
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
            ("mic", "Live shows", "Every night a different setlist, every song played live."),
            ("disc", "On vinyl", "All records pressed on heavyweight vinyl, signed at the merch "
             "table."),
            ("radio", "Sessions", "Acoustic sessions and radio specials between albums."),
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
            ("disc", "Night Drive · LP, 2025"),
            ("disc", "Static Bloom · EP, 2023"),
            ("music", "Paper Town · LP, 2021"),
            ("mic", "Live at the Lantern · 2024"),
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
            ("ticket", "Booking", "Worldwide, via our agent"),
            ("file-text", "Press kit", "Available on request"),
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
        icon="stethoscope",
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
        stats=(("20+", "years of care"), ("4.9/5", "patient rating"), ("Same day", "visits")),
        nav={"features": "Services"},
        features_title="Our services",
        features_intro="Everything you need under one roof, from check-ups to specialist "
        "treatment.",
        features=(
            ("stethoscope", "Check-ups", "Thorough, unhurried appointments with time for your "
             "questions."),
            ("flask", "Specialist care", "Treatment plans from experienced specialists."),
            ("message", "Online consultations", "Talk to a clinician by video from home."),
            ("accessibility", "Accessible practice", "Step-free access, quiet rooms and flexible "
             "hours."),
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
            ("map-pin", "Address", "14 Riverside Avenue, Leeds"),
            ("clock", "Opening hours", "Mon–Fri 8:00–19:00 · Sat 9:00–13:00"),
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
        icon="home",
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
            ("ruler", "Design & planning", "Plans, permits and budgets sorted before work "
             "begins."),
            ("hammer", "Renovations", "Kitchens, bathrooms, lofts and extensions."),
            ("leaf", "Sustainable homes", "Insulation, heat pumps and solar that cut your "
             "bills."),
            ("brush", "Spotless handover", "We leave every site cleaner than we found it."),
        ),
        sections=("features", "gallery", "process", "testimonials"),
        heads={"gallery": ("Recent projects", "A few homes we’ve been proud to work on.")},
        gallery=(
            ("home", "Victorian terrace renovation"),
            ("utensils", "Open-plan kitchen"),
            ("bath", "Spa-style bathroom"),
            ("sun", "Garden room with a solar roof"),
            ("building", "Two-storey extension"),
            ("tree", "Courtyard landscaping"),
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
            ("map-pin", "Yard", "Unit 9, Station Road, Oxford"),
            ("clock", "Office hours", "Mon–Fri 8:00–18:00 · Sat 9:00–12:00"),
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
        icon="handshake",
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
            ("utensils", "Food support", "Weekly food parcels and a community kitchen open to "
             "all."),
            ("book", "Education", "Homework clubs and mentoring for local young people."),
            ("home", "Housing help", "Advice and emergency support for families at risk."),
            ("tree", "Green spaces", "Volunteers caring for parks and community gardens."),
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
            ("map-pin", "Community centre", "60 Market Street, Glasgow"),
            ("clock", "Open", "Mon–Sat 9:00–17:00"),
        ),
        footer="Neighbours helping neighbours since 2012.",
    ),
)

GENERIC = Topic(
    key="generic",
    label="business",
    keywords=(),
    palette=Palette("blue", "gray"),
    icon="sparkles",
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
        ("star", "Quality first", "We take the time to do things properly, every time."),
        ("handshake", "Personal service", "You’ll always talk to a real person who knows your "
         "name."),
        ("zap", "Fast & reliable", "Clear timelines, quick replies and no surprises."),
        ("message", "Honest advice", "We’ll tell you what you need, and what you don’t."),
    ),
    sections=("features", "process", "testimonials", "faq"),
    contact_title="Get in touch",
    contact_intro="Questions, ideas or a project in mind? Send us a message and we’ll reply "
    "within a day.",
    footer="Made with care, made for you.",
)
