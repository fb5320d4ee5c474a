"""The HTTP API: ``router`` holds every route of CONTRACT.md (the preview proxy and the studio
page are wired in ``gateway.app``)."""

from fastapi import APIRouter

from gateway.api.routes import health, jobs, plans, projects, sandboxes, tickets, versions

router = APIRouter()
for module in (health, projects, versions, jobs, plans, tickets, sandboxes):
    router.include_router(module.router)

__all__ = ["router"]
