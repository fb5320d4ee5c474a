"""The HTTP API: every route of CONTRACT.md (the preview proxy and the studio page are wired in
``gateway.app``).

``router`` holds the routes a user calls: each depends on :func:`gateway.auth.resolve_user`,
declared once here so a new route cannot forget it. ``public_router`` holds the few anyone may
call: health, metrics, and the steps of signing in. Both refuse a NUL character in the address
(:func:`gateway.api.deps.no_nul_in_url`) before any route reads it.
"""

from fastapi import APIRouter, Depends

from gateway.api.deps import no_nul_in_url
from gateway.api.routes import (
    auth,
    batches,
    git,
    github,
    health,
    jobs,
    plans,
    projects,
    publish,
    sandboxes,
    scrapes,
    tickets,
    versions,
)
from gateway.auth import resolve_user

public_router = APIRouter(dependencies=[Depends(no_nul_in_url)])
public_router.include_router(health.router)
public_router.include_router(auth.public)

router = APIRouter(dependencies=[Depends(no_nul_in_url), Depends(resolve_user)])
for module in (auth, projects, versions, jobs, plans, tickets, sandboxes, scrapes,
               batches, git, github, publish):
    router.include_router(module.router)

__all__ = ["public_router", "router"]
