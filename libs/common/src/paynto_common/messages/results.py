"""What a job keeps in its row's ``result`` column, typed per kind of job.

A model job's row holds what its model calls did (why that model, the usage, each fix round's
answer) beside the result its ``complete`` event told. The generator writes the first part,
the sandbox pool the second; each reads the other's through these models, never a free dict.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from paynto_common.messages.events import Applied, Planned

R = TypeVar("R", bound=BaseModel)


class ModelUsage(BaseModel):
    """Tokens and cost of one or more model calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: ModelUsage) -> ModelUsage:
        return ModelUsage(prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                          completion_tokens=self.completion_tokens + other.completion_tokens,
                          cost_usd=self.cost_usd + other.cost_usd)


class FixAnswer(BaseModel):
    """The model's answer to one fix round, kept so a redelivery does not ask again."""

    response: str
    model: str
    reason: str = ""
    usage: ModelUsage | None = None


class ModelWork(BaseModel):
    """What the generator records of a job's model calls."""

    model_config = ConfigDict(extra="ignore")
    model_reason: str | None = None
    # The model that failed when a fallback one wrote the answer.
    fallback_from: str | None = None
    usage: ModelUsage | None = None
    # Fix rounds' answers, by round ("1", "2", ...).
    fixes: dict[str, FixAnswer] = Field(default_factory=dict)


class GenerateResult(ModelWork, Applied):
    """The row of a generate, ticket or clone job: its model work and the applied change."""

    # A clone's: the site it copies and the stored scrape (``db.Scrape``) it was written from.
    cloned_url: str | None = None
    scrape_id: str | None = None


class PlanResult(ModelWork, Planned):
    """The row of a planning job: its model work and the stored plan."""

    plan_id: str = ""
    tickets: int = 0


def read_result(result: dict[str, Any] | None, model: type[R]) -> R:
    """A row's stored result as ``model`` (empty when nothing is stored yet)."""
    return model.model_validate(result or {})


def stored(result: BaseModel) -> dict[str, Any]:
    """A result as the row stores it (fields that are None left out)."""
    return result.model_dump(mode="json", exclude_none=True)
