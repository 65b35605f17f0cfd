"""Points and badges as they are awarded, and the local days members logged expenses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.engagement.points import Badge, Points
from domain.engagement.streaks import local_day
from domain.ledger.transaction import Transaction
from domain.workspaces.workspace import Workspace
from projections.gamification.view import TABLES
from projections.runtime import Cursor, Projection, columns, handles
from projections.schedule_watch.projector import WATCH_ACTOR_ID as SCHEDULE_WATCH_ACTOR_ID


class GamificationProjection(Projection):
    name = "gamification"
    tables = TABLES

    def __init__(self) -> None:
        # The batch's rows, written together in flush; and the time zones it has asked for.
        self.points: list[tuple[Any, ...]] = []
        self.badges: list[tuple[Any, ...]] = []
        self.days: set[tuple[UUID, UUID, date]] = set()
        self.zones: dict[UUID, str | None] = {}
        # Expenses logged whose local day waits for their workspace's time zone: the zones
        # the batch needs are asked together.
        self.logged: list[tuple[UUID, UUID, datetime]] = []

    async def before_batch(self) -> None:
        self.points, self.badges, self.days, self.zones, self.logged = [], [], set(), {}, []

    async def flush(self, cur: Cursor) -> None:
        await self._settle(cur)
        await cur.executemany(
            "INSERT INTO gamification_points (id, workspace_id, user_id, amount, reason, "
            "source_id, awarded_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            self.points,
        )
        await cur.executemany(
            "INSERT INTO gamification_badges (id, workspace_id, user_id, slug, points, reason, "
            "source_id, earned_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            self.badges,
        )
        if self.days:
            await cur.execute(
                "INSERT INTO gamification_log_days (workspace_id, user_id, day) "
                "SELECT * FROM unnest(%b::uuid[], %b::uuid[], %b::date[]) ON CONFLICT DO NOTHING",
                columns(sorted(self.days), 3),  # one order for every writer: no deadlock
            )

    @handles(Points.Awarded)
    async def on_points_awarded(self, cur: Cursor, event: Any, position: int) -> None:
        self.points.append(
            (
                event.originator_id,
                event.workspace_id,
                event.user_id,
                event.amount,
                event.reason,
                event.source_id,
                event.timestamp,
                position,
            )
        )

    @handles(Badge.Earned)
    async def on_badge_earned(self, cur: Cursor, event: Any, position: int) -> None:
        self.badges.append(
            (
                event.originator_id,
                event.workspace_id,
                event.user_id,
                event.slug,
                event.points,
                event.reason,
                event.source_id,
                event.timestamp,
            )
        )

    @handles(Workspace.Created, Workspace.SettingsChanged)
    async def on_workspace_zone(self, cur: Cursor, event: Any, position: int) -> None:
        await self._settle(cur)  # what was logged before the change, in the zone before it
        zone = getattr(event, "timezone", "UTC")
        await cur.execute(
            "INSERT INTO gamification_zones (workspace_id, timezone) VALUES (%s, %s) "
            "ON CONFLICT (workspace_id) DO UPDATE SET timezone = excluded.timezone",
            (event.originator_id, zone),
        )
        self.zones[event.originator_id] = zone

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        """An expense typed in by a member (not imported, not a transfer, not a schedule's)
        marks the local day it was recorded on, as the engagement watch counts it."""
        if (
            event.amount >= 0
            or event.transfer_id is not None
            or event.import_id is not None
            or event.actor_id == SCHEDULE_WATCH_ACTOR_ID
        ):
            return
        self.logged.append((event.workspace_id, event.actor_id, event.timestamp))

    async def _settle(self, cur: Cursor) -> None:
        """The local day of each expense logged so far, in its workspace's zone (the zones
        not known yet in this batch asked in one query)."""
        logged, self.logged = self.logged, []
        missing = list({workspace_id for workspace_id, _, _ in logged} - self.zones.keys())
        if missing:
            await cur.execute(
                "SELECT workspace_id, timezone FROM gamification_zones "
                "WHERE workspace_id = ANY(%s)",
                (missing,),
            )
            found = {row["workspace_id"]: row["timezone"] for row in await cur.fetchall()}
            self.zones.update({workspace_id: found.get(workspace_id) for workspace_id in missing})
        for workspace_id, actor_id, at in logged:
            self.days.add((workspace_id, actor_id, local_day(at, self.zones[workspace_id])))
