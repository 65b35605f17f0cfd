"""Follows schedules and records each due date of an auto_post one as a transaction, once.

This is a process manager, not a read model: it is never rebuilt. It keeps, per schedule, the
last day it looked at (``checked_through``). Whenever it has caught up with the log (and at
least every ``IDLE_RECHECK_SECONDS``) it asks the Scheduling application to post the dates
after that day up to today, the workspace's today by the watch's clock, and moves the day on.
It moves the day on for a schedule without auto_post too: dates that passed while auto_post
was off are the user's to record, and switching it on posts from then on. A transaction's id
derives from the schedule and the date, so a crash between posting and moving the day on, a
restart or a replay posts nothing twice (the event store refuses the second).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.base import Actor, natural_id
from domain.ledger.application import Ledger
from domain.ledger.schedules import Schedule
from domain.ledger.scheduling import Scheduling
from infra.database import event_store_env
from infra.settings import Settings
from projections.runtime import Cursor, Projection, handles, open_connection

WATCH_ACTOR_ID = natural_id("process", "schedule_watch")
TABLES = (
    """CREATE TABLE IF NOT EXISTS schedule_watch (
        schedule_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        checked_through date
    )""",
)


def local_today(now: datetime, zone: str | None) -> date:
    try:
        return now.astimezone(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine's tz data lacks
        return now.astimezone(UTC).date()


class ScheduleWatch(Projection):
    name = "schedule_watch"
    tables = TABLES

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.scheduling: Scheduling | None = None
        self.ledger: Ledger | None = None
        self.conn: Any = None

    @handles(Schedule.Created)
    async def on_schedule_created(
        self, cur: Cursor, event: Schedule.Created, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO schedule_watch (schedule_id, workspace_id) VALUES (%s, %s) "
            "ON CONFLICT (schedule_id) DO NOTHING",
            (event.originator_id, event.workspace_id),
        )

    @handles(Schedule.Deleted)
    async def on_schedule_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE schedule_watch SET deleted = true WHERE schedule_id = %s",
            (event.originator_id,),
        )

    async def idle(self) -> None:
        """Posts what has come due since each schedule was last looked at."""
        if self.scheduling is None or self.ledger is None:
            # Made off the loop: making the event store waits for its lock.
            env = event_store_env(self.settings)
            self.scheduling = await asyncio.to_thread(Scheduling, env)
            self.ledger = await asyncio.to_thread(Ledger, env)
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each day moved on stays moved on.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
        now = self.clock()
        rows = await (
            await self.conn.execute(
                "SELECT s.schedule_id, s.checked_through, w.timezone FROM schedule_watch s "
                "LEFT JOIN workspaces w ON w.id = s.workspace_id WHERE NOT s.deleted"
            )
        ).fetchall()
        for row in rows:
            today = local_today(now, row["timezone"])
            after = row["checked_through"]
            if after is not None and after >= today:
                continue
            await asyncio.to_thread(self._post, row["schedule_id"], after, today)
            await self.conn.execute(
                "UPDATE schedule_watch SET checked_through = %s WHERE schedule_id = %s",
                (today, row["schedule_id"]),
            )

    def _post(self, schedule_id: UUID, after: date | None, today: date) -> list[UUID]:
        assert self.scheduling is not None
        assert self.ledger is not None
        by = Actor(WATCH_ACTOR_ID, f"schedule_watch:{schedule_id}:{today.isoformat()}")
        return self.scheduling.post_due(schedule_id, after, today, self.ledger, by)

    async def close(self) -> None:
        if self.scheduling is not None:
            self.scheduling.close()
            self.scheduling = None
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
