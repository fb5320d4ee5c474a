"""Run the scraper service: ``python -m scraper``."""

import asyncio

from paynto_common.messages import SCRAPER
from paynto_common.service import Worker
from scraper.handler import handle
from scraper.settings import ScraperSettings


async def main() -> None:
    await Worker(ScraperSettings(), SCRAPER).run(handle)


asyncio.run(main())
