"""A gateway stopped by SIGTERM still writes the spans it held.

uvicorn drains, then raises SIGTERM again with its default action, so the process ends without
running ``atexit``: the tracer provider's own flush at exit never came, and every span of the
last few seconds (the batch processor exports every five) was lost with each stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import nats
import pytest

from paynto_common.bus import Bus
from paynto_common.messages import Subjects
from paynto_common.runtime import free_port, wait_for_port


@pytest.mark.timeout(120)
def test_spans_held_at_sigterm_are_written(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    namespace = "t" + uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "PAYNTO_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "PAYNTO_BUS_NAMESPACE": namespace,
        "GATEWAY_PORT": str(port),
        "PAYNTO_TRACES_FILE": "true",
        # Longer than the test: only the flush at shutdown can write the span.
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
    }
    log = open(tmp_path / "gateway.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gateway"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        marker = uuid.uuid4().hex
        assert httpx.get(f"http://127.0.0.1:{port}/api/projects/{marker}",
                         timeout=30).status_code == 404
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        asyncio.run(drop_streams(nats_url, namespace))
    spans = [json.loads(line) for line in
             (tmp_path / "traces" / "gateway.jsonl").read_text().splitlines()]
    assert [s for s in spans if marker in s["attributes"].get("http.target", "")]


async def drop_streams(nats_url: str, namespace: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        await Bus(nc, Subjects(namespace)).drop_streams()
    finally:
        await nc.close()
