"""Run the scraper service: ``python -m scraper``."""

import asyncio

from scraper.app import run
from scraper.settings import ScraperSettings

asyncio.run(run(ScraperSettings()))
