"""The cost ledger: what model calls cost, from what each job recorded.

Every job that called a model keeps its summed usage (prompt and completion tokens, USD from
litellm's price map; local models cost zero) in its result. The ledger adds those up for a
project, for one person's projects, or for everything; the gateway answers with it and checks
budgets against it, and a build run checks it before each ticket.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from paynto_common.db import Database, Job, Project

# The kinds of job that call a model.
MODEL_JOBS = ("generate", "ticket", "plan")


async def usage(db: Database, project_id: str | None = None,
                owner: str | None = None) -> dict[str, Any]:
    """Calls, tokens and cost of the model jobs of a project (or of ``owner``'s projects, or
    of every project), in total and by model."""
    query = select(Job).where(col(Job.kind).in_(MODEL_JOBS))
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    if owner is not None:
        query = query.join(Project, col(Project.id) == col(Job.project_id)).where(
            Project.owner_id == owner)
    async with db.session() as s:
        jobs = (await s.exec(query)).all()
    total: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                             "cost_usd": 0.0, "by_model": {}}
    for job in jobs:
        spent = (job.result or {}).get("usage")
        if not isinstance(spent, dict):
            continue
        row = total["by_model"].setdefault(job.model or "unknown", {
            "calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0})
        for bucket in (total, row):
            bucket["calls"] += 1
            bucket["prompt_tokens"] += int(spent.get("prompt_tokens") or 0)
            bucket["completion_tokens"] += int(spent.get("completion_tokens") or 0)
            bucket["cost_usd"] += float(spent.get("cost_usd") or 0.0)
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
