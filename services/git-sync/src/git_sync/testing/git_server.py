"""A git smart-HTTP server on loopback (dulwich's WSGI application over bare repositories),
behind HTTP Basic authentication by token as GitHub, GitLab and Gitea take it: what the
pushes of git-sync are proven against. Every request it gets is recorded (method, path,
whether it carried the token)."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
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


@contextlib.contextmanager
def serve_git(root: Path, names: Iterable[str] = ("site",), token: str = "git-token"
              ) -> Iterator[GitServer]:
    """Bare repositories ``names`` under ``root``, served on a free loopback port."""
    repos: dict[str, Repo] = {}
    for name in names:
        path = root / f"{name}.git"
        path.mkdir(parents=True)
        repos[name] = Repo.init_bare(str(path))
    served: dict[str, Any] = {f"/{name}.git": repo for name, repo in repos.items()}
    backend = DictBackend(served)
    server = GitServer(base="", repos=repos, token=token)
    httpd = make_server("127.0.0.1", 0, _guarded(make_wsgi_chain(backend), server),
                        handler_class=_Quiet)
    server.base = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
