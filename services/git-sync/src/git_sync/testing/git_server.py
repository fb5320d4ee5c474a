"""A git smart-HTTP server on loopback over bare repositories, behind HTTP Basic
authentication by token as GitHub, GitLab and Gitea take it: what the pushes of git-sync are
proven against. Every request it gets is recorded (method, path, whether it carried the
token).

Two backends answer the protocol: dulwich's WSGI application (pure Python, always there), and
git's own ``git http-backend`` run as a CGI program per request (``backend="git"``), the
server most git hosting is built on, when the git binary is installed."""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, make_server

from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class GitServer:
    """A running server: ``url(name)`` is a repository's clone URL."""

    base: str
    repos: dict[str, Repo]
    token: str
    requests: list[tuple[str, str, bool]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}.git"

    def head(self, name: str, branch: str) -> bytes | None:
        refs = self.repos[name].refs
        ref = f"refs/heads/{branch}".encode()
        found: bytes | None = refs.as_dict().get(ref)  # type: ignore[call-overload]
        return found


def _guarded(app: Callable[..., Iterable[bytes]], server: GitServer) -> Callable[..., Any]:
    expected = {"Basic " + base64.b64encode(f"{user}:{server.token}".encode()).decode()
                for user in ("x-access-token", "oauth2", "git")}

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        authorized = environ.get("HTTP_AUTHORIZATION") in expected
        server.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], authorized))
        if not authorized:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                                                ("Content-Type", "text/plain")])
            return [b"authentication required"]
        return app(environ, start_response)

    return wsgi


def http_backend_path() -> Path | None:
    """Where git's ``git-http-backend`` program is, when git is installed."""
    git = shutil.which("git")
    if git is None:
        return None
    exec_path = subprocess.run([git, "--exec-path"], capture_output=True, text=True,
                               check=False).stdout.strip()
    found = Path(exec_path) / "git-http-backend"
    return found if found.is_file() else None


def _git_http_backend(root: Path, program: Path) -> Callable[..., Iterable[bytes]]:
    """A WSGI application running ``git http-backend`` as the CGI program it is, over the
    repositories under ``root`` (a request that got past the token is its REMOTE_USER, which
    is what lets it take a push)."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env = {
            "GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "paynto", "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ["PATH_INFO"], "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""), "CONTENT_LENGTH": str(len(body)),
            "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""),
            "HTTP_CONTENT_ENCODING": environ.get("HTTP_CONTENT_ENCODING", ""),
            "PATH": "/usr/bin:/bin", "HOME": str(root),
        }
        out = subprocess.run([str(program)], input=body, env=env, capture_output=True,
                             check=False).stdout
        head, _, content = out.partition(b"\r\n\r\n")
        if not _:
            head, _, content = out.partition(b"\n\n")
        headers = [tuple(part.strip() for part in line.split(":", 1))
                   for line in head.decode("latin-1").splitlines() if ":" in line]
        status = next((value for name, value in headers if name.lower() == "status"),
                      "200 OK")
        start_response(status, [(n, v) for n, v in headers if n.lower() != "status"])
        return [content]

    return wsgi


@contextlib.contextmanager
def serve_git(root: Path, names: Iterable[str] = ("site",), token: str = "git-token",
              backend: Literal["dulwich", "git"] = "dulwich") -> Iterator[GitServer]:
    """Bare repositories ``names`` under ``root``, served on a free loopback port by dulwich
    or by ``git http-backend`` (RuntimeError when git is not installed)."""
    program = http_backend_path() if backend == "git" else None
    if backend == "git" and program is None:
        raise RuntimeError("git http-backend is not installed")
    repos: dict[str, Repo] = {}
    for name in names:
        path = root / f"{name}.git"
        path.mkdir(parents=True)
        repos[name] = Repo.init_bare(str(path))
    served: dict[str, Any] = {f"/{name}.git": repo for name, repo in repos.items()}
    app = _git_http_backend(root, program) if program is not None \
        else make_wsgi_chain(DictBackend(served))
    server = GitServer(base="", repos=repos, token=token)
    httpd = make_server("127.0.0.1", 0, _guarded(app, server), handler_class=_Quiet)
    server.base = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
