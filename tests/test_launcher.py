"""`make run`'s command (`paynto up`) and `paynto generate`, as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from paynto_common.runtime import free_port
from tests.system import DEPS_CACHE, drop_namespace

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in task.read_text().split():
                found.add(int(child))
                todo.append(int(child))
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_up_generate_and_ctrl_c(tmp_path: Path, nats_url: str) -> None:
    port = free_port()
    namespace = "u" + uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "PAYNTO_DATA_DIR": str(tmp_path / "data"),
        "PAYNTO_BUS_NAMESPACE": namespace,
        "DEPS_CACHE_DIR": str(DEPS_CACHE),
        "LLM_MODEL": "offline",
        "PAYNTO_URL": f"http://127.0.0.1:{port}",
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "paynto_cli.main", "up", "--port", str(port),
         "--health-port-base", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert up.stdout is not None
    try:
        lines = []
        for line in up.stdout:
            lines.append(line)
            if "Studio:" in line:
                break
        assert f"Studio: http://127.0.0.1:{port}" in "".join(lines), "".join(lines)
        services = children_of(up.pid)
        assert len(services) >= 5

        out = tmp_path / "coffee"
        gen = subprocess.run(
            [sys.executable, "-m", "paynto_cli.main", "generate",
             "a landing page for a coffee roastery", "--out", str(out)],
            env=env, capture_output=True, text=True, timeout=180,
        )
        assert gen.returncode == 0, gen.stdout + gen.stderr
        assert "files written" in gen.stdout
        assert "Coffee Roastery" in (out / "src" / "App.jsx").read_text()
        preview = gen.stdout.split("preview: ", 1)[1].split()[0]
        assert httpx.get(preview, timeout=10).status_code == 200

        up.send_signal(signal.SIGINT)  # Ctrl-C
        assert up.wait(timeout=60) == 0
        assert not [pid for pid in services if alive(pid)], "every service stopped"
    finally:
        if up.poll() is None:
            up.kill()
        drop_namespace(nats_url, namespace)


def test_generate_without_a_gateway_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "PAYNTO_URL": f"http://127.0.0.1:{free_port()}"}
    gen = subprocess.run(
        [sys.executable, "-m", "paynto_cli.main", "generate", "x", "--out", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert gen.returncode == 1
    assert "no gateway answers" in gen.stderr
