"""Chaos: poison messages. Garbage published straight onto every worker's job subjects (bytes
that are not JSON, JSON of the wrong shape, a deeply nested document, a job whose row does
not exist) through the real system as processes: each message is ended (refused for good, or
found to be no job of anyone's), none is redelivered for ever, no worker dies, and a person's
job sent after them completes as usual."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import nats
import pytest

from paynto_cli.launcher import System
from paynto_common.messages import GENERATOR, GIT_SYNC, SANDBOX_POOL, SCRAPER, Subjects
from tests.system import completed, create_project, generate, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

POISON = [
    b"\x00\xff this is not JSON",
    b"{}",
    b'{"job_id": 5, "project_id": ["x"]}',
    b"[" * 50_000,
    json.dumps({"job_id": "no-such-job", "project_id": "no-such-project", "prompt": "x",
                "response": "x", "version": 1, "url": "https://example.com/",
                "publish_id": "p", "provider": "vercel", "command": "logs"}).encode(),
]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[System]:
    # Few deliveries, quickly retried: a poison message that were retried would show here.
    env = {"MAX_DELIVER": "3"}
    with running_system(tmp_path_factory.mktemp("poison"), nats_url, extra_env=env) as sys_:
        yield sys_


async def test_poison_messages_end_and_every_worker_keeps_working(system: System,
                                                                 nats_url: str) -> None:
    subjects = Subjects(system.env["PAYNTO_BUS_NAMESPACE"])
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        targets = [subjects.generate, subjects.plan, subjects.apply, subjects.install,
                   subjects.build, subjects.publish, subjects.sandbox_command,
                   subjects.scrape, subjects.git_commit, subjects.deploy]
        for subject in targets:
            for n, data in enumerate(POISON):
                await js.publish(subject, data, stream=subjects.jobs_stream,
                                 headers={"Nats-Msg-Id": f"poison-{subject}-{n}"})

        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=180) as c:
            project = await create_project(c, "after the poison")
            done = completed(await generate(c, project, "a bakery in Leeds"))
        assert done.data["version"] == 1

        # Every poison message was ended: nothing waits, nothing is held for a redelivery.
        services = (GENERATOR, SANDBOX_POOL, SCRAPER, GIT_SYNC)
        async with asyncio.timeout(120):
            while True:
                infos = [await js.consumer_info(subjects.jobs_stream, name)
                         for name in services]
                if all(i.num_pending == 0 and i.num_ack_pending == 0 and
                       i.num_redelivered == 0 for i in infos):
                    break
                await asyncio.sleep(0.2)
    finally:
        await nc.close()
    for name, proc in system.procs.items():
        assert proc.poll() is None, f"{name} died (exit code {proc.returncode})"
