"""Deploy jobs: send a publish's stored build to Vercel or Netlify with its owner's token
(``paynto_common.publishing.request_deploys`` starts one per provider the owner keeps a token
for, once the sandbox pool stored the build).

The site's Vercel project name and Netlify site id are kept on the ``Site``, so each publish
updates the same site there. A deploy that may pass (the provider failed, the network, a
timeout) is retried by the bus with backoff; one that cannot (the token, a refused request)
fails the job and the publish's deploy shows why. Each step is told on the job's stream and
on the project's channel as a ``deploy`` event. Tokens are read from the owner's sealed
secrets and go only to their provider.
"""

from __future__ import annotations

import json
import logging

from opentelemetry import trace
from sqlmodel import select

from git_sync.deploys import Deployed, DeployError, deploy_netlify, deploy_vercel
from git_sync.settings import GitSyncSettings
from paynto_common.bus import Bus
from paynto_common.db import Database, Deploy, JobStatus, Publish, PublishFile, Site, utcnow
from paynto_common.errors import PermanentJobError
from paynto_common.messages import DeployEnded, DeployRequest, DeployView, project_channel, stored
from paynto_common.metrics import DEPLOYS
from paynto_common.publishing import deploy_secret, with_base
from paynto_common.service import end_stream
from paynto_common.telemetry import traced
from paynto_common.vault import Vault, get_secret

__all__ = ["DeployJob"]

log = logging.getLogger(__name__)

# Each provider's documented way to answer every path that is not a file with index.html:
# Netlify's _redirects (a 200 rewrite) and Vercel's vercel.json rewrites (files come first).
SPA_FALLBACK: dict[str, dict[str, bytes]] = {
    "netlify": {"_redirects": b"/*    /index.html   200\n"},
    "vercel": {"vercel.json": json.dumps({"rewrites": [{"source": "/(.*)",
                                                        "destination": "/index.html"}]}).encode()},
}


class DeployJob:
    def __init__(self, settings: GitSyncSettings, bus: Bus, db: Database, vault: Vault) -> None:
        self.settings = settings
        self.bus = bus
        self.db = db
        self.vault = vault

    async def handle(self, req: DeployRequest, attempt: int) -> None:
        job = await self.db.claim_job(req.job_id, attempt, user_id=req.user_id)
        if job is None:
            await end_stream(self.bus, self.db, req.job_id, DeployEnded)
            return
        async with self.db.session() as s:
            publish = await s.get(Publish, req.publish_id)
            site = await s.get(Site, req.project_id)
        if publish is None or site is None:
            raise PermanentJobError(f"publish {req.publish_id} is gone (unpublished?)")
        token = await get_secret(self.db, self.vault, req.user_id,
                                 deploy_secret(req.provider)) if req.user_id else None
        if not token:
            DEPLOYS.labels(req.provider, "failed").inc()
            await self._record(req, "failed", error=f"no {req.provider} token is kept")
            raise PermanentJobError(f"no {req.provider} token is kept for this account")
        files = await self._files(req.publish_id, req.provider)
        await self._record(req, "deploying")
        try:
            done = await self._deploy(req, site, files, token)
        except DeployError as exc:
            DEPLOYS.labels(req.provider, "failed" if exc.permanent else "retry").inc()
            reason = f"{req.provider}: {exc.message}"
            await self._record(req, "failed" if exc.permanent else "deploying", error=reason)
            if exc.permanent:
                raise PermanentJobError(reason) from None
            raise RuntimeError(reason) from None  # redelivered with backoff
        await self._keep_site(req, done)
        await self._record(req, "ready", url=done.url)
        DEPLOYS.labels(req.provider, "ok").inc()
        log.info("publish %s deployed to %s at %s", req.publish_id, req.provider, done.url)
        result = DeployEnded(publish_id=req.publish_id, provider=req.provider, url=done.url)
        await self.db.set_job_status(req.job_id, JobStatus.COMPLETE, result=stored(result))
        await self.bus.publish_event(req.job_id, result, msg_id=f"complete:{req.job_id}")

    @traced("deploy")
    async def _deploy(self, req: DeployRequest, site: Site, files: dict[str, bytes],
                      token: str) -> Deployed:
        trace.get_current_span().set_attributes({"paynto.deploy.provider": req.provider,
                                                 "paynto.deploy.files": len(files)})
        timing = {"timeout": self.settings.deploy_timeout_seconds,
                  "poll_seconds": self.settings.deploy_poll_seconds}
        if req.provider == "vercel":
            return await deploy_vercel(files, token=token, name=site.vercel_project or site.slug,
                                       api_url=self.settings.vercel_api_url,
                                       team_id=self.settings.vercel_team_id, **timing)
        return await deploy_netlify(files, token=token, name=site.slug,
                                    site_id=site.netlify_site_id,
                                    api_url=self.settings.netlify_api_url, **timing)

    async def _files(self, publish_id: str, provider: str) -> dict[str, bytes]:
        """The build as it is served at the site's root there: each page's ``<base>`` is
        ``/``, so a deep link finds the relative assets as it does at ``/sites/``."""
        async with self.db.session() as s:
            rows = (await s.exec(select(PublishFile).where(
                PublishFile.publish_id == publish_id))).all()
        if not rows:
            raise PermanentJobError(f"publish {publish_id} has no stored build")
        files = {row.path: with_base(row.data, "/") if row.media_type.startswith("text/html")
                 else row.data for row in rows}
        # A route of the app (a deep link) answers with its page there too, as at /sites/;
        # a file of the build's own with the same name wins.
        return {**SPA_FALLBACK[provider], **files}

    async def _keep_site(self, req: DeployRequest, done: Deployed) -> None:
        """Remember the provider's site, so the next publish updates it."""
        async with self.db.session() as s:
            site = await s.get(Site, req.project_id)
            if site is None:
                return
            if req.provider == "vercel":
                site.vercel_project = done.site
            else:
                site.netlify_site_id = done.site
            site.updated_at = utcnow()
            s.add(site)
            await s.commit()

    async def _record(self, req: DeployRequest, status: str, *, url: str | None = None,
                      error: str | None = None) -> None:
        """The deploy's state (its own row), and a ``deploy`` event where it is watched."""
        async with self.db.session() as s:
            row = await s.get(Deploy, (req.publish_id, req.provider))
            if row is None:
                row = Deploy(publish_id=req.publish_id, provider=req.provider,
                             job_id=req.job_id)
            row.status, row.url, row.error, row.updated_at = status, url, error, utcnow()
            s.add(row)
            await s.commit()
        view = DeployView(publish_id=req.publish_id, provider=req.provider, status=status,
                          url=url, error=error)
        await self.bus.publish_event(req.job_id, view)
        await self.bus.publish_event(project_channel(req.project_id), view)
