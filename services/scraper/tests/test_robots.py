"""robots.txt: who may fetch what, how slowly, and what a missing or failing file means."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.robots import Robots, robots_url

ROBOTS = (Path(__file__).parent / "sites" / "roastery" / "robots.txt").read_text()
SITE = "https://emberandoak.example"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://e.example/a/b?c=d#e", "https://e.example/robots.txt"),
    ("http://e.example:8080/x", "http://e.example:8080/robots.txt"),
    ("https://user@e.example", "https://user@e.example/robots.txt"),
    ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/robots.txt"),
])
def test_where_robots_txt_lives(url: str, expected: str) -> None:
    assert robots_url(url) == expected


def test_our_own_group_is_followed_over_the_wildcard_one() -> None:
    robots = Robots.parse(ROBOTS)
    assert not robots.allowed(f"{SITE}/private/recipes")
    # Our group allows everything else, /admin/ included (only the * group forbids it).
    assert robots.allowed(f"{SITE}/admin/")
    assert robots.allowed(f"{SITE}/menu.html")
    assert robots.crawl_delay() == 2.0
    # The agent is matched by its product token, whatever the case or version.
    assert not robots.allowed(f"{SITE}/private/", "paynTObot/0.3 (+https://paynto.example)")


def test_other_agents_follow_theirs() -> None:
    robots = Robots.parse(ROBOTS)
    assert not robots.allowed(f"{SITE}/admin/users", "SomeBot")
    assert not robots.allowed(f"{SITE}/cart", "SomeBot")
    assert robots.allowed(f"{SITE}/shop/beans", "SomeBot")
    assert robots.crawl_delay("SomeBot") is None
    assert not robots.allowed(f"{SITE}/", "GreedyBot")
    assert robots.sitemaps == [f"{SITE}/sitemap.xml"]


def test_the_longest_rule_wins_and_patterns_match() -> None:
    robots = Robots.parse("User-agent: *\nDisallow: /\nAllow: /blog/\nDisallow: /*.pdf$\n"
                          "Crawl-delay: 0.5\n")
    assert robots.allowed("https://e.example/blog/post")
    assert not robots.allowed("https://e.example/about")
    assert not robots.allowed("https://e.example/blog/report.pdf")
    assert robots.allowed("https://e.example/blog/report.pdf.html")
    assert robots.crawl_delay() == 0.5


def test_an_empty_or_unreadable_file_allows_everything() -> None:
    for text in ("", "<html>Not a robots file</html>", "\x00\x01garbage"):
        assert Robots.parse(text).allowed("https://e.example/anything")


@pytest.mark.parametrize(("status", "allowed"), [
    (200, False), (404, True), (410, True), (403, True), (500, False), (503, False),
    (None, False),
])
def test_what_the_answer_for_robots_txt_means(status: int | None, allowed: bool) -> None:
    robots = Robots.from_response(status, "User-agent: *\nDisallow: /x\n")
    assert robots.allowed("https://e.example/x/page") is allowed
    # robots.txt itself may always be read again.
    assert robots.allowed("https://e.example/robots.txt")


def test_a_huge_file_is_read_only_so_far() -> None:
    rules = "User-agent: *\n" + "Disallow: /filler/\n" * 40_000 + "Disallow: /late/\n"
    robots = Robots.parse(rules)
    assert not robots.allowed("https://e.example/filler/x")
    assert robots.allowed("https://e.example/late/x")
