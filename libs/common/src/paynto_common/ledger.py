"""The cost ledger: what model calls cost, from what each job recorded.

Every finished model call is a row (prompt and completion tokens, USD from litellm's price map;
local models cost zero), written when the call ends: spend counts even when the job it served
fails later or runs again. Each job also keeps its own sum in its result. The ledger adds the
rows up for a project, for one person's projects, or for everything; the gateway answers with
it and checks budgets against it, and a build run checks it before each ticket.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from paynto_common.db import COMMIT_NOW, Database, ModelCall, Project, insert_of


async def record(db: Database, job_id: str, project_id: str, model: str, purpose: str,
                 prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
    """Write one finished model call to the ledger, on the project owner's account (which
    keeps it after the project is deleted)."""
    async with db.session() as s:
        project = await s.get(Project, project_id)
        call = ModelCall(job_id=job_id, project_id=project_id,
                         user_id=project.owner_id if project is not None else None,
                         model=model, purpose=purpose, prompt_tokens=prompt_tokens,
                         completion_tokens=completion_tokens, cost_usd=cost_usd)
        await s.exec(insert_of(call), execution_options=COMMIT_NOW)
        await s.commit()


async def usage(db: Database, project_id: str | None = None,
                owner: str | None = None) -> dict[str, Any]:
    """Calls, tokens and cost of the model calls for a project (or for ``owner``'s projects,
    or for every project), in total and by model."""
    query = select(ModelCall)
    if project_id is not None:
        query = query.where(ModelCall.project_id == project_id)
    if owner is not None:
        query = query.where(col(ModelCall.user_id) == owner)
    async with db.session() as s:
        calls = (await s.exec(query)).all()
    total: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                             "cost_usd": 0.0, "by_model": {}}
    for call in calls:
        row = total["by_model"].setdefault(call.model, {
            "calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0})
        for bucket in (total, row):
            bucket["calls"] += 1
            bucket["prompt_tokens"] += call.prompt_tokens
            bucket["completion_tokens"] += call.completion_tokens
            bucket["cost_usd"] += call.cost_usd
    return total


async def over_budget(db: Database, project_id: str, project_usd: float,
                      owner: str | None, owner_usd: float) -> str | None:
    """Why no more model work may start for this project (its budget, or its owner's, is
    spent), or None; a budget of 0 is no limit."""
    if project_usd > 0:
        spent = (await usage(db, project_id))["cost_usd"]
        if spent >= project_usd:
            return (f"the project's model budget of ${project_usd:.2f} is spent "
                    f"(${spent:.4f} used); raise PROJECT_BUDGET_USD to go on")
    if owner_usd > 0 and owner is not None:
        spent = (await usage(db, owner=owner))["cost_usd"]
        if spent >= owner_usd:
            return (f"your model budget of ${owner_usd:.2f} is spent (${spent:.4f} used over "
                    "your projects); ask the operator to raise USER_BUDGET_USD")
    return None
