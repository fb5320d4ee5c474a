"""What an orchestrator and Prometheus ask of the gateway."""

from __future__ import annotations

import httpx


async def test_alive_ready_and_measured_by_route_template(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert (await client.get("/api/projects/some-id")).status_code == 404
    metrics = (await client.get("/metrics")).text
    # Labelled by the route's template, never the raw path (which would grow without bound).
    assert 'route="/api/projects/{project_id}"' in metrics
    assert "some-id" not in metrics
