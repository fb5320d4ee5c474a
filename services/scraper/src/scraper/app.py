"""Wiring of the scraper: the worker and its routes.

It joins the bus and answers health checks now; its jobs (scraping, cloning, batches) arrive
in a later release. Until then a job sent here fails at once with a clear reason instead of
waiting forever.
"""

from __future__ import annotations

from paynto_common.bus import Router
from paynto_common.messages import SCRAPER
from paynto_common.service import Worker
from scraper.settings import ScraperSettings


def router() -> Router:
    return Router({}, unrouted="website scraping and cloning is not available yet:")


async def run(settings: ScraperSettings) -> None:
    await Worker(settings, SCRAPER).run(router())
