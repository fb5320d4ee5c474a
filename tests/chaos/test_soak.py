"""Chaos: a small soak. Twelve people send 150 prompts, each waiting for one before the next,
through the real system while the generator and the sandbox pool are SIGKILLed and restarted
every second and a half (bench/soak.py's load, kept short; ``make bench BENCH=soak`` runs
1,000 jobs from 50 clients). Every job ends, once, with the version it stored: none lost, none
duplicated, none failed, and no service dies but those killed. Counts only; the times are the
benchmark's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import KILL_TARGETS, details, soak, soak_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CLIENTS = 12
JOBS = 150
# At most this many kills (a slow machine is not killed for ever); at least MIN_KILLS happen
# while the clients are still sending, or the test proves nothing.
MAX_KILLS = 10
MIN_KILLS = 4


async def test_no_job_is_lost_or_repeated_while_workers_are_killed(tmp_path: Path,
                                                                  nats_url: str) -> None:
    with soak_system(tmp_path, nats_url, CLIENTS) as system:
        # Seed 3 kills the generator twice, then the sandbox pool twice.
        result = await soak(system, jobs=JOBS, clients=CLIENTS, kill_every=1.5,
                            max_kills=MAX_KILLS, seed=3)
    report = details(result)
    # The kills happened while the clients were still sending (the killer stops with them),
    # on both workers of a generate job's path.
    assert len(result.kills) >= MIN_KILLS, report
    assert {k.name for k in result.kills} == set(KILL_TARGETS)
    assert result.crashes == [], report  # no service died but those killed
    assert len(result.runs) == JOBS
    assert result.unstarted == [], report
    assert result.lost == [], report
    assert result.duplicated == [], report
    assert not result.failed, report
    assert len(result.latencies) == JOBS
