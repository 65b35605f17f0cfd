"""Read-your-writes: know each projection's position, and wait until it reaches a client's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
import psycopg
import structlog
from psycopg import sql

from infra.database import connection_kwargs
from infra.settings import Settings
from projections import access
from projections.activities import view as activities_view
from projections.audit_trail import view as audit_trail_view
from projections.dashboard import view as dashboard_view
from projections.ledger import view as ledger_view
from projections.runtime import (
    EVENTS_CHANNEL,
    POSITIONS_CHANNEL,
    Announcement,
    create_read_model_tables,
)
from projections.transactions import view as transactions_view
from projections.users import view as users_view
from projections.workspaces import view as workspaces_view
from read_api.memory import Memory

# The read API may start before the projectors: it makes their (empty) tables so that it
# answers from the start, rather than failing on a missing table.
READ_MODEL_TABLES = {
    "workspaces": workspaces_view.TABLES,
    "users": users_view.TABLES,
    "activities": activities_view.TABLES,
    "transactions": transactions_view.TABLES,
    "dashboard": dashboard_view.TABLES,
    "ledger": ledger_view.TABLES,
    "audit_trail": audit_trail_view.TABLES,
}

log = structlog.get_logger("read_api")
NARROWING_WAIT = 0.5  # past it, a request asks the database what took access away


class PositionWatcher:
    """Follows what the log and the projections announce: each read model's position, the
    position of the last event that took access away, and, through ``memory``, which
    workspaces' answers kept in memory are stale.

    A projection's position moves on only as its announcement arrives, after the answers it
    makes stale are dropped (notifications arrive in commit order, and none is lost while
    the connection holds), so a read that waited for a position finds no answer made before
    it. The positions table is read at the start and after the connection was lost (when
    everything kept was dropped). Another schema's or a rebuild's announcements are ignored.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.positions: dict[str, int] = {}
        self.memory = Memory()
        # None while the log has moved since it was last read (or the listener is away).
        self.narrowed_at: int | None = None
        self.listening = False  # while not, nothing announced is heard: nothing is kept
        self._unannounced = False  # a commit said no more than its position
        self.changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._indexed = False

    async def start(self) -> None:
        conn = await self._connect()
        await create_read_model_tables(conn, READ_MODEL_TABLES)
        await self._refresh(conn)
        self._task = asyncio.create_task(self._follow(conn))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def position(self, name: str) -> int:
        return self.positions.get(name, 0)

    async def wait(self, names: Iterable[str], min_position: int, timeout: float) -> bool:
        names = tuple(names)
        return await self._wait_until(
            lambda: all(self.position(name) >= min_position for name in names), timeout
        )

    async def last_narrowing(self) -> int | None:
        """The position of the last event that took access away, read after the last insert
        the log announced; None if it is not known within NARROWING_WAIT (ask the database)."""
        if self.narrowed_at is None and self.listening:
            await self._wait_until(lambda: self.narrowed_at is not None, NARROWING_WAIT)
        return self.narrowed_at

    async def _wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        async with self.changed:
            while not done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await self.changed.wait()
        return True

    async def _connect(self) -> psycopg.AsyncConnection[dict[str, Any]]:
        conn = await psycopg.AsyncConnection.connect(
            self.settings.database, autocommit=True, **connection_kwargs(self.settings)
        )
        for channel in (POSITIONS_CHANNEL, EVENTS_CHANNEL):
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        return conn

    async def _follow(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        while True:
            try:
                if not self.listening:  # back after the connection was lost
                    with contextlib.suppress(psycopg.Error):
                        await conn.close()
                    conn = await self._connect()
                    await self._refresh(conn)
                # The next notification, then every one already there: what they ask of
                # the database is asked once for all of them (inserts come faster than
                # one question each can be answered).
                async for notify in conn.notifies(stop_after=1):
                    await self._heard(notify)
                async for notify in conn.notifies(timeout=0):
                    await self._heard(notify)
                if self._unannounced:
                    await self._refresh(conn)
                if self.narrowed_at is None:
                    await self._read_narrowing(conn)
            except psycopg.OperationalError as error:
                log.warning("position listener lost its connection", error=str(error))
                # What is announced meanwhile is lost: nothing kept can be trusted, and
                # nothing is kept until the listener is back.
                self.listening = self.memory.keeping = False
                self.narrowed_at = None
                self.memory.forget()
                await asyncio.sleep(1)

    async def _heard(self, notify: psycopg.Notify) -> None:
        if notify.channel == EVENTS_CHANNEL:  # an insert: it may have taken access away
            self.narrowed_at = None
            return
        try:
            said = msgspec.json.decode(notify.payload, type=Announcement)
        except msgspec.DecodeError:  # an earlier release's "name:position": ask the table
            self._unannounced = True
            return
        if said.schema != self.settings.database_schema:
            return
        self.memory.changed(said.name, said.workspaces)
        if said.position > self.position(said.name):
            async with self.changed:
                self.positions[said.name] = said.position
                self.changed.notify_all()

    async def _read_narrowing(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        if not self._indexed:  # the event table appears when the command API first starts
            self._indexed = await access.create_index(conn)
        narrowed_at = await access.last_narrowing_position(conn)
        async with self.changed:
            self.narrowed_at = narrowed_at
            self.changed.notify_all()

    async def _refresh(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        """Positions as the table has them: at the start, after the connection was lost, and
        when a projector of an earlier release said only its name and position (what it
        changed is not known, so its read model's answers are all dropped)."""
        self._unannounced = False
        rows = await (
            await conn.execute("SELECT name, position FROM projection_positions")
        ).fetchall()
        async with self.changed:
            for row in rows:
                name, position = row["name"], int(row["position"])
                if position > self.position(name):
                    self.memory.changed(name, None)
                    self.positions[name] = position
            self.changed.notify_all()
        await self._read_narrowing(conn)
        self.listening = self.memory.keeping = True
