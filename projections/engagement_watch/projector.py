"""Follows what members do and records ``PointsAwarded`` and ``BadgeEarned`` once.

This is a process manager, not a read model: it is never rebuilt. Each award's id derives
from what caused it (a transaction, an import, a goal, a claimed challenge, a day, a month),
and the Engagement application records only awards the log does not hold yet, so a batch
handled twice (a crash before the position commits, a restart) awards nothing twice, and a
badge is earned once per member and workspace.

During a batch it keeps, in its own tables, each workspace's time zone (from the workspace's
events), the members who have recorded transactions there and since which local day, each
member's typed transactions by the local day they were recorded on (for the daily points
cap and the logging streak) and their receipts, each once by its id. Whenever it has caught
up (``idle``), by its injectable clock, it looks at each workspace's days that have ended
since it last looked: a day without an expense is a no-spend day, a Saturday and Sunday both
without one a no-spend weekend, and at a month's end the monthly budgets' periods are asked
whether they were kept.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.engagement.application import BadgeDue, Engagement, PointsDue
from domain.engagement.catalogue import points_rules
from domain.engagement.challenges import Challenge
from domain.engagement.streaks import local_day, run_ending
from domain.goals.goal import Goal
from domain.ledger.imports import Import
from domain.ledger.transaction import Transaction
from domain.workspaces.workspace import Workspace
from infra.database import event_store_env
from infra.settings import Settings
from projections.insights import health_rows
from projections.runtime import (
    Cursor,
    Projection,
    handles,
    open_connection,
    wait_for_projections,
)
from projections.schedule_watch.projector import WATCH_ACTOR_ID as SCHEDULE_WATCH_ACTOR_ID

NAME = "engagement_watch"
WAITED_FOR = ("transactions", "ledger", "budgets")
LOOK_BACK_DAYS = 62  # a watch stopped longer than this does not look further back
ONE_DAY = timedelta(days=1)
STREAK_BADGES = ((30, "logging_streak_30"), (7, "logging_streak_7"))
RECEIPTS_FOR_BADGE = 10
TABLES = (
    """CREATE TABLE IF NOT EXISTS engagement_watch_zones (
        workspace_id uuid PRIMARY KEY,
        timezone text NOT NULL
    )""",
    # Members who have recorded a transaction in the workspace, from the local day they first did.
    """CREATE TABLE IF NOT EXISTS engagement_watch_people (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        since date NOT NULL,
        PRIMARY KEY (workspace_id, user_id)
    )""",
    # Each typed transaction once, by the local day it was recorded on: a batch handled again
    # counts nothing twice, and a transaction's rank in its day is its position's.
    """CREATE TABLE IF NOT EXISTS engagement_watch_logged (
        transaction_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        day date NOT NULL,
        expense boolean NOT NULL,
        position bigint NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS engagement_watch_logged_by_day "
    "ON engagement_watch_logged (workspace_id, user_id, day)",
    """CREATE TABLE IF NOT EXISTS engagement_watch_receipts (
        attachment_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS engagement_watch_goals (
        goal_id uuid PRIMARY KEY,
        user_id uuid NOT NULL
    )""",
    # The last local day whose end the watch has looked at, per workspace.
    """CREATE TABLE IF NOT EXISTS engagement_watch_checked (
        workspace_id uuid PRIMARY KEY,
        checked_through date NOT NULL
    )""",
)


class EngagementWatch(Projection):
    name = NAME
    tables = TABLES

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engagement: Engagement | None = None
        self.due: list[PointsDue | BadgeDue] = []
        self.until = 0
        self.conn: Any = None
        # What the batch has read and not written yet, so each is asked or written once:
        # time zones, members known to have recorded, each member's day's counts (logged,
        # expenses), and the typed transactions, written in flush (or before a streak is read).
        self.zones: dict[UUID, str] = {}
        self.people: set[tuple[UUID, UUID]] = set()
        self.counts: dict[tuple[UUID, UUID, date], list[int]] = {}
        self.logged: list[tuple[UUID, UUID, UUID, date, bool, int]] = []

    async def before_batch(self) -> None:
        self.due.clear()
        self.zones, self.people, self.counts, self.logged = {}, set(), {}, []
        if self.engagement is None:  # made off the loop: making the event store waits for its lock
            self.engagement = await asyncio.to_thread(Engagement, event_store_env(self.settings))

    @handles(Workspace.Created, Workspace.SettingsChanged)
    async def on_workspace_zone(self, cur: Cursor, event: Any, position: int) -> None:
        zone = getattr(event, "timezone", "UTC")
        await cur.execute(
            "INSERT INTO engagement_watch_zones (workspace_id, timezone) VALUES (%s, %s) "
            "ON CONFLICT (workspace_id) DO UPDATE SET timezone = excluded.timezone",
            (event.originator_id, zone),
        )
        self.zones[event.originator_id] = zone
        self.until = position

    async def _zone(self, cur: Cursor, workspace_id: UUID) -> str:
        if workspace_id not in self.zones:
            await cur.execute(
                "SELECT timezone FROM engagement_watch_zones WHERE workspace_id = %s",
                (workspace_id,),
            )
            row = await cur.fetchone()
            self.zones[workspace_id] = "UTC" if row is None else str(row["timezone"])
        return self.zones[workspace_id]

    async def flush(self, cur: Cursor) -> None:
        await cur.executemany(
            "INSERT INTO engagement_watch_logged (transaction_id, workspace_id, user_id, day, "
            "expense, position) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            self.logged,
        )
        self.logged = []

    async def _day_counts(
        self, cur: Cursor, key: tuple[UUID, UUID, date], position: int
    ) -> list[int]:
        """The member's day's [logged, expenses] before this position: read once a batch,
        then counted here as the batch's transactions come."""
        if key not in self.counts:
            await cur.execute(
                "SELECT count(*) AS logged, count(*) FILTER (WHERE expense) AS expenses "
                "FROM engagement_watch_logged WHERE workspace_id = %s AND user_id = %s "
                "AND day = %s AND position < %s",
                (*key, position),
            )
            row = await cur.fetchone()
            assert row is not None
            self.counts[key] = [int(row["logged"]), int(row["expenses"])]
        return self.counts[key]

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        if event.transfer_id is not None or event.actor_id == SCHEDULE_WATCH_ACTOR_ID:
            return  # a transfer moves money between one's own accounts; a schedule posts itself
        workspace_id, user_id = event.workspace_id, event.actor_id
        day = local_day(event.timestamp, await self._zone(cur, workspace_id))
        first = False
        if (workspace_id, user_id) not in self.people:  # known for the rest of the batch
            self.people.add((workspace_id, user_id))
            await cur.execute(
                "INSERT INTO engagement_watch_people (workspace_id, user_id, since) "
                "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING since",
                (workspace_id, user_id, day),
            )
            first = await cur.fetchone() is not None
        if first:
            self.due.append(
                BadgeDue(
                    workspace_id,
                    user_id,
                    "first_transaction",
                    f"first transaction recorded on {day.isoformat()}",
                    event.originator_id,
                )
            )
        if event.import_id is not None:
            return  # logging points and streaks are for what a member types in
        expense = bool(event.amount < 0)
        counts = await self._day_counts(cur, (workspace_id, user_id, day), position)
        self.logged.append((event.originator_id, workspace_id, user_id, day, expense, position))
        counts[0] += 1
        counts[1] += expense
        logged, expenses = counts
        rules = points_rules()
        if logged <= rules["logged_per_day"]:
            self.due.append(
                PointsDue(
                    workspace_id,
                    user_id,
                    rules["transaction_logged"],
                    "transaction_logged",
                    event.originator_id,
                )
            )
        if expense and expenses == 1:  # the day joins the streak
            await self.flush(cur)  # the batch's days so far count
            await cur.execute(
                "SELECT DISTINCT day FROM engagement_watch_logged WHERE workspace_id = %s "
                "AND user_id = %s AND expense AND position <= %s AND day BETWEEN %s AND %s",
                (workspace_id, user_id, position, day - timedelta(days=40), day),
            )
            streak = run_ending([row["day"] for row in await cur.fetchall()], day)
            for length, slug in STREAK_BADGES:
                if streak >= length:
                    self.due.append(
                        BadgeDue(
                            workspace_id,
                            user_id,
                            slug,
                            f"{length} days in a row with an expense logged, to {day.isoformat()}",
                            event.originator_id,
                        )
                    )

    @handles(Transaction.Attached)
    async def on_transaction_attached(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        await cur.execute(
            "INSERT INTO engagement_watch_receipts (attachment_id, workspace_id, user_id) "
            "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (event.attachment_id, event.workspace_id, event.actor_id),
        )
        await cur.execute(
            "SELECT count(*) AS attached FROM engagement_watch_receipts "
            "WHERE workspace_id = %s AND user_id = %s",
            (event.workspace_id, event.actor_id),
        )
        row = await cur.fetchone()
        if row is not None and row["attached"] >= RECEIPTS_FOR_BADGE:
            self.due.append(
                BadgeDue(
                    event.workspace_id,
                    event.actor_id,
                    "receipts_10",
                    f"{RECEIPTS_FOR_BADGE} receipts attached",
                    event.attachment_id,
                )
            )

    @handles(Import.Completed)
    async def on_import_completed(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        self.due.append(
            BadgeDue(
                event.workspace_id,
                event.actor_id,
                "first_import",
                f"first statement imported ({event.imported} transactions)",
                event.originator_id,
            )
        )

    @handles(Goal.Created)
    async def on_goal_created(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        await cur.execute(
            "INSERT INTO engagement_watch_goals (goal_id, user_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (event.originator_id, event.actor_id),
        )

    @handles(Goal.Completed)
    async def on_goal_completed(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        await cur.execute(
            "SELECT user_id FROM engagement_watch_goals WHERE goal_id = %s", (event.originator_id,)
        )
        row = await cur.fetchone()
        if row is not None:
            self.due.append(
                BadgeDue(
                    event.workspace_id,
                    row["user_id"],
                    "goal_completed",
                    "a goal you created reached its target",
                    event.originator_id,
                )
            )

    @handles(Challenge.Claimed)
    async def on_challenge_claimed(self, cur: Cursor, event: Any, position: int) -> None:
        self.until = position
        # Only the challenge's member can claim it, so the actor is that member.
        self.due.append(
            PointsDue(
                event.workspace_id,
                event.actor_id,
                event.reward_points,
                "challenge_claimed",
                event.originator_id,
            )
        )

    async def after_batch(self) -> None:
        if self.due:
            assert self.engagement is not None
            await asyncio.to_thread(self.engagement.award, list(self.due), f"{NAME}:{self.until}")
            self.due.clear()

    async def idle(self) -> None:
        """Looks at the days that have ended in each workspace since it last looked."""
        if self.engagement is None:
            self.engagement = await asyncio.to_thread(Engagement, event_store_env(self.settings))
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each day looked at stays looked at.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
        now = self.clock()
        rows = await (
            await self.conn.execute(
                "SELECT p.workspace_id, min(p.since) AS since, z.timezone, c.checked_through "
                "FROM engagement_watch_people p "
                "LEFT JOIN engagement_watch_zones z ON z.workspace_id = p.workspace_id "
                "LEFT JOIN engagement_watch_checked c ON c.workspace_id = p.workspace_id "
                "GROUP BY p.workspace_id, z.timezone, c.checked_through"
            )
        ).fetchall()
        waited = False
        for row in rows:
            end = local_day(now, row["timezone"]) - ONE_DAY
            after = row["checked_through"]
            start = max(after + ONE_DAY if after else row["since"], end - timedelta(LOOK_BACK_DAYS))
            if start > end:
                continue
            if not waited:  # the read models asked must hold what the watch has seen
                await wait_for_projections(self.conn, WAITED_FOR, await self._position())
                waited = True
            due = await self._days(row["workspace_id"], start, end)
            if due:
                await asyncio.to_thread(
                    self.engagement.award, due, f"{NAME}:{row['workspace_id']}:{end}"
                )
            await self.conn.execute(
                "INSERT INTO engagement_watch_checked (workspace_id, checked_through) "
                "VALUES (%s, %s) ON CONFLICT (workspace_id) DO UPDATE "
                "SET checked_through = excluded.checked_through",
                (row["workspace_id"], end),
            )

    async def _position(self) -> int:
        row = await (
            await self.conn.execute(
                "SELECT position FROM projection_positions WHERE name = %s", (NAME,)
            )
        ).fetchone()
        return 0 if row is None else int(row["position"])

    async def _days(self, workspace_id: UUID, start: date, end: date) -> list[BadgeDue | PointsDue]:
        people = {
            row["user_id"]: row["since"]
            for row in await (
                await self.conn.execute(
                    "SELECT user_id, since FROM engagement_watch_people WHERE workspace_id = %s",
                    (workspace_id,),
                )
            ).fetchall()
        }
        spent = {
            row["date"]
            for row in await (
                await self.conn.execute(
                    "SELECT DISTINCT date FROM transactions WHERE workspace_id = %s "
                    "AND NOT deleted AND transfer_id IS NULL AND amount < 0 "
                    "AND date BETWEEN %s AND %s",
                    (workspace_id, start - ONE_DAY, end),
                )
            ).fetchall()
        }
        due: list[BadgeDue | PointsDue] = []

        def everyone(slug: str, reason: str, since: date) -> None:
            due.extend(
                BadgeDue(workspace_id, user, slug, reason, None)
                for user, first in people.items()
                if first <= since
            )

        day = start
        while day <= end:
            if day not in spent:
                everyone("no_spend_day", f"no expense on {day.isoformat()}", day)
                saturday = day - ONE_DAY
                if day.weekday() == 6 and saturday not in spent:
                    everyone(
                        "no_spend_weekend",
                        f"no expense on {saturday.isoformat()} or {day.isoformat()}",
                        saturday,
                    )
            if day.day == calendar.monthrange(day.year, day.month)[1]:
                await self._month(workspace_id, day, everyone)
            day += ONE_DAY
        return due

    async def _month(
        self, workspace_id: UUID, last: date, everyone: Callable[[str, str, date], None]
    ) -> None:
        """At a month's end: its monthly budgets' periods, kept or not."""
        first = last.replace(day=1)
        periods = [
            p
            for p in await health_rows.budget_periods(self.conn, workspace_id, first, last)
            if p.start == first and p.end == last
        ]
        kept = [p for p in periods if p.spent <= p.limit]
        month = first.strftime("%Y-%m")
        if kept:
            everyone("budget_kept_month", f"{kept[0].name} kept in {month}", last)
        if periods and len(kept) == len(periods):
            everyone(
                "month_under_budgets", f"all {len(periods)} monthly budgets kept in {month}", last
            )

    async def close(self) -> None:
        if self.engagement is not None:
            self.engagement.close()
            self.engagement = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
