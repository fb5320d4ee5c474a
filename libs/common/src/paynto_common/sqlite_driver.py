"""SQLAlchemy's aiosqlite driver, with one trip to the connection's thread per statement.

aiosqlite runs each call on a thread of its own, and SQLAlchemy's adapter makes a call for each
step of a statement: make a cursor, execute, fetch the rows, close the cursor; then a commit,
and a rollback when the connection goes back to the pool. Each trip wakes that thread and then
the event loop (about 0.2 ms here, more when the machine is idle and its cores asleep), so a
one-row claim took six. Here a statement is one trip (the cursor lives and dies in the
thread, its rows and counts come back together), and a commit or rollback with no transaction
open is none: a read is one trip, a write two.

A transaction's last write may also commit in its own trip: executed with the execution
options :data:`COMMIT_NOW` (on an engine :func:`listen` has seen to), the statement and the
``COMMIT`` run together on the thread, and the session's commit then finds nothing to do.
SQLite's write lock, which every process sharing the file waits for, is held for the statement
alone instead of until the event loop comes round to the commit: under load that was tens of
milliseconds (at 50 clients a job row's ``INSERT`` waited 20 ms at the median and 0.5 s at p90,
the waiters asleep in SQLite's busy handler while the lock sat idle).

Used through ``create_async_engine(url, module=dbapi())``; nothing else changes (the
dialect, the pool, server-side cursors and error translation are SQLAlchemy's own).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, cast

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["COMMIT_NOW", "dbapi", "listen"]

COMMIT_NOW = {"paynto_commit_now": True}
"""Execution options for a transaction's last write: it commits with the statement (only on an
engine of this driver; elsewhere they are ignored and the session's commit commits)."""

_Result = tuple[Any, int, int | None, list[Any] | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool,
         commit: bool) -> _Result:
    """One statement, start to end, on the connection's thread; then, with ``commit``, the
    transaction's ``COMMIT``."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else None
        result = cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()
    if commit and conn.in_transaction:
        conn.commit()
    return result


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor with nothing open between statements: each ``execute`` runs in one trip and
    keeps what it returned (rows, description, counts) here."""

    __slots__ = ("_commit_now", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no super(): it would make a cursor
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._commit_now = False

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            result: _Result = await self._connection._execute(
                _run, self._connection._conn, operation, parameters, many, self._commit_now)
        self._description, self._rowcount, self._lastrowid, rows = result
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, many=True)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = _Cursor

    def _idle(self) -> bool:
        # Read without a trip: sqlite3 answers from the connection's autocommit flag, which
        # only the thread's statements change, and none runs while we hold the connection.
        conn = self._connection._connection
        return conn is None or not conn.in_transaction

    def commit(self) -> None:
        if not self._idle():
            super().commit()

    def rollback(self) -> None:
        if not self._idle():
            super().rollback()


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True
        return _Connection(self, cast(Any, await_(connection)))


def _before_execute(_conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any,
                    _many: bool) -> None:
    if isinstance(cursor, _Cursor) and context is not None:
        cursor._commit_now = bool(context.execution_options.get("paynto_commit_now"))


def listen(engine: AsyncEngine) -> None:
    """Honour :data:`COMMIT_NOW` on ``engine`` (made with :func:`dbapi`)."""
    event.listen(engine.sync_engine, "before_cursor_execute", _before_execute)


def dbapi() -> Any:
    """The DB-API module to give ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""
    return _Dbapi(aiosqlite, sqlite3)
