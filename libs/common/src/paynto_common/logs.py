"""How the services' log records are written: readable text, or one JSON object a line.

A log line is worth most when it can be joined to the rest of what happened: every record
carries the service, the current trace and span ids (the trace the bus carried into the job),
and the job and project being handled. The job's ids live in a context variable that the
job bus sets around each delivery (:func:`bind_job`), so a line logged anywhere below a
handler (a domain module that knows nothing of jobs) still names its job.

Nothing here adds text to a record: a line holds its message, and the exception's traceback
when there was one, as the code logged them (the code already keeps tokens out of both).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

__all__ = ["JobScope", "bind_job", "current_job", "log_handler", "unbind_job"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(job_tag)s: %(message)s"


@dataclass(frozen=True)
class JobScope:
    """The job a task is handling, as log lines name it."""

    job_id: str | None = None
    project_id: str | None = None
    kind: str | None = None


_job: ContextVar[JobScope | None] = ContextVar("paynto_job", default=None)


def bind_job(job_id: str | None, project_id: str | None = None,
             kind: str | None = None) -> Token[JobScope | None]:
    """Name the job this task handles in its log lines, until :func:`unbind_job`."""
    return _job.set(JobScope(job_id, project_id, kind))


def unbind_job(token: Token[JobScope | None]) -> None:
    """End what :func:`bind_job` began (the task's lines name the job before it, if any)."""
    _job.reset(token)


def current_job() -> JobScope | None:
    """The job this task is handling, if any."""
    return _job.get()


class ContextFilter(logging.Filter):
    """Adds the service, the current trace and span ids and the current job to each record
    (a filter on the handler, so records of every logger get them)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        job = _job.get()
        record.job_id = job.job_id if job else None
        record.project_id = job.project_id if job else None
        record.job_tag = f" [job {job.job_id}]" if job and job.job_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, service,
    trace_id, span_id, job_id and project_id when known, and ``exception`` (the traceback)
    when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
        }
        for name in ("trace_id", "span_id", "job_id", "project_id"):
            value = getattr(record, name, None)
            if value:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_handler(fmt: str, service: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``fmt`` ("text" or "json") lines to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter(service))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler
