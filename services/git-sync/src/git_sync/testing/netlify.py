"""A stand-in for Netlify's API on loopback: the calls a zip deploy makes, answered as
Netlify's OpenAPI (``createSite``, ``createSiteDeploy``, ``getDeploy``) documents them, so
:func:`git_sync.deploys.deploy_netlify` runs unchanged.

- ``POST /api/v1/sites`` ``{"name"}``: ``201`` and the site (``id``, ``name``, ``url``,
  ``ssl_url``, ``admin_url``). Names are global on Netlify: a name any site has, or one in
  :attr:`NetlifyDouble.taken_names` (someone else's), is ``422 {"errors": {"subdomain":
  ["must be unique"]}}``.
- ``POST /api/v1/sites/{site_id}/deploys`` with ``Content-Type: application/zip``: the zip is
  unpacked and kept (:attr:`NetlifyDeploy.files`, and the raw :attr:`NetlifyDeploy.archive`);
  the deploy starts ``uploaded``. An unknown site is ``404``.
- ``GET /api/v1/deploys/{deploy_id}``: ``processing`` until asked
  :attr:`NetlifyDouble.ready_after_polls` times, then ``ready``, or ``error`` with
  :attr:`NetlifyDouble.fail_next` as ``error_message``.

Without ``Authorization: Bearer <token>`` every call is ``401 {"code": 401, "message":
"Access Denied"}`` (Netlify's documented error model, ``{code, message}``).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paynto_common.testing.serve import ServedDouble


@dataclass
class NetlifySite:
    id: str
    name: str

    @property
    def ssl_url(self) -> str:
        return f"https://{self.name}.netlify.app"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "site_id": self.id, "name": self.name, "state": "current",
                "url": f"http://{self.name}.netlify.app", "ssl_url": self.ssl_url,
                "admin_url": f"https://app.netlify.com/sites/{self.name}"}


@dataclass
class NetlifyDeploy:
    """A deploy as the double keeps it: ``files`` is exactly what was deployed."""

    id: str
    site: NetlifySite
    files: dict[str, bytes]
    archive: bytes
    polls: int = 0
    failure: str | None = None

    def as_json(self, state: str) -> dict[str, Any]:
        answer = {"id": self.id, "site_id": self.site.id, "state": state,
                  "name": self.site.name, "url": f"http://{self.site.name}.netlify.app",
                  "ssl_url": self.site.ssl_url,
                  "deploy_url": f"http://{self.id}--{self.site.name}.netlify.app",
                  "deploy_ssl_url": f"https://{self.id}--{self.site.name}.netlify.app",
                  "admin_url": f"https://app.netlify.com/sites/{self.site.name}",
                  "error_message": None, "draft": False, "context": "production"}
        if state == "error":
            answer["error_message"] = self.failure
        return answer


@dataclass
class NetlifyDouble(ServedDouble):
    """The fake Netlify's state (sites, deploys) and its ASGI app."""

    token: str = "netlify-test-token"
    # How many status polls a deploy answers "processing" before "ready" (or "error").
    ready_after_polls: int = 1
    # The next deploy created fails with this reason.
    fail_next: str | None = None
    # Subdomains other Netlify accounts hold.
    taken_names: set[str] = field(default_factory=set)
    sites: dict[str, NetlifySite] = field(default_factory=dict)
    deployments: dict[str, NetlifyDeploy] = field(default_factory=dict)
    # (method, path, authorized) of every request, in order.
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    url: str | None = None

    def add_site(self, name: str) -> NetlifySite:
        """A site that already exists (made by an earlier deploy or by hand)."""
        site = NetlifySite(id=str(uuid.uuid4()), name=name)
        self.sites[site.id] = site
        return site

    # -- serving --------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/v1/sites", self._create_site, methods=["POST"]),
            Route("/api/v1/sites/{site_id}/deploys", self._create_deploy, methods=["POST"]),
            Route("/api/v1/deploys/{deploy_id}", self._get_deploy, methods=["GET"]),
        ])

    def _authorized(self, request: Request) -> bool:
        ok = request.headers.get("authorization") == f"Bearer {self.token}"
        self.requests.append((request.method, request.url.path, ok))
        return ok

    # -- the API --------------------------------------------------------------------------

    async def _create_site(self, request: Request) -> Response:
        if not self._authorized(request):
            return access_denied()
        try:
            name = str(json.loads(await request.body()).get("name") or "")
        except (ValueError, AttributeError):
            return error(400, "Invalid JSON")
        if not name:
            name = f"site-{uuid.uuid4().hex[:8]}"  # Netlify picks a random name
        if name in self.taken_names or any(s.name == name for s in self.sites.values()):
            return JSONResponse({"errors": {"subdomain": ["must be unique"]}}, status_code=422)
        return JSONResponse(self.add_site(name).as_json(), status_code=201)

    async def _create_deploy(self, request: Request) -> Response:
        if not self._authorized(request):
            return access_denied()
        site = self.sites.get(request.path_params["site_id"])
        if site is None:
            return error(404, "Not Found")
        if request.headers.get("content-type") != "application/zip":
            return error(422, "This double takes deploys as application/zip only")
        archive = await request.body()
        try:
            files = unzip(archive)
        except (zipfile.BadZipFile, ValueError) as exc:
            return error(422, f"Invalid zip: {exc}")
        deploy = NetlifyDeploy(id=uuid.uuid4().hex[:24], site=site, files=files,
                               archive=archive, failure=self.fail_next)
        self.fail_next = None
        self.deployments[deploy.id] = deploy
        return JSONResponse(deploy.as_json("uploaded"))

    async def _get_deploy(self, request: Request) -> Response:
        if not self._authorized(request):
            return access_denied()
        deploy = self.deployments.get(request.path_params["deploy_id"])
        if deploy is None:
            return error(404, "Not Found")
        deploy.polls += 1
        if deploy.polls < self.ready_after_polls:
            state = "processing"
        else:
            state = "error" if deploy.failure else "ready"
        return JSONResponse(deploy.as_json(state))


def unzip(archive: bytes) -> dict[str, bytes]:
    """The files of a zip (directories left out); a path that escapes the root is refused,
    as Netlify refuses it."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        for info in opened.infolist():
            if info.is_dir():
                continue
            if info.filename.startswith("/") or ".." in info.filename.split("/"):
                raise ValueError(f"unsafe path {info.filename!r}")
            files[info.filename] = opened.read(info)
    return files


def error(status: int, message: str) -> JSONResponse:
    """Netlify's error model: ``{code, message}``."""
    return JSONResponse({"code": status, "message": message}, status_code=status)


def access_denied() -> JSONResponse:
    return error(401, "Access Denied")
