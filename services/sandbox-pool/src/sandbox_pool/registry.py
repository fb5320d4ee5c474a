"""Who holds which sandbox, shared by every sandbox-pool replica through NATS KV.

One bucket (``Subjects.sandbox_bucket``) whose entries all expire ``ttl`` seconds after their
last write, so whatever a dead replica held disappears by itself:

- ``replica.<id>``: a live replica; rewritten every ``ttl / 3`` seconds by its heartbeat, with
  the demand for warm sandboxes it has lately seen (``{"alive": true, "demand": n}``), so every
  replica sizes the shared warm pool by the claims of all.
- ``project.<project id>``: the lease: ``{"owner": replica, "sandbox": id | null, ...}``. Every job
  of the project runs on the owner (another replica forwards it there), which rewrites the
  lease while it keeps the sandbox.
- ``warm.<provider>.<sandbox id>``: a ready sandbox nobody has claimed, ``{"owner": replica}``.
  Claiming it is deleting the entry at the revision read: of two replicas racing for one warm
  sandbox exactly one delete succeeds.

Writes that must not clobber someone else's go through revisions (``create``, ``update`` and
``delete`` with ``last``), so every decision here is safe with any number of replicas.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BadRequestError, KeyWrongLastSequenceError, NoKeysError, NotFoundError
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)

# A KV "wrong last sequence" answer, whichever way this client spells it.
_CONFLICT = (KeyWrongLastSequenceError, BadRequestError)


@dataclass(frozen=True)
class Entry:
    key: str
    value: dict[str, Any]
    revision: int


class Registry:
    """Leases, warm sandboxes and replica liveness in one KV bucket."""

    def __init__(self, js: JetStreamContext, bucket: str, replica_id: str, ttl: float,
                 replicas: int = 1) -> None:
        self.js = js
        self.bucket = bucket
        self.replica_id = replica_id
        self.ttl = ttl
        self.replicas = replicas
        self._kv: KeyValue | None = None

    @property
    def kv(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("Registry.open() first")
        return self._kv

    async def open(self) -> None:
        try:
            self._kv = await self.js.create_key_value(KeyValueConfig(
                bucket=self.bucket, history=1, ttl=self.ttl, replicas=self.replicas,
                description="Paynto sandbox leases, warm pool and live replicas",
            ))
        except BadRequestError:
            # It exists with another configuration (say, another TTL): use it as it is.
            self._kv = await self.js.key_value(self.bucket)
            log.warning("sandbox bucket %s exists with another configuration; using it",
                        self.bucket)

    # ----- replicas -----

    async def heartbeat(self, demand: int = 0) -> None:
        await self.kv.put(f"replica.{self.replica_id}",
                          _dump({"alive": True, "demand": demand}))

    async def others(self) -> tuple[int, int]:
        """How many other replicas live, and the sum of the demand their last heartbeats
        told."""
        try:
            keys = [k for k in await self.kv.keys() if k.startswith("replica.")
                    and k != f"replica.{self.replica_id}"]
        except NoKeysError:
            return 0, 0
        entries = [e for e in [await self._get(k) for k in keys] if e is not None]
        demand = 0
        for entry in entries:
            told = entry.value.get("demand")
            demand += told if isinstance(told, int) and told > 0 else 0
        return len(entries), demand

    async def alive(self, replica_id: str) -> bool:
        if replica_id == self.replica_id:
            return True
        return await self._get(f"replica.{replica_id}") is not None

    async def leave(self) -> None:
        """Say at once that this replica is gone (a clean stop), instead of waiting for the TTL."""
        try:
            await self.kv.delete(f"replica.{self.replica_id}")
        except Exception as exc:
            log.debug("could not remove replica key: %s", exc)

    # ----- leases -----

    async def lease(self, project_id: str) -> Entry | None:
        return await self._get(f"project.{project_id}")

    async def take_lease(self, project_id: str, value: dict[str, Any]) -> Entry | None:
        """Create the project's lease; None when another one exists already."""
        key = f"project.{project_id}"
        try:
            revision = await self.kv.create(key, _dump(value))
        except _CONFLICT:
            return None
        return Entry(key, value, revision)

    async def renew(self, entry: Entry, value: dict[str, Any] | None = None) -> Entry | None:
        """Rewrite an entry held here (resetting its TTL); None when it changed meanwhile
        (someone else took or removed it)."""
        value = entry.value if value is None else value
        try:
            revision = await self.kv.update(entry.key, _dump(value), last=entry.revision)
        except _CONFLICT:
            return None
        return Entry(entry.key, value, revision)

    async def release(self, entry: Entry) -> bool:
        """Remove an entry at the revision read; False when it changed meanwhile."""
        try:
            await self.kv.delete(entry.key, last=entry.revision)
        except _CONFLICT:
            return False
        return True

    # ----- warm sandboxes -----

    async def advertise(self, provider: str, sandbox_id: str) -> Entry:
        key = f"warm.{provider}.{sandbox_id}"
        value = {"owner": self.replica_id}
        revision = await self.kv.put(key, _dump(value))
        return Entry(key, value, revision)

    async def reoffer(self, entry: Entry) -> None:
        """Put back a warm entry claimed by mistake (its owner keeps renewing it)."""
        await self.kv.put(entry.key, _dump(entry.value))

    async def warm(self, provider: str) -> list[Entry]:
        """The warm sandboxes of ``provider`` on offer, this replica's first."""
        prefix = f"warm.{provider}."
        try:
            # Filtered here: servers before 2.10 ignore a filtered key listing.
            keys = [k for k in await self.kv.keys() if k.startswith(prefix)]
        except NoKeysError:
            return []
        entries = [e for e in [await self._get(k) for k in keys] if e is not None]
        entries.sort(key=lambda e: e.value.get("owner") != self.replica_id)
        return entries

    async def _get(self, key: str) -> Entry | None:
        try:
            got = await self.kv.get(key)
        except NotFoundError:  # never written, deleted, or expired
            return None
        if got.value is None or got.revision is None:
            return None
        try:
            value = json.loads(got.value)
        except ValueError:
            log.warning("ignoring malformed registry entry %s", key)
            return None
        return Entry(key, value, got.revision)


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def sandbox_of_warm_key(key: str) -> str:
    return key.rsplit(".", 1)[-1]
