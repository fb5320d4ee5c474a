"""Where a job runs: on the replica that owns its project's sandbox.

Every replica takes jobs from the one durable consumer, so a job may land on any of them. The
replica that received it asks the manager who holds the project (taking the lease when nobody
does) and then runs it here, by the job's route, or forwards it to that owner.
"""

from __future__ import annotations

from paynto_common.bus import Bus, Delivery, Router, parse_job
from paynto_common.messages import JobMessage, SandboxCommandRequest
from sandbox_pool.forward import Forwarder
from sandbox_pool.manager import SandboxManager


class Placement:
    """The pool's consumer: places each job, then runs it through ``router`` here or on its
    owner replica (which runs jobs forwarded to it through its own router)."""

    def __init__(self, bus: Bus, manager: SandboxManager, router: Router) -> None:
        self.subjects = bus.subjects
        self.manager = manager
        self.router = router
        self.forwarder = Forwarder(bus, manager.registry, router.dispatch)

    async def serve(self) -> None:
        """Take the jobs other replicas forward to this one."""
        await self.forwarder.serve()

    async def close(self) -> None:
        await self.forwarder.close()

    async def __call__(self, delivery: Delivery) -> None:
        await self.run(delivery.subject, delivery.data, delivery.attempt)

    async def run(self, subject: str, data: bytes, attempt: int = 1) -> None:
        """Run the job here, or on the replica that owns the project's sandbox."""
        if subject in (self.subjects.build, self.subjects.publish):
            # A build runs in a workspace of its own, not the project's sandbox: any replica.
            await self.router.dispatch(subject, data, attempt)
            return
        job = parse_job(JobMessage, data)
        # Reading logs or killing needs no sandbox where there is none.
        acquire = (subject != self.subjects.sandbox_command
                   or parse_job(SandboxCommandRequest, data).command == "restart")
        owner = await self.manager.place(job.project_id, acquire)
        if owner is None or owner == self.manager.replica_id:
            await self.router.dispatch(subject, data, attempt)
        else:
            await self.forwarder.forward(owner, subject, data)
