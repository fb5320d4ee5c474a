"""Which kinds of job there are: for each, the subject it goes to, its request, the result
its row keeps, and the events its stream may carry. Clients and tests read this one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from paynto_common.messages.events import (
    EVENT_MODELS,
    Applied,
    Built,
    DeployEnded,
    EventName,
    GitSyncEnded,
    Published,
    SandboxKilled,
    SandboxLogs,
    SandboxRestarted,
)
from paynto_common.messages.jobs import (
    ApplyRequest,
    BuildRequest,
    CloneRequest,
    CreateSandboxRequest,
    DeployRequest,
    GenerateRequest,
    GitSyncRequest,
    InstallPackagesRequest,
    JobMessage,
    PlanRequest,
    PublishRequest,
    SandboxCommandRequest,
)
from paynto_common.messages.results import GenerateResult, PlanResult
from paynto_common.messages.subjects import Subjects

_ENDS: frozenset[EventName] = frozenset({"job", "complete", "error", "cancelled"})
_APPLY: frozenset[EventName] = _ENDS | {"status", "file", "package", "preview",
                                        "preview_error"}


@dataclass(frozen=True)
class JobKind:
    name: str
    subject: Callable[[Subjects], str]
    request: type[JobMessage]
    result: type[BaseModel]
    events: frozenset[EventName]


def _kinds(*kinds: JobKind) -> dict[str, JobKind]:
    return {kind.name: kind for kind in kinds}


JOB_KINDS: dict[str, JobKind] = _kinds(
    # A prompt: the model's answer streams, then the sandbox pool applies it (and the fix
    # loop may send errors back to the model, streaming again).
    JobKind("generate", lambda s: s.generate, GenerateRequest, GenerateResult,
            _APPLY | {"stream"}),
    JobKind("ticket", lambda s: s.generate, GenerateRequest, GenerateResult,
            _APPLY | {"stream"}),
    # A site to clone: the scraper reads it, then it goes on as a generate job (same id).
    JobKind("clone", lambda s: s.scrape, CloneRequest, GenerateResult,
            _APPLY | {"stream", "scrape"}),
    JobKind("plan", lambda s: s.plan, PlanRequest, PlanResult,
            _ENDS | {"status", "stream", "blueprint", "ticket", "plan_complete"}),
    JobKind("apply", lambda s: s.apply, ApplyRequest, Applied, _APPLY),
    JobKind("restore", lambda s: s.apply, ApplyRequest, Applied, _APPLY),
    JobKind("sandbox", lambda s: s.sandbox_create, CreateSandboxRequest, Applied,
            _ENDS | {"status", "package", "preview"}),
    JobKind("install", lambda s: s.install, InstallPackagesRequest, Applied,
            _ENDS | {"status", "package", "preview"}),
    # A production build of a version (a batch's check after a clone).
    JobKind("build", lambda s: s.build, BuildRequest, Built, _ENDS | {"status"}),
    # The project's new versions pushed to its git remote (git-sync), one commit each.
    JobKind("git-sync", lambda s: s.git_commit, GitSyncRequest, GitSyncEnded,
            _ENDS | {"status", "git_sync"}),
    # A version built and stored to be served at /sites/<slug>/ (the sandbox pool), then
    # each deploy to Vercel or Netlify the owner has a token for (git-sync).
    JobKind("publish", lambda s: s.publish, PublishRequest, Published, _ENDS | {"status"}),
    JobKind("deploy", lambda s: s.deploy, DeployRequest, DeployEnded,
            _ENDS | {"status", "deploy"}),
    JobKind("sandbox-logs", lambda s: s.sandbox_command, SandboxCommandRequest, SandboxLogs,
            _ENDS),
    JobKind("sandbox-kill", lambda s: s.sandbox_command, SandboxCommandRequest, SandboxKilled,
            _ENDS),
    JobKind("sandbox-restart", lambda s: s.sandbox_command, SandboxCommandRequest,
            SandboxRestarted, _ENDS | {"status", "preview"}),
)

def stream_problem(kind: str, event: str, data: dict[str, Any]) -> str | None:
    """What is wrong with an event seen on a ``kind`` job's stream (one the kind may not emit,
    or a payload its model does not read); None when it is as the table says."""
    spec = JOB_KINDS[kind]
    if event not in spec.events:
        return f"a {kind} job may not emit {event!r}"
    model = spec.result if event == "complete" else EVENT_MODELS[event]
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return f"{event} {data!r} is not a {model.__name__}: {exc.errors()[0]['msg']}"
    return None
