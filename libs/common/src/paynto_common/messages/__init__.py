"""Everything that crosses between services, typed, with the subject names beside it.

- ``subjects``: stream, subject and channel names (no subject string is written elsewhere);
- ``jobs``: one ``<Verb>Request`` per job subject, and the core request/reply messages;
- ``events``: one model per event payload of a job's stream;
- ``results``: what a job's row keeps, per kind of job;
- ``kinds``: which kinds of job there are, and which events each may emit;
- ``scrape``: a scraped page (content and brand), bounded, whichever provider scraped it.
"""

from paynto_common.messages.events import (
    EVENT_MODELS,
    TERMINAL_EVENTS,
    Applied,
    AutoFixReport,
    BatchEnded,
    BatchItemView,
    BlueprintMade,
    Built,
    Completed,
    DeployEnded,
    DeployView,
    Event,
    EventName,
    FileWritten,
    GitPushed,
    GitSyncEnded,
    JobCancelled,
    JobEvent,
    JobFailed,
    JobStarted,
    PackageInstalled,
    PlanMade,
    Planned,
    PreviewError,
    PreviewReady,
    Published,
    RunEnded,
    SandboxKilled,
    SandboxLogs,
    SandboxRestarted,
    Scraped,
    SitePublished,
    Status,
    StreamDelta,
    TicketView,
)
from paynto_common.messages.jobs import (
    ApplyRequest,
    AutoFix,
    BuildRequest,
    CloneRequest,
    CreateSandboxRequest,
    DeployRequest,
    ForwardedJob,
    ForwardedOutcome,
    GenerateRequest,
    GitSyncRequest,
    InstallPackagesRequest,
    JobMessage,
    Message,
    ModelInfo,
    ModelsReply,
    ModelsRequest,
    PlanRequest,
    PublishRequest,
    SandboxCommandRequest,
    ScrapeReply,
    ScrapeRequest,
)
from paynto_common.messages.kinds import (
    JOB_KINDS,
    JobKind,
    stream_problem,
)
from paynto_common.messages.results import (
    FixAnswer,
    GenerateResult,
    ModelUsage,
    ModelWork,
    PlanResult,
    read_result,
    stored,
)
from paynto_common.messages.scrape import (
    Brand,
    BrandColor,
    Form,
    FormField,
    Heading,
    Image,
    Link,
    ScrapedPage,
    Section,
)
from paynto_common.messages.subjects import (
    GENERATOR,
    GIT_SYNC,
    SANDBOX_POOL,
    SCRAPER,
    Subjects,
    batch_channel,
    plan_channel,
    preview_path,
    project_channel,
)

__all__ = [
    "EVENT_MODELS", "GENERATOR", "GIT_SYNC", "JOB_KINDS", "SANDBOX_POOL", "SCRAPER",
    "TERMINAL_EVENTS", "Applied", "ApplyRequest", "AutoFix", "AutoFixReport", "BatchEnded",
    "BatchItemView", "BlueprintMade", "Brand", "BrandColor", "BuildRequest", "Built",
    "CloneRequest", "Completed", "CreateSandboxRequest", "DeployEnded", "DeployRequest",
    "DeployView", "Event", "EventName", "FileWritten", "FixAnswer", "Form", "FormField",
    "ForwardedJob", "ForwardedOutcome", "GenerateRequest", "GenerateResult", "GitPushed",
    "GitSyncEnded", "GitSyncRequest", "Heading", "Image", "InstallPackagesRequest", "JobCancelled",
    "JobEvent", "JobFailed", "JobKind", "JobMessage", "JobStarted", "Link", "Message", "ModelInfo",
    "ModelUsage", "ModelWork", "ModelsReply", "ModelsRequest", "PackageInstalled", "PlanMade",
    "PlanRequest", "PlanResult", "Planned", "PreviewError", "PreviewReady", "PublishRequest",
    "Published", "RunEnded", "SandboxCommandRequest", "SandboxKilled", "SandboxLogs",
    "SandboxRestarted", "ScrapeReply", "ScrapeRequest", "Scraped", "ScrapedPage", "Section",
    "SitePublished", "Status", "StreamDelta", "Subjects", "TicketView", "batch_channel",
    "plan_channel", "preview_path", "project_channel", "read_result", "stored", "stream_problem",
]
