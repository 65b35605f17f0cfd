"""What a report command waits for on the reports read model: how the report or the mailing it
asked for turned out (made or failed, sent to whom), once the report_watch process has
recorded it and the reports projection has taken it in. The command loads the rest."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from domain.base import ConflictError

WAIT_SECONDS = 60.0  # a quarter's PDF of 100,000 transactions takes a few seconds
POLL_SECONDS = 0.05
Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]


@dataclass(frozen=True)
class Outcome:
    outcome: str  # generated, failed, emailed, email_failed
    code: str | None
    detail: str | None
    sent: list[str]
    failed: list[str]
    position: int


async def outcome(pool: Pool, workspace_id: UUID, key: UUID) -> Outcome:
    """The outcome recorded under a report's or a mailing's id; a ConflictError (409) when
    none is there within WAIT_SECONDS (the watch is behind: the request stays recorded)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = None
        async with pool.connection() as conn:
            # Until the reports projection has made its tables, there is nothing to find.
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                row = await (
                    await conn.execute(
                        "SELECT outcome, code, detail, sent, failed, position "
                        "FROM reports_outcomes WHERE id = %s AND workspace_id = %s",
                        (key, workspace_id),
                    )
                ).fetchone()
        if row is not None:
            return Outcome(**row)
        if time.monotonic() > deadline:
            raise ConflictError("the report watch is behind; retry shortly")
        await asyncio.sleep(POLL_SECONDS)
