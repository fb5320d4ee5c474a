"""Website scraping and cloning: the service joins the bus now; its jobs arrive in a later release.

Until then a job sent here fails at once with a clear reason instead of waiting forever.
"""

from paynto_common.bus import Delivery, PermanentJobError


async def handle(delivery: Delivery) -> None:
    raise PermanentJobError(
        f"Website scraping and cloning is not available yet ({delivery.subject})"
    )
