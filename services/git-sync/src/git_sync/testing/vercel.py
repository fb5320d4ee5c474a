"""A stand-in for Vercel's REST API on loopback: the calls a deploy of prebuilt files makes,
answered as Vercel documents them, so :func:`git_sync.deploys.deploy_vercel` runs unchanged.

- ``POST /v2/files``: the body is stored by its SHA1. The ``x-vercel-digest`` (or
  ``x-now-digest``) header must be that SHA1 and ``Content-Length`` (or ``x-now-size``) the
  body's size: ``400 bad_request`` otherwise. Every accepted upload is counted.
- ``POST /v13/deployments``: ``{name, files: [{file, sha, size}], projectSettings, target}``.
  A digest never uploaded is ``400 {"error": {"code": "missing_files", "missing": [...]}}``;
  a project's first deployment without ``projectSettings`` is ``400
  missing_project_settings``. The deployment starts QUEUED.
- ``GET /v13/deployments/{id}``: BUILDING until it has been asked
  :attr:`VercelDouble.ready_after_polls` times, then READY with its production alias
  assigned, or ERROR with :attr:`VercelDouble.fail_next` as ``errorMessage``.

Without ``Authorization: Bearer <token>`` every call is ``403 {"error": {"code":
"forbidden", "message": "Not authorized", "invalidToken": true}}``, as Vercel answers an
invalid token. Every request is recorded with its ``teamId``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paynto_common.testing.serve import ServedDouble


@dataclass
class VercelDeployment:
    """A deployment as the double keeps it: ``files`` is exactly what was deployed."""

    id: str
    name: str
    target: str | None
    files: dict[str, bytes]
    team_id: str | None
    polls: int = 0
    # Set when it was created while fail_next was: it ends in ERROR with this reason.
    failure: str | None = None

    @property
    def ready_state(self) -> str:
        return "QUEUED" if self.polls == 0 else "BUILDING"

    def as_json(self, state: str) -> dict[str, Any]:
        url = f"{self.name}-{self.id[4:12].lower()}.vercel.app"
        ready = state == "READY"
        answer: dict[str, Any] = {
            "id": self.id, "name": self.name, "url": url, "readyState": state,
            "target": self.target, "projectId": f"prj_{self.name}",
            "alias": [f"{self.name}.vercel.app"] if self.target == "production" else [],
            "aliasAssigned": ready, "aliasError": None,
        }
        if state == "ERROR":
            answer.update(errorCode="BUILD_FAILED", errorMessage=self.failure)
        return answer


@dataclass
class Logged:
    method: str
    path: str
    team_id: str | None
    authorized: bool


@dataclass
class VercelDouble(ServedDouble):
    """The fake Vercel's state (uploaded files, deployments) and its ASGI app."""

    token: str = "vercel-test-token"
    # How many status polls a deployment answers BUILDING before READY (or ERROR).
    ready_after_polls: int = 1
    # The next deployment created fails with this reason.
    fail_next: str | None = None
    blobs: dict[str, bytes] = field(default_factory=dict)
    # The digest of every accepted upload, in order (a file sent twice is here twice).
    uploads: list[str] = field(default_factory=list)
    deployments: dict[str, VercelDeployment] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)
    # How many deployment requests were answered missing_files.
    missing_answers: int = 0
    requests: list[Logged] = field(default_factory=list)
    url: str | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- serving --------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v2/files", self._upload, methods=["POST"]),
            Route("/v13/deployments", self._create, methods=["POST"]),
            Route("/v13/deployments/{id}", self._get, methods=["GET"]),
        ])

    def _authorized(self, request: Request) -> bool:
        ok = request.headers.get("authorization") == f"Bearer {self.token}"
        self.requests.append(Logged(request.method, request.url.path,
                                    request.query_params.get("teamId"), ok))
        return ok

    # -- the API --------------------------------------------------------------------------

    async def _upload(self, request: Request) -> Response:
        if not self._authorized(request):
            return forbidden()
        body = await request.body()
        digest = request.headers.get("x-vercel-digest") or request.headers.get("x-now-digest")
        size = request.headers.get("x-now-size") or request.headers.get("content-length")
        if digest != hashlib.sha1(body).hexdigest():
            return error(400, "bad_request", "The x-vercel-digest header does not match the "
                                             "SHA1 of the file's contents.")
        if size is None or not size.isdigit() or int(size) != len(body):
            return error(400, "bad_request", "The file size does not match Content-Length.")
        self.blobs[digest] = body
        self.uploads.append(digest)
        return JSONResponse({})

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return forbidden()
        try:
            payload = json.loads(await request.body())
            name = payload["name"]
            entries = [(str(e["file"]), str(e["sha"]), int(e["size"])) for e in payload["files"]]
        except (ValueError, KeyError, TypeError):
            return error(400, "bad_request", "Invalid request: `name` and `files` are required.")
        for path, _sha, _size in entries:
            if path.startswith("/") or ".." in path.split("/"):
                return error(400, "bad_request", f"Invalid file path: {path}")
        missing = sorted({sha for _path, sha, _size in entries if sha not in self.blobs})
        if missing:
            self.missing_answers += 1
            return JSONResponse({"error": {"code": "missing_files", "message": "Missing files",
                                           "missing": missing}}, status_code=400)
        for path, sha, size in entries:
            if len(self.blobs[sha]) != size:
                return error(400, "bad_request", f"The size of {path} does not match.")
        if name not in self.projects and "projectSettings" not in payload:
            return error(400, "missing_project_settings",
                         "The `projectSettings` object is required for new projects, but is "
                         "missing in the deployment payload")
        self.projects.add(name)
        deployment = VercelDeployment(
            id=f"dpl_{next(self._ids):012d}", name=name, target=payload.get("target"),
            files={path: self.blobs[sha] for path, sha, _size in entries},
            team_id=request.query_params.get("teamId"), failure=self.fail_next)
        self.fail_next = None
        self.deployments[deployment.id] = deployment
        return JSONResponse(deployment.as_json(deployment.ready_state))

    async def _get(self, request: Request) -> Response:
        if not self._authorized(request):
            return forbidden()
        deployment = self.deployments.get(request.path_params["id"])
        if deployment is None:
            return error(404, "not_found", "Deployment not found")
        deployment.polls += 1
        if deployment.polls < self.ready_after_polls:
            state = deployment.ready_state
        else:
            state = "ERROR" if deployment.failure else "READY"
        return JSONResponse(deployment.as_json(state))


def error(status: int, code: str, message: str) -> JSONResponse:
    """Vercel's error shape (https://vercel.com/docs/rest-api/errors)."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def forbidden() -> JSONResponse:
    """What Vercel answers a missing, invalid or expired token."""
    return JSONResponse({"error": {"code": "forbidden", "message": "Not authorized",
                                   "invalidToken": True}}, status_code=403)
