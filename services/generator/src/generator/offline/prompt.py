"""Reading a prompt with plain rules: its topic (a keyword table), the site's name (a few
patterns), its palette (colour words) and its sections, decided once as a :class:`SitePlan`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from generator.offline.palette import Palette
from generator.offline.sections import MAX_SECTIONS, SECTION_ORDER, SECTION_REQUESTS
from generator.offline.topics import GENERIC, TOPICS, Topic

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
    for t in TOPICS
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
    return best[2] if best else GENERIC


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
    if topic is not GENERIC:
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
    for kind, pattern in SECTION_REQUESTS:
        if kind in sections or not re.search(rf"\b(?:{pattern})\b", prompt, re.IGNORECASE):
            continue
        rank = SECTION_ORDER.index(kind)
        at = next(
            (i for i, s in enumerate(sections) if SECTION_ORDER.index(s) > rank), len(sections)
        )
        sections.insert(at, kind)
    # A requested section counts for more than a default one, so trim the topic's own first.
    while len(sections) > MAX_SECTIONS:
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
