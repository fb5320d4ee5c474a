"""The local provider: sandboxes made of a workspace (:mod:`.workspace`) and a dev server
(:mod:`.server`) run under bubblewrap (:mod:`.jail`)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx

from paynto_common.packages import package_name, validate_package_name
from sandbox_pool.local.jail import Jail
from sandbox_pool.local.server import DevServer
from sandbox_pool.local.workspace import Workspaces
from sandbox_pool.node import NodeRuntime
from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.provider import (
    Alive,
    OutputCallback,
    SandboxGoneError,
    ask_sandbox,
    check_sandbox_args,
)
from sandbox_pool.resource_limits import MB, Cgroups, ResourceLimits
from sandbox_pool.writeorder import order_for_write

__all__ = ["LocalProvider", "LocalSandbox"]

log = logging.getLogger(__name__)


class LocalProvider:
    """Creates local sandboxes: workspaces under ``root`` served by Vite under bubblewrap.

    ``node_modules`` provides the shared ``node_modules``. ``hidden_paths`` are replaced by
    empty tmpfs mounts inside every sandbox; by default the folder holding ``root`` (the
    services' data folder), the service user's home and ``/run``. ``owner_id`` names who makes
    the workspaces (a replica id): a replica that starts removes the workspaces whose maker is
    gone (:meth:`reclaim`), never those of a live one. ``start_timeout`` bounds the wait for a
    server to answer; ``stop_grace`` is how long a server gets to exit after SIGTERM before
    SIGKILL. ``bwrap``, ``runtime``, ``limits`` and ``cgroups`` go to the :class:`Jail`.
    """

    name = "local"

    def __init__(
        self,
        root: Path,
        node_modules: NodeModulesCache,
        bwrap: Path | None = None,
        *,
        owner_id: str | None = None,
        hidden_paths: Iterable[Path] | None = None,
        start_timeout: float = 60.0,
        stop_grace: float = 5.0,
        runtime: NodeRuntime | None = None,
        limits: ResourceLimits | None = None,
        cgroups: Cgroups | None = None,
    ) -> None:
        self.node_modules = node_modules
        self.workspaces = Workspaces(root, node_modules.template_dir)
        self.root = self.workspaces.root
        if hidden_paths is None:
            hidden_paths = [self.root.parent, Path.home(), Path("/run")]
        # The root itself is always hidden: it holds every workspace and the host's sockets
        # (connecting to a Unix socket works even through a read-only mount).
        self.jail = Jail([*hidden_paths, self.root], limits, cgroups, bwrap, runtime)
        self.owner_id = owner_id or f"pid-{os.getpid()}"
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self._sandboxes: dict[str, LocalSandbox] = {}

    async def check(self) -> None:
        """Raise SandboxUnavailableError when bubblewrap cannot sandbox here."""
        await self.jail.check()

    async def prepare(self) -> None:
        """Build the shared ``node_modules`` before the first job needs it."""
        await self.node_modules.ensure()

    async def reclaim(self, alive: Alive) -> list[str]:
        """Delete the workspaces whose maker is no longer ``alive`` (a replica that died
        leaves them behind: its servers died with it); return their ids."""
        return await self.workspaces.reclaim(alive, keep=self._sandboxes)

    async def create(self, sandbox_id: str, base_path: str) -> LocalSandbox:
        """Create the workspace ``root/<sandbox_id>/`` from the template; the server is not
        started. ``base_path`` (like ``/preview/<id>/``) is the URL prefix Vite serves under.
        """
        check_sandbox_args(sandbox_id, base_path)
        socket_path = self.workspaces.socket_path(sandbox_id)
        workspace = await asyncio.to_thread(self.workspaces.seed, sandbox_id, self.owner_id)
        sandbox = LocalSandbox(self, sandbox_id, workspace, base_path, socket_path)
        self._sandboxes[sandbox_id] = sandbox
        return sandbox

    async def connect(
        self, sandbox_id: str, remote_id: str | None, base_path: str
    ) -> LocalSandbox:
        """A local sandbox lives only in the process that made it: return it from there, or
        raise SandboxGoneError (its server died with that process)."""
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None or sandbox.base_path != base_path:
            raise SandboxGoneError(f"local sandbox {sandbox_id} is not held by this process")
        return sandbox

    async def aclose(self) -> None:
        """Nothing to release: sandboxes are destroyed one by one by their owner."""

    def _remove(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id, None)
        self.workspaces.forget(sandbox_id)


class LocalSandbox:
    """One workspace and, while started, its sandboxed Vite server.

    Made by :meth:`LocalProvider.create`. ``socket_path`` is the Unix socket the server answers
    on (HTTP and the HMR websocket, under ``base_path``).
    """

    def __init__(
        self,
        provider: LocalProvider,
        sandbox_id: str,
        workspace: Path,
        base_path: str,
        socket_path: Path,
    ) -> None:
        self.provider = provider
        self.id = sandbox_id
        self.workspace = workspace
        self.base_path = base_path
        self.socket_path = socket_path
        self.extra_packages: tuple[str, ...] = ()
        self.deps_entry: Path | None = None
        self.on_log: OutputCallback | None = None
        self.server = DevServer(
            sandbox_id, socket_path, base_path, workspace,
            disk_quota=provider.jail.limits.disk_mb * MB, stop_grace=provider.stop_grace,
            on_line=self._on_line,
        )
        self._settling: set[asyncio.Task[None]] = set()
        self._life_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()

    @property
    def endpoint(self) -> str:
        return f"unix:{self.socket_path}"

    @property
    def remote_id(self) -> str | None:
        return None

    async def keep_alive(self, seconds: float) -> None:
        """Local sandboxes live as long as their owner keeps them; nothing to extend."""

    def logs(self) -> list[str]:
        """The server's last output lines."""
        return list(self.server.lines)

    def http_client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        """An HTTP client whose requests reach this sandbox's server (Host: localhost)."""
        return self.server.http_client(timeout)

    def _on_line(self, line: str) -> None:
        if self.on_log is not None:
            self.on_log(line)

    # ----- files -----

    async def write_files(self, files: Mapping[str, str]) -> list[str]:
        """Write ``files`` (relative path → text) into the workspace; return the paths written.

        Every path is checked first: if any is unsafe, UnsafePathError names it and nothing is
        written. Files are then written leaf modules first (see ``order_for_write``), each one
        atomically, so the dev server never sees half a file or an import of a missing one.
        """
        workspaces = self.provider.workspaces
        canonical = workspaces.checked(self.workspace, files)
        order = order_for_write(canonical)
        async with self._write_lock:
            await asyncio.to_thread(workspaces.write, self.workspace,
                                    [(rel, canonical[rel]) for rel in order])
        if self.server.running():
            task = asyncio.create_task(self._settle(order))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)
        return order

    async def _settle(self, paths: list[str], after: float = 0.2) -> None:
        """Shortly after a write, have the server announce any change its file watcher
        missed (a file replaced twice within ~100 ms), so no stale module stays served."""
        await asyncio.sleep(after)
        if not self.server.running():
            return
        try:
            await ask_sandbox(self.endpoint, self.base_path + "__paynto/settle",
                              {"path": paths}, timeout=10.0)
        except httpx.HTTPError as exc:
            log.debug("sandbox %s: settle request failed: %s", self.id, exc)

    # ----- server lifecycle -----

    async def start(self) -> None:
        """Start the dev server (if not running) and return once it answers ``base_path``.

        Raises SandboxUnavailableError when bwrap cannot sandbox here, and SandboxStartError
        (with the server's last output) when it does not answer within the provider's timeout.
        """
        async with self._life_lock:
            if self.server.running():
                return
            await self._spawn()

    async def stop(self) -> None:
        """Stop the dev server: SIGTERM, then SIGKILL after the grace period; reap everything."""
        async with self._life_lock:
            await self._terminate()

    async def restart(self) -> None:
        """Stop the server if it runs and start it again."""
        async with self._life_lock:
            await self._terminate()
            await self._spawn()

    async def destroy(self) -> None:
        """Stop the server and delete the workspace."""
        await self.stop()
        await asyncio.to_thread(shutil.rmtree, self.workspace, True)
        self.provider._remove(self.id)

    async def alive(self) -> bool:
        """True when the server process runs and answers on its socket that the site's
        index.html is there (always, unless the workspace is broken)."""
        if not self.server.running():
            return False
        try:
            response = await ask_sandbox(self.endpoint, self.base_path + "__paynto/alive",
                                         timeout=5.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def ensure_packages(
        self, names: Iterable[str], on_output: OutputCallback | None = None
    ) -> list[str]:
        """Make npm packages available to the site; return the names that were not there before.

        Every name is validated before anything runs (ValueError otherwise). When the set grows,
        the matching shared dependency entry is built if needed (npm's output lines go to
        ``on_output``) and a running server is restarted on it.
        """
        specs = [validate_package_name(name) for name in names]
        cache = self.provider.node_modules
        wanted = cache.normalize_extra([*self.extra_packages, *specs])
        before = set(self.extra_packages)
        added = [package_name(spec) for spec in wanted if spec not in before]
        if not added:
            return []
        async with self._life_lock:
            entry = await cache.ensure(wanted, on_output)
            self.extra_packages = wanted
            if self.server.running() and entry != self.deps_entry:
                log.info("sandbox %s: restarting with %s", self.id, ", ".join(added))
                await self._terminate()
                await self._spawn(entry)
        return added

    async def _spawn(self, entry: Path | None = None) -> None:
        """Start the server on the dependency entry of the sandbox's packages (``entry`` when
        it is at hand), with the runtime files put back first."""
        provider = self.provider
        await provider.jail.check()
        if entry is None:
            entry = await provider.node_modules.ensure(self.extra_packages)
        await asyncio.to_thread(provider.workspaces.restore_runtime_files, self.workspace)
        node_modules = entry / "node_modules"

        def command(listener: int, info: int) -> list[str]:
            return provider.jail.argv(self.workspace, node_modules,
                                      ["node", "serve.mjs", f"fd:{listener}"],
                                      info_fd=info, cgroup=self.id)

        try:
            await self.server.start(command, provider.jail.env(self.workspace, self.base_path),
                                    provider.start_timeout, f"deps {entry.name}")
        except BaseException:
            await self._terminate()
            raise
        self.deps_entry = entry

    async def _terminate(self) -> None:
        await self.server.stop()
        for task in list(self._settling):
            task.cancel()
        await asyncio.to_thread(self.provider.jail.cgroups.remove, self.id)
