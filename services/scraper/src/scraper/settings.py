"""scraper settings."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from paynto_common.safety.urls import FetchPolicy, parse_allow_hosts
from paynto_common.settings import CommonSettings


class ScraperSettings(CommonSettings):
    service_name: str = "scraper"
    health_port: int = 9103
    # Who reads a site: the built-in reader (no account), or Firecrawl's API.
    scraper_provider: Literal["local", "firecrawl"] = "local"
    # Hosts the SSRF guard lets through although their address is internal (comma-separated
    # host or host:port): for tests and private deployments. Empty: none.
    scraper_allow_hosts: str = ""
    # Follow robots.txt (RFC 9309). An operator may turn it off for sites they own.
    scraper_respect_robots: bool = True
    # Full-page screenshots with Chromium, when it is installed.
    scraper_screenshots: bool = True
    # Most pages of one site a clone reads (the asked-for one, then same-site links).
    scraper_max_pages: int = 10
    # Seconds to wait between two pages of a site when its robots.txt names no crawl delay.
    scraper_page_delay_seconds: float = 0.0
    # Jobs (clones) one replica runs at once.
    concurrency: int = 4
    # How long a delivered clone may go unheard of (the worker's heartbeat keeps a long read
    # alive) before another replica is given it: what a crashed scraper costs its job.
    ack_wait_seconds: float = 60.0
    max_deliver: int = 5
    firecrawl_api_key: SecretStr | None = None
    # A self-hosted Firecrawl (then the key may be empty).
    firecrawl_api_url: str | None = None

    def fetch_policy(self) -> FetchPolicy:
        """What the scraper's fetches may reach: the SSRF guard's defaults and the allowlist."""
        return FetchPolicy(allow_hosts=parse_allow_hosts(self.scraper_allow_hosts))
