"""Schedules as they stand (deleted ones kept, marked)."""

from __future__ import annotations

from typing import Any

from domain.ledger.schedules import Schedule
from projections.runtime import Cursor, Projection, handles
from projections.schedules.view import TABLES


class SchedulesProjection(Projection):
    name = "schedules"
    tables = TABLES

    @handles(Schedule.Created)
    async def on_schedule_created(
        self, cur: Cursor, event: Schedule.Created, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO schedules (id, workspace_id, name, account_id, amount, currency, "
            "category, merchant, cadence, next_date, end_date, auto_post, from_recurring, "
            "version, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                event.name,
                event.account_id,
                event.amount,
                event.currency,
                event.category,
                event.merchant,
                event.cadence,
                event.next_date,
                event.end_date,
                event.auto_post,
                event.from_recurring,
                event.originator_version,
                event.timestamp,
            ),
        )

    @handles(Schedule.Changed)
    async def on_schedule_changed(
        self, cur: Cursor, event: Schedule.Changed, position: int
    ) -> None:
        await cur.execute(
            "UPDATE schedules SET name = %s, amount = %s, category = %s, merchant = %s, "
            "cadence = %s, next_date = %s, end_date = %s, auto_post = %s, version = %s "
            "WHERE id = %s",
            (
                event.name,
                event.amount,
                event.category,
                event.merchant,
                event.cadence,
                event.next_date,
                event.end_date,
                event.auto_post,
                event.originator_version,
                event.originator_id,
            ),
        )

    @handles(Schedule.Deleted)
    async def on_schedule_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE schedules SET deleted = true, version = %s WHERE id = %s",
            (event.originator_version, event.originator_id),
        )
