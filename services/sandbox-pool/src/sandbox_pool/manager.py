"""Sandboxes of projects across replicas: leases, a warm pool, keep-alive, reaping, recovery.

A sandbox is only a cache of its project's latest version: when it dies, expires, is reaped
for idleness or its replica goes away, the next job restores the version into a new one.

Each project's sandbox is owned by one replica (its lease in the :class:`Registry`); every job
of the project runs there (:meth:`SandboxManager.place` says where). Each replica keeps a share
of the warm pool: ready sandboxes with the template running, advertised in the registry so any
replica can claim one for a project, in milliseconds, instead of starting a server. The pool's
size follows demand (:mod:`.demand`): its minimum, plus the claims lately seen arriving
together, up to its maximum; it refills in the background as claims arrive and gives back what
it no longer needs one sandbox a beat.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import col, select, update

from paynto_common.db import Database, Sandbox, insert_of, new_id, utcnow
from paynto_common.messages import PreviewError, preview_path
from paynto_common.metrics import (
    SANDBOX_CLAIMS,
    SANDBOX_POOL_TARGET,
    SANDBOXES_ACTIVE,
    SANDBOXES_WARM,
)
from sandbox_pool.demand import Demand, pool_target
from sandbox_pool.provider import (
    COMPILED_SUFFIXES,
    ProviderSandbox,
    SandboxProvider,
    compile_errors,
    parse_preview_error,
)
from sandbox_pool.registry import Entry, Registry, sandbox_of_warm_key

log = logging.getLogger(__name__)


class LeaseMovedError(RuntimeError):
    """The project's lease is not (or no longer) this replica's: run the job again elsewhere."""


@dataclass
class PoolOptions:
    pool_size: int = 1
    """Warm sandboxes kept per provider across all replicas however quiet it is: the minimum."""
    pool_max: int = 8
    """The most warm sandboxes demand may ask for, across all replicas."""
    demand_window: float = 300.0
    """How long a burst of claims keeps the pool above its minimum."""
    refill_delay: float = 0.2
    """The pause in claims the refill waits for (at most five times this). A claim's job
    answers within tens of milliseconds; a dev server started in that moment takes a core for
    a second and, on a small machine, would slow that answer several times over. A burst's
    claims are then also counted together before the pool decides how many to start."""
    refill_concurrency: int = field(default_factory=lambda: max(1, min(2, os.cpu_count() or 1)))
    """Warm sandboxes this replica starts at once (each start takes about a core)."""
    idle_timeout: float = 900.0
    """A sandbox no job touched for this long is stopped (its project stays in the database)."""
    max_active: int = 20
    """Project sandboxes per replica; past it, the least recently used idle one is stopped."""
    keep_alive: float = 600.0
    """How long a hosted sandbox is asked to live past each keep-alive beat."""


@dataclass
class Live:
    sandbox_id: str
    sandbox: ProviderSandbox
    lease: Entry | None = None
    last_used: float = field(default_factory=time.monotonic)

    @property
    def preview_url(self) -> str:
        return preview_path(self.sandbox_id)


@dataclass
class _Warm:
    sandbox: ProviderSandbox
    advert: Entry | None = None
    # Set when another replica claimed it: kept for the job on its way until this deadline.
    reserved_until: float | None = None


class SandboxManager:
    def __init__(self, db: Database, provider: SandboxProvider, registry: Registry,
                 options: PoolOptions | None = None) -> None:
        self.db = db
        self.provider = provider
        self.registry = registry
        self.options = options or PoolOptions()
        self._live: dict[str, Live] = {}
        self._warm: dict[str, _Warm] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._lost: dict[str, str] = {}
        self._creating = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._refill_wanted = asyncio.Event()
        self.demand = Demand(self.options.demand_window)
        # Seconds to start a warm sandbox (a moving average; a guess until one is measured):
        # claims that close together are one burst.
        self._start_seconds = 1.0
        self._target = self.options.pool_size
        # Told of each error a project's live preview reports (compile or runtime).
        self.on_preview_error: Callable[[str, PreviewError], None] | None = None
        self.preview_errors: dict[str, collections.deque[PreviewError]] = {}
        # Read when /metrics is scraped (a process runs one manager).
        SANDBOXES_ACTIVE.set_function(lambda: len(self._live))
        SANDBOXES_WARM.set_function(lambda: len(self._warm))
        SANDBOX_POOL_TARGET.set_function(lambda: self._target)

    @property
    def replica_id(self) -> str:
        return self.registry.replica_id

    @property
    def beat(self) -> float:
        return self.registry.ttl / 3

    def lock(self, project_id: str) -> asyncio.Lock:
        """Jobs of one project touch its sandbox one at a time (on its owner replica)."""
        return self._locks.setdefault(project_id, asyncio.Lock())

    # ----- lifecycle -----

    async def start(self) -> None:
        await self.registry.heartbeat(self._own_demand())
        await self.reconcile()
        await self.provider.reclaim(self.registry.alive)
        self._tasks = [asyncio.create_task(self._keep_loop(), name="sandbox keep-alive"),
                       asyncio.create_task(self._refill_loop(), name="warm pool refill")]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for project_id, live in list(self._live.items()):
            await self._drop(project_id, live, "the sandbox pool stopped")
        for sandbox_id in list(self._warm):
            await self._drop_warm(sandbox_id)
        await self.registry.leave()

    # ----- placement (any replica) -----

    async def place(self, project_id: str, acquire: bool = True) -> str | None:
        """Return the replica that runs this project's jobs, taking a lease when there is
        none (on the owner of a warm sandbox when one is on offer, else on this replica).

        With ``acquire`` false (a kill, the logs), None when no replica holds the project.
        """
        for _attempt in range(10):
            lease = await self.registry.lease(project_id)
            lost: str | None = None
            if lease is not None:
                owner = str(lease.value.get("owner"))
                if await self.registry.alive(owner):
                    return owner
                # Its replica went away, and the sandbox with it.
                if await self.registry.release(lease):
                    log.warning("project %s: replica %s holding its sandbox is gone",
                                project_id, owner)
                    await self._mark_stopped(lease.value.get("sandbox"), "lost")
                lost = "the replica running it went away"
                if not acquire:
                    return None
                continue_with = {"lost": lost}
            else:
                if not acquire:
                    return None
                continue_with = {}
            placed = await self._take(project_id, continue_with)
            if placed is not None:
                return placed
        raise LeaseMovedError(f"project {project_id}: could not settle who holds its sandbox")

    async def _take(self, project_id: str, extra: dict[str, str]) -> str | None:
        # This replica's own warm sandboxes first: their offers are at hand (no listing of
        # the bucket) and the job needs no forwarding.
        for sandbox_id, mine in list(self._warm.items()):
            if mine.advert is None or not await self.registry.release(mine.advert):
                continue
            mine.advert = None
            mine.reserved_until = time.monotonic() + 2 * self.registry.ttl
            taken = await self.registry.take_lease(
                project_id, {"owner": self.replica_id, "sandbox": sandbox_id, **extra})
            if taken is not None:
                self._claimed()
                return self.replica_id
            mine.reserved_until = None
            mine.advert = await self.registry.advertise(self.provider.name, sandbox_id)
            return None
        for warm in await self.registry.warm(self.provider.name):
            owner = str(warm.value.get("owner"))
            if not await self.registry.alive(owner) or not await self.registry.release(warm):
                continue
            sandbox_id = sandbox_of_warm_key(warm.key)
            taken = await self.registry.take_lease(
                project_id, {"owner": owner, "sandbox": sandbox_id, **extra})
            if taken is not None:
                self._claimed()
                return owner
            # Another job of the project leased it first: put the warm sandbox back on offer.
            await self.registry.reoffer(warm)
            return None
        taken = await self.registry.take_lease(
            project_id, {"owner": self.replica_id, "sandbox": None, **extra})
        if taken is None:
            return None
        self._claimed()
        return self.replica_id

    def _claimed(self) -> None:
        """A project is about to be given a sandbox: count it, and refill behind it."""
        self.demand.claimed()
        self._refill_wanted.set()

    # ----- the owner's side -----

    async def current(self, project_id: str) -> Live | None:
        """The project's running sandbox here, or None (then :meth:`obtain` makes one, and
        :meth:`take_lost` says why the old one went, if it did)."""
        live = self._live.get(project_id)
        if live is None:
            lease = await self.registry.lease(project_id)
            if lease is not None and lease.value.get("lost"):
                self._lost[project_id] = str(lease.value["lost"])
            await self._note_lost(project_id)
            return None
        if await live.sandbox.alive():
            live.last_used = time.monotonic()
            return live
        log.warning("sandbox %s of project %s died; it will be rebuilt",
                    live.sandbox_id, project_id)
        await self._drop(project_id, live, "its server stopped")
        self._lost[project_id] = "its server stopped"
        return None

    def take_lost(self, project_id: str) -> str | None:
        """Why the project's previous sandbox went away, once, if it did."""
        return self._lost.pop(project_id, None)

    async def obtain(self, project_id: str, files: dict[str, str],
                     version: int | None) -> tuple[Live, bool]:
        """A running sandbox for the project holding ``files``: the warm one its lease names
        (or another warm one here), else a new one. Returns it and whether it came warm."""
        lease = await self.registry.lease(project_id)
        if lease is None:
            # Its last sandbox here went (died, or was stopped) and the lease with it.
            lease = await self.registry.take_lease(
                project_id, {"owner": self.replica_id, "sandbox": None})
            if lease is not None:
                self._claimed()
        if lease is None or lease.value.get("owner") != self.replica_id:
            raise LeaseMovedError(f"project {project_id} is not leased to this replica")
        await self._make_room()
        wanted = lease.value.get("sandbox")
        warm = self._warm.pop(wanted, None) if isinstance(wanted, str) else None
        if warm is None:
            warm = self._any_warm()
        if warm is not None:
            sandbox = warm.sandbox
            if warm.advert is not None:
                await self.registry.release(warm.advert)
            self._refill_wanted.set()
            try:
                if files:
                    written = await sandbox.write_files(files)
                    # Its server compiled the template's modules ahead; have the ones just
                    # replaced compiled again now, not whenever the file watcher gets to them.
                    await compile_errors(sandbox, [p for p in written
                                                   if p.endswith(COMPILED_SUFFIXES)])
            except BaseException:
                await sandbox.destroy()
                raise
        else:
            sandbox = await self._new_sandbox(files)
        value = {"owner": self.replica_id, "sandbox": sandbox.id}
        renewed = await self.registry.renew(lease, value)
        if renewed is None:
            await sandbox.destroy()
            raise LeaseMovedError(f"project {project_id}: its lease changed meanwhile")
        live = Live(sandbox.id, sandbox, renewed)
        self._live[project_id] = live
        SANDBOX_CLAIMS.labels("warm" if warm is not None else "cold").inc()
        sandbox.on_log = self._error_watcher(project_id)
        await self.db.write(insert_of(Sandbox(
            id=sandbox.id, project_id=project_id, provider=self.provider.name,
            status="running", endpoint=sandbox.endpoint, version=version)))
        return live, warm is not None

    def _error_watcher(self, project_id: str) -> Callable[[str], None]:
        """Picks the preview's errors out of its server's output; the same error again within
        ten seconds (a page reloading in a loop) is told once."""
        seen: dict[str, float] = {}
        errors = self.preview_errors.setdefault(project_id, collections.deque(maxlen=20))

        def on_line(line: str) -> None:
            error = parse_preview_error(line)
            if error is None:
                return
            now = time.monotonic()
            key = f"{error.kind}:{error.message[:300]}"
            if now - seen.get(key, -60.0) < 10.0:
                return
            if len(seen) > 200:
                seen.clear()
            seen[key] = now
            errors.append(error)
            if self.on_preview_error is not None:
                self.on_preview_error(project_id, error)

        return on_line

    def _any_warm(self) -> _Warm | None:
        for sandbox_id, warm in list(self._warm.items()):
            if warm.reserved_until is None:
                return self._warm.pop(sandbox_id)
        return None

    async def _new_sandbox(self, files: dict[str, str]) -> ProviderSandbox:
        sandbox_id = new_id()[:16]
        sandbox = await self.provider.create(sandbox_id, preview_path(sandbox_id))
        try:
            if files:
                await sandbox.write_files(files)
            await sandbox.start()
        except BaseException:
            await sandbox.destroy()
            raise
        return sandbox

    async def record_version(self, live: Live, version: int) -> None:
        await self.db.write(update(Sandbox).where(col(Sandbox.id) == live.sandbox_id)
                            .values(version=version, updated_at=utcnow()))

    async def stop(self, project_id: str) -> bool:
        """Stop the project's sandbox; False when it had none running here."""
        live = self._live.get(project_id)
        if live is None:
            lease = await self.registry.lease(project_id)
            if lease is not None and lease.value.get("owner") == self.replica_id:
                await self.registry.release(lease)
            return False
        await self._drop(project_id, live, "stopped on request")
        return True

    async def lose(self, project_id: str, why: str) -> None:
        """The project's sandbox is gone at its provider: forget it, so the next
        :meth:`obtain` restores the project into a new one and says ``why``."""
        live = self._live.get(project_id)
        if live is not None:
            with contextlib.suppress(Exception):
                await self._drop(project_id, live, why)
        self._lost[project_id] = why

    async def _drop(self, project_id: str, live: Live, why: str) -> None:
        log.info("stopping sandbox %s of project %s: %s", live.sandbox_id, project_id, why)
        if self._live.get(project_id) is live:
            del self._live[project_id]
        if live.lease is not None:
            await self.registry.release(live.lease)
        try:
            await live.sandbox.destroy()
        finally:
            await self._mark_stopped(live.sandbox_id)

    async def _mark_stopped(self, sandbox_id: object, status: str = "stopped") -> None:
        """Record a sandbox's end: ``stopped`` when we stopped it, ``lost`` when it went away
        with its replica (the next job of its project says so when it restores it)."""
        if not isinstance(sandbox_id, str):
            return
        await self.db.write(update(Sandbox).where(col(Sandbox.id) == sandbox_id)
                            .values(status=status, updated_at=utcnow()))

    async def _note_lost(self, project_id: str) -> None:
        """A project with no sandbox here whose last one never stopped cleanly lost it."""
        async with self.db.session() as s:
            rows = (await s.exec(select(Sandbox).where(
                col(Sandbox.project_id) == project_id,
                col(Sandbox.status).in_(("running", "lost")),
            ))).all()
        for row in rows:
            self._lost.setdefault(project_id, "the replica running it went away")
            await self._mark_stopped(row.id)

    async def _make_room(self) -> None:
        """Past ``max_active``, stop the least recently used sandbox no job is using."""
        while len(self._live) >= self.options.max_active:
            idle = [(live.last_used, pid) for pid, live in self._live.items()
                    if not self.lock(pid).locked()]
            if not idle:
                return
            _, project_id = min(idle)
            await self._drop(project_id, self._live[project_id],
                             f"making room (more than {self.options.max_active} running)")

    # ----- keeping things alive, reaping, refilling -----

    async def _keep_loop(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(self.beat)
            beats += 1
            try:
                await self.keep_once(reconcile=beats % 20 == 0)
            except Exception:
                log.exception("keep-alive beat failed")

    async def keep_once(self, reconcile: bool = False) -> None:
        """One beat: say this replica lives (and its demand), renew what it holds, reap what
        idled too long."""
        await self.registry.heartbeat(self._own_demand())
        now = time.monotonic()
        for project_id, live in list(self._live.items()):
            if self.lock(project_id).locked():
                live.last_used = now
            elif now - live.last_used > self.options.idle_timeout:
                self._lost[project_id] = "it was stopped after being idle"
                await self._drop(project_id, live,
                                 f"idle for more than {self.options.idle_timeout:.0f} s")
                continue
            if live.lease is not None:
                renewed = await self.registry.renew(live.lease)
                if renewed is None:
                    # Another replica took the project over (we were thought dead): let go.
                    live.lease = None
                    await self._drop(project_id, live, "its lease moved to another replica")
                    continue
                live.lease = renewed
            await live.sandbox.keep_alive(self.options.keep_alive)
        for sandbox_id, warm in list(self._warm.items()):
            if warm.reserved_until is not None:
                if now < warm.reserved_until:
                    continue
                # Claimed, but no job came for it: offer it again.
                warm.reserved_until = None
                warm.advert = await self.registry.advertise(self.provider.name, sandbox_id)
            elif warm.advert is not None:
                renewed = await self.registry.renew(warm.advert)
                if renewed is None:
                    warm.advert = None
                    warm.reserved_until = now + 2 * self.registry.ttl
                    continue
                warm.advert = renewed
            await warm.sandbox.keep_alive(self.options.keep_alive)
        if reconcile:
            await self.reconcile()

    async def reconcile(self) -> None:
        """Mark lost the sandboxes the database thinks run but no lease holds any more."""
        async with self.db.session() as s:
            rows = (await s.exec(select(Sandbox).where(col(Sandbox.status) == "running"))).all()
        for row in rows:
            lease = await self.registry.lease(row.project_id)
            if lease is None or lease.value.get("sandbox") != row.id:
                await self._mark_stopped(row.id, "lost")

    async def _refill_loop(self) -> None:
        while True:
            woken = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.beat):
                    await self._refill_wanted.wait()
                    woken = True
            if woken:
                await self._quiet()
            self._refill_wanted.clear()
            try:
                if not await self.refill_once():
                    await self.trim_once()
            except Exception:
                log.exception("could not refill the warm pool")
                await asyncio.sleep(self.beat)

    async def _quiet(self) -> None:
        """Wait until claims pause for ``refill_delay`` (a burst's warm claims are answered
        first, without dev servers starting beside them), but no longer than five times
        that after the first."""
        delay = self.options.refill_delay
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 5 * delay
        while (left := give_up - loop.time()) > 0:
            self._refill_wanted.clear()
            try:
                async with asyncio.timeout(min(delay, left)):
                    await self._refill_wanted.wait()
            except TimeoutError:
                return

    def _own_demand(self) -> int:
        # Claims closer together than a couple of starts arrive faster than one replica can
        # start sandboxes for them: they count as one burst (starts slowed down by a loaded
        # machine do not stretch a burst past ten seconds).
        return self.demand.peak(min(10.0, max(2.0, 2 * self._start_seconds)))

    async def target(self) -> tuple[int, int]:
        """Warm sandboxes the pool aims for across all replicas (by this replica's demand and
        the others' last heartbeats), and how many other replicas share the work."""
        others, their_demand = await self.registry.others()
        self._target = pool_target(self.options.pool_size, self.options.pool_max,
                                   self._own_demand() + their_demand)
        return self._target, others

    async def _offers(self) -> dict[str, str]:
        """The warm sandboxes on offer (id → owner replica), on live replicas."""
        offered = {sandbox_of_warm_key(w.key): str(w.value.get("owner"))
                   for w in await self.registry.warm(self.provider.name)
                   if await self.registry.alive(str(w.value.get("owner")))}
        # A listing may lag a put just made: count this replica's own offers for sure.
        offered.update({sid: self.replica_id for sid, w in self._warm.items()
                        if w.reserved_until is None})
        return offered

    async def refill_once(self) -> int:
        """Start warm sandboxes here until the pool holds its target; return how many.

        Each replica starts its share of what is missing (the others start theirs), a few at
        a time, and looks again: the offers it sees then include theirs."""
        started = 0
        while True:
            target, others = await self.target()
            missing = target - len(await self._offers()) - self._creating
            if missing <= 0:
                return started
            batch = min(math.ceil(missing / (others + 1)), self.options.refill_concurrency)
            made = await asyncio.gather(*(self._new_warm() for _ in range(batch)),
                                        return_exceptions=True)
            started += sum(isinstance(m, str) for m in made)
            for failure in made:
                if isinstance(failure, BaseException):
                    raise failure

    async def _new_warm(self) -> str:
        self._creating += 1
        began = time.monotonic()
        try:
            sandbox = await self._new_sandbox({})
        finally:
            self._creating -= 1
        self._start_seconds = 0.7 * self._start_seconds + 0.3 * (time.monotonic() - began)
        advert = await self.registry.advertise(self.provider.name, sandbox.id)
        self._warm[sandbox.id] = _Warm(sandbox, advert)
        log.info("warm sandbox %s ready", sandbox.id)
        return sandbox.id

    async def trim_once(self) -> bool:
        """Stop one warm sandbox past the target, when this replica holds the most of them
        (every replica reads the same offers, so only one of them stops one a beat, and the
        pool does not fall under its target by racing); True when one was stopped."""
        target, _others = await self.target()
        offered = await self._offers()
        if len(offered) <= target or self._creating:
            return False
        held = collections.Counter(offered.values())
        most = max(held.values())
        if self.replica_id != min(r for r, n in held.items() if n == most):
            return False
        mine = [sid for sid, w in self._warm.items()
                if w.reserved_until is None and w.advert is not None]
        if not mine:
            return False
        # Out of the pool here first, so no job here picks it meanwhile; then off the offers,
        # at the revision read, unless another replica claimed it in between.
        warm = self._warm.pop(mine[0])
        assert warm.advert is not None
        if not await self.registry.release(warm.advert):
            warm.advert = None
            warm.reserved_until = time.monotonic() + 2 * self.registry.ttl
            self._warm[mine[0]] = warm
            return False
        log.info("warm sandbox %s stopped: the pool held %d for a target of %d",
                 mine[0], len(offered), target)
        await warm.sandbox.destroy()
        return True

    async def _drop_warm(self, sandbox_id: str) -> None:
        warm = self._warm.pop(sandbox_id, None)
        if warm is None:
            return
        if warm.advert is not None:
            await self.registry.release(warm.advert)
        await warm.sandbox.destroy()
