"""scraper settings."""

from paynto_common.settings import CommonSettings


class ScraperSettings(CommonSettings):
    service_name: str = "scraper"
    health_port: int = 9103
