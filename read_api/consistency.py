"""Read-your-writes: know each projection's position, and wait until it reaches a client's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

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
from projections.runtime import POSITIONS_CHANNEL, create_read_model_tables
from projections.transactions import view as transactions_view
from projections.users import view as users_view
from projections.workspaces import view as workspaces_view

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
REFRESH_SECONDS = 5.0


class PositionWatcher:
    """Listens for projections' commits and keeps their positions in memory.

    A notification only wakes the watcher up; positions are then read from the table, so a
    rebuild's or another schema's notifications cannot mislead it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.positions: dict[str, int] = {}
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
        deadline = time.monotonic() + timeout
        async with self.changed:
            while any(self.position(name) < min_position for name in names):
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
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(POSITIONS_CHANNEL)))
        return conn

    async def _follow(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        while True:
            try:
                # Wake on a projection's commit, or every few seconds should one be missed.
                async for _ in conn.notifies(timeout=REFRESH_SECONDS, stop_after=1):
                    pass
                await self._refresh(conn)
            except psycopg.OperationalError as error:
                log.warning("position listener lost its connection", error=str(error))
                await asyncio.sleep(1)
                with contextlib.suppress(psycopg.OperationalError):
                    conn = await self._connect()

    async def _refresh(self, conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
        if not self._indexed:  # the event table appears when the command API first starts
            self._indexed = await access.create_index(conn)
        rows = await (
            await conn.execute("SELECT name, position FROM projection_positions")
        ).fetchall()
        async with self.changed:
            self.positions = {row["name"]: int(row["position"]) for row in rows}
            self.changed.notify_all()
