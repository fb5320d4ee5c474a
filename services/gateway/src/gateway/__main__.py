"""Run the gateway: ``python -m gateway``."""

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from paynto_common.settings import configure_logging
from paynto_common.telemetry import setup_tracing

settings = GatewaySettings()
configure_logging(settings.log_level, settings.log_format, "gateway")
settings.log_summary()
setup_tracing("gateway", settings)
uvicorn.run(
    create_app(settings),
    host=settings.gateway_host,
    port=settings.gateway_port,
    log_level="warning",
    # uvicorn's records go through the service's handler (JSON with LOG_FORMAT=json).
    log_config=None,
    timeout_graceful_shutdown=5,
    # The client address is ours to work out (TRUSTED_PROXIES, gateway.client_address): uvicorn
    # must not rewrite it from X-Forwarded-For on its own.
    proxy_headers=False,
)
