"""robots.txt, read by protego (RFC 9309 matching: longest rule wins, ``*`` and ``$``
patterns, the group of the most specific user agent).

Only the rules live here; fetching the file is the service's, through the SSRF guard. What a
missing or failing robots.txt means follows RFC 9309 §2.3.1: a 4xx answer allows everything, a
5xx answer (or none) forbids everything until it can be read.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from protego import Protego

AGENT = "PayntoBot"
# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; past that it is cut.
MAX_ROBOTS_BYTES = 512 * 1024


def robots_url(url: str) -> str:
    """Where the robots.txt that governs ``url`` lives (its scheme, host and port)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


class Robots:
    """The rules of one site's robots.txt."""

    def __init__(self, rules: Protego | None, *, allow_all: bool = False) -> None:
        self._rules = rules
        self._allow_all = allow_all

    @classmethod
    def parse(cls, text: str) -> Robots:
        """The rules of a robots.txt's text."""
        return cls(Protego.parse(text[:MAX_ROBOTS_BYTES]))

    @classmethod
    def allowing_all(cls) -> Robots:
        """No robots.txt (it answered 4xx): everything may be fetched."""
        return cls(None, allow_all=True)

    @classmethod
    def forbidding_all(cls) -> Robots:
        """robots.txt could not be read (5xx, or no answer): nothing may be fetched."""
        return cls(None, allow_all=False)

    @classmethod
    def from_response(cls, status: int | None, text: str = "") -> Robots:
        """The rules a fetch of robots.txt implies: its text on 2xx, everything on 4xx,
        nothing on 5xx or when ``status`` is None (unreachable)."""
        if status is not None and 200 <= status < 300:
            return cls.parse(text)
        if status is not None and 400 <= status < 500:
            return cls.allowing_all()
        return cls.forbidding_all()

    def allowed(self, url: str, agent: str = AGENT) -> bool:
        """May ``agent`` fetch ``url``? (robots.txt itself always may be fetched.)"""
        if self._rules is None:
            return self._allow_all or urlsplit(url).path == "/robots.txt"
        return bool(self._rules.can_fetch(url, agent))

    def crawl_delay(self, agent: str = AGENT) -> float | None:
        """Seconds to wait between requests, when the site asks for it."""
        if self._rules is None:
            return None
        delay = self._rules.crawl_delay(agent)
        return float(delay) if delay is not None else None

    @property
    def sitemaps(self) -> list[str]:
        """The sitemaps robots.txt names."""
        return list(self._rules.sitemaps) if self._rules is not None else []
