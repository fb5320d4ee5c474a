"""Publishing a built site (a version's ``dist/`` files, path → bytes) to Vercel or Netlify
with the person's own token, through each service's REST API.

Vercel, as its REST API documents it ("Create a new deployment", ``POST /v13/deployments``;
"Upload Deployment Files", ``POST /v2/files``): the deployment lists every file as
``{file, sha, size}`` (SHA1 of the content). Vercel keeps uploaded files by digest, so the
deployment is asked for first; when it answers ``400 {"error": {"code": "missing_files",
"missing": [sha, ...]}}`` (the shape Vercel's own client reads), exactly those files are
uploaded (``x-vercel-digest`` and ``Content-Length`` headers, the bytes as the body, a few at
a time) and the deployment is asked for once more. A redeploy of unchanged files uploads
nothing. ``projectSettings: {"framework": null}`` is always sent: Vercel requires it for a
project's first deployment (``missing_project_settings`` otherwise) and it keeps Vercel from
building what is already built. ``GET /v13/deployments/{id}`` is polled until ``readyState``
is READY (and the production alias assigned), ERROR or CANCELED. Errors come as
``{"error": {"code", "message"}}``; a missing or bad token is ``403 forbidden``.

Netlify, as its OpenAPI (``createSite``, ``createSiteDeploy``, ``getDeploy``) and its
"deploy with a zip file" guide document it: without a site id a site is created
(``POST /api/v1/sites`` ``{"name"}`` → ``201`` site with ``id`` and ``ssl_url``; a name
someone already has is ``422 {"errors": {"subdomain": ["must be unique"]}}``, and then the
name gets a short random suffix, once); the files go as one zip (``POST
/api/v1/sites/{site_id}/deploys``, ``Content-Type: application/zip``); ``GET
/api/v1/deploys/{deploy_id}`` is polled until ``state`` is ``ready`` or ``error``
(``error_message``). Errors come as ``{"code", "message"}``.

References: https://vercel.com/docs/rest-api/deployments/create-a-new-deployment,
https://vercel.com/docs/rest-api/deployments/upload-deployment-files,
https://vercel.com/docs/rest-api/errors, https://github.com/netlify/open-api (swagger.yml).

Both: ``Authorization: Bearer <token>``. The token is only ever in that header: never in a
URL, a log line or a :class:`DeployError`. The API URLs are operator settings (trusted), so
plain httpx is used, not the SSRF guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import secrets
import zipfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Vercel project names allow up to 100 characters, Netlify subdomains 63; deployment hosts
# add suffixes to the name, so stay well under both.
NAME_LIMIT = 52
FALLBACK_NAME = "paynto-site"
UPLOAD_CONCURRENCY = 4
REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# A zip's timestamps are part of its bytes: a fixed one makes the same files the same zip.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
VERCEL_DONE_BAD = {"ERROR", "CANCELED"}


@dataclass(frozen=True)
class Deployed:
    """A deploy that is live."""

    provider: str  # "vercel" | "netlify"
    url: str  # the live https URL
    deploy_id: str
    # The Vercel project name / Netlify site id, kept so the next deploy reuses it.
    site: str


class DeployError(Exception):
    """A deploy that did not go live. ``message`` is plain words (never the token);
    ``status`` the service's HTTP status when it answered; ``permanent`` says whether trying
    again unchanged is pointless (a refused token, a missing site, a failed build, a refused
    path) or may work (5xx, 429, the network, a timeout)."""

    def __init__(self, message: str, *, status: int | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.permanent = permanent


# -- shared ---------------------------------------------------------------------------------


def site_name(name: str) -> str:
    """``name`` as both services take it: lowercase ASCII letters, digits and single hyphens,
    no hyphen at either end, at most :data:`NAME_LIMIT` characters (Vercel also forbids
    ``---``; Netlify subdomains are DNS labels)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return cleaned[:NAME_LIMIT].rstrip("-") or FALLBACK_NAME


def _checked(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files, once every path is a plain relative one (no ``..``, ``.``, empty part,
    backslash or leading slash): refused before any request."""
    if not files:
        raise DeployError("there are no built files to deploy", permanent=True)
    for path, data in files.items():
        parts = path.split("/")
        if (not path or "\\" in path or "\x00" in path
                or any(part in ("", ".", "..") for part in parts)):
            raise DeployError(f"refused to deploy the path {path!r}", status=422,
                              permanent=True)
        if not isinstance(data, bytes | bytearray):
            raise DeployError(f"{path!r} is not bytes", permanent=True)
    return {path: bytes(data) for path, data in sorted(files.items())}


def _permanent(status: int) -> bool:
    """4xx means the request itself is wrong (token, site, payload), except a timeout or a
    rate limit, which pass."""
    return 400 <= status < 500 and status not in (408, 425, 429)


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@contextlib.asynccontextmanager
async def _client(provider: str, api_url: str, token: str,
                  params: dict[str, str] | None = None) -> AsyncIterator[httpx.AsyncClient]:
    if not token:
        raise DeployError(f"no {provider} token is set", permanent=True)
    async with httpx.AsyncClient(base_url=api_url.rstrip("/"), params=params or {},
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=REQUEST_TIMEOUT) as client:
        yield client


@contextlib.asynccontextmanager
async def _within(provider: str, seconds: float) -> AsyncIterator[None]:
    """Bound a whole deploy (requests and polling) by ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise DeployError(f"the {provider} deploy was not live within {seconds:g} s; it may "
                          f"still finish on {provider}'s side", permanent=False) from None


async def _send(client: httpx.AsyncClient, provider: str, method: str, path: str,
                **kwargs: Any) -> httpx.Response:
    try:
        return await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        # The exception's text can name the URL, never the header with the token.
        raise DeployError(f"{provider} could not be reached ({type(exc).__name__})",
                          permanent=False) from None


def _refused(provider: str, response: httpx.Response, reason: str, token: str) -> DeployError:
    status = response.status_code
    reason = _scrub(reason, token) or response.reason_phrase or "no reason given"
    if status in (401, 403):
        message = (f"{provider} refused the token ({status}: {reason}); check the token and "
                   f"its access")
    else:
        message = f"{provider} answered {status}: {reason}"
    return DeployError(message, status=status, permanent=_permanent(status))


def _https(host: str) -> str:
    return host if host.startswith(("https://", "http://")) else f"https://{host}"


# -- Vercel ---------------------------------------------------------------------------------


def _vercel_error(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _vercel_refused(response: httpx.Response, token: str) -> DeployError:
    error = _vercel_error(response)
    reason = str(error.get("message") or error.get("code") or "")
    return _refused("Vercel", response, reason, token)


async def _vercel_upload(client: httpx.AsyncClient, blobs: Mapping[str, bytes],
                         token: str) -> None:
    """``POST /v2/files`` each blob (by its SHA1), :data:`UPLOAD_CONCURRENCY` at a time."""
    gate = asyncio.Semaphore(UPLOAD_CONCURRENCY)

    async def upload(sha: str, data: bytes) -> None:
        async with gate:
            response = await _send(client, "Vercel", "POST", "/v2/files", content=data,
                                   headers={"Content-Type": "application/octet-stream",
                                            "Content-Length": str(len(data)),
                                            "x-vercel-digest": sha})
        if not response.is_success:
            raise _vercel_refused(response, token)

    try:
        async with asyncio.TaskGroup() as group:
            for sha, data in blobs.items():
                group.create_task(upload(sha, data))
    except ExceptionGroup as failed:
        # The first failure says why; the group's other uploads were cancelled.
        raise failed.exceptions[0] from None
    log.info("uploaded %d file(s) to Vercel", len(blobs))


async def _vercel_create(client: httpx.AsyncClient, body: dict[str, Any],
                         blobs: Mapping[str, bytes], token: str) -> dict[str, Any]:
    """Create the deployment; upload what Vercel says it lacks and ask once more."""
    for attempt in (1, 2):
        response = await _send(client, "Vercel", "POST", "/v13/deployments", json=body)
        if response.is_success:
            created = _json(response)
            if not isinstance(created, dict) or not created.get("id"):
                raise DeployError("Vercel answered the deployment without an id")
            return created
        error = _vercel_error(response)
        if error.get("code") != "missing_files":
            raise _vercel_refused(response, token)
        if attempt == 2:
            raise DeployError("Vercel still lacks files it was just sent; try again",
                              status=response.status_code, permanent=False)
        wanted = error.get("missing")
        missing = ({sha: blobs[sha] for sha in wanted if sha in blobs}
                   if isinstance(wanted, list) else dict(blobs))
        await _vercel_upload(client, missing or blobs, token)
    raise AssertionError("unreachable")


async def _vercel_wait(client: httpx.AsyncClient, deployment: dict[str, Any],
                       poll_seconds: float, token: str) -> dict[str, Any]:
    """Poll until READY with its aliases assigned; ERROR or CANCELED raise with the reason."""
    deployment_id = str(deployment["id"])
    while True:
        state = deployment.get("readyState")
        if state in VERCEL_DONE_BAD:
            reason = (deployment.get("errorMessage") or deployment.get("errorCode")
                      or state.lower())
            raise DeployError(f"the Vercel deployment {deployment_id} ended in {state}: "
                              f"{_scrub(str(reason), token)}", permanent=True)
        alias_error = deployment.get("aliasError")
        if state == "READY" and isinstance(alias_error, dict):
            raise DeployError(f"Vercel built {deployment_id} but could not assign its "
                              f"address: {alias_error.get('message') or alias_error}",
                              permanent=False)
        if state == "READY" and (deployment.get("aliasAssigned") or not deployment.get("alias")):
            return deployment
        await asyncio.sleep(poll_seconds)
        response = await _send(client, "Vercel", "GET", f"/v13/deployments/{deployment_id}")
        if not response.is_success:
            raise _vercel_refused(response, token)
        polled = _json(response)
        if not isinstance(polled, dict):
            raise DeployError("Vercel answered the deployment's state with no JSON")
        deployment = polled


async def deploy_vercel(files: Mapping[str, bytes], *, token: str, name: str,
                        api_url: str = "https://api.vercel.com", team_id: str | None = None,
                        timeout: float = 180.0, poll_seconds: float = 1.0) -> Deployed:
    """Deploy ``files`` as-is (no build) to production of the Vercel project ``name``
    (sanitized by :func:`site_name`; created by the first deploy), under the team
    ``team_id`` when given. Returns once live; raises :class:`DeployError` otherwise,
    :attr:`~DeployError.permanent` False after ``timeout`` seconds."""
    checked = _checked(files)
    project = site_name(name)
    blobs: dict[str, bytes] = {}
    entries = []
    for path, data in checked.items():
        sha = hashlib.sha1(data).hexdigest()
        blobs[sha] = data
        entries.append({"file": path, "sha": sha, "size": len(data)})
    body = {"name": project, "files": entries, "target": "production",
            "projectSettings": {"framework": None}}
    params = {"teamId": team_id} if team_id else None
    async with _client("Vercel", api_url, token, params) as client, _within("Vercel", timeout):
        created = await _vercel_create(client, body, blobs, token)
        log.info("Vercel deployment %s of %s created", created["id"], project)
        ready = await _vercel_wait(client, created, poll_seconds, token)
    aliases = ready.get("alias") or []
    host = aliases[0] if aliases else ready.get("url")
    if not host:
        raise DeployError(f"Vercel gave the deployment {ready['id']} no address")
    return Deployed(provider="vercel", url=_https(str(host)), deploy_id=str(ready["id"]),
                    site=str(ready.get("name") or project))


# -- Netlify --------------------------------------------------------------------------------


def _netlify_reason(response: httpx.Response) -> str:
    body = _json(response)
    if not isinstance(body, dict):
        return ""
    if body.get("message"):
        return str(body["message"])
    errors = body.get("errors")
    if isinstance(errors, dict):
        return "; ".join(f"{field} {', '.join(map(str, problems))}"
                         if isinstance(problems, list) else f"{field} {problems}"
                         for field, problems in errors.items())
    return str(errors or "")


def _name_taken(response: httpx.Response) -> bool:
    body = _json(response)
    return (response.status_code == 422 and isinstance(body, dict)
            and isinstance(body.get("errors"), dict) and "subdomain" in body["errors"])


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """``files`` as a zip, in path order with fixed timestamps: the same files always make
    the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is read
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


async def _netlify_create_site(client: httpx.AsyncClient, name: str,
                               token: str) -> dict[str, Any]:
    """A new site named ``name``, or ``name`` plus a random suffix when someone (anyone:
    Netlify subdomains are global) already has it."""
    for candidate in (name, f"{name[:NAME_LIMIT - 7]}-{secrets.token_hex(3)}"):
        response = await _send(client, "Netlify", "POST", "/api/v1/sites",
                               json={"name": candidate})
        if response.is_success:
            site = _json(response)
            if not isinstance(site, dict) or not site.get("id"):
                raise DeployError("Netlify answered the new site without an id")
            log.info("Netlify site %s (%s) created", site["id"], candidate)
            return site
        if not _name_taken(response):
            break
    raise _refused("Netlify", response, _netlify_reason(response), token)


async def _netlify_wait(client: httpx.AsyncClient, deploy: dict[str, Any],
                        poll_seconds: float, token: str) -> dict[str, Any]:
    deploy_id = str(deploy["id"])
    while True:
        state = deploy.get("state")
        if state == "ready":
            return deploy
        if state == "error":
            reason = deploy.get("error_message") or "no reason given"
            raise DeployError(f"the Netlify deploy {deploy_id} failed: "
                              f"{_scrub(str(reason), token)}", permanent=True)
        await asyncio.sleep(poll_seconds)
        response = await _send(client, "Netlify", "GET", f"/api/v1/deploys/{deploy_id}")
        if not response.is_success:
            raise _refused("Netlify", response, _netlify_reason(response), token)
        polled = _json(response)
        if not isinstance(polled, dict):
            raise DeployError("Netlify answered the deploy's state with no JSON")
        deploy = polled


async def deploy_netlify(files: Mapping[str, bytes], *, token: str, name: str,
                         site_id: str | None = None, api_url: str = "https://api.netlify.com",
                         timeout: float = 180.0, poll_seconds: float = 1.0) -> Deployed:
    """Deploy ``files`` as one zip to the Netlify site ``site_id`` (its production), or to a
    new site named after ``name`` (see :func:`site_name`) when there is none yet: the
    returned :attr:`Deployed.site` is the id to pass next time. Raises
    :class:`DeployError`; a ``site_id`` Netlify does not know is a permanent 404."""
    archive = zip_files(_checked(files))
    site: dict[str, Any] = {}
    async with _client("Netlify", api_url, token) as client, _within("Netlify", timeout):
        if site_id is None:
            site = await _netlify_create_site(client, site_name(name), token)
            site_id = str(site["id"])
        response = await _send(client, "Netlify", "POST", f"/api/v1/sites/{site_id}/deploys",
                               content=archive, headers={"Content-Type": "application/zip"})
        if not response.is_success:
            raise _refused("Netlify", response, _netlify_reason(response), token)
        created = _json(response)
        if not isinstance(created, dict) or not created.get("id"):
            raise DeployError("Netlify answered the deploy without an id")
        log.info("Netlify deploy %s of site %s created", created["id"], site_id)
        ready = await _netlify_wait(client, created, poll_seconds, token)
    url = ready.get("ssl_url") or site.get("ssl_url") or ready.get("deploy_ssl_url")
    if not url:
        raise DeployError(f"Netlify gave the deploy {ready['id']} no address")
    return Deployed(provider="netlify", url=_https(str(url)), deploy_id=str(ready["id"]),
                    site=str(ready.get("site_id") or site_id))
