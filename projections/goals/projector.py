"""Goals as they stand, and each contribution."""

from __future__ import annotations

from typing import Any

from domain.goals.goal import Goal
from projections.goals.view import TABLES
from projections.runtime import Cursor, Projection, handles


class GoalsProjection(Projection):
    name = "goals"
    tables = TABLES

    @handles(Goal.Created)
    async def on_goal_created(self, cur: Cursor, event: Goal.Created, position: int) -> None:
        await cur.execute(
            "INSERT INTO goals (id, workspace_id, name, type, target_amount, currency, "
            "target_date, account_id, version, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.name,
                event.type,
                event.target_amount,
                event.currency,
                event.target_date,
                event.account_id,
                event.originator_version,
                event.timestamp,
            ),
        )

    @handles(Goal.Changed)
    async def on_goal_changed(self, cur: Cursor, event: Goal.Changed, position: int) -> None:
        await cur.execute(
            "UPDATE goals SET name = %s, target_amount = %s, target_date = %s, version = %s "
            "WHERE id = %s",
            (
                event.name,
                event.target_amount,
                event.target_date,
                event.originator_version,
                event.originator_id,
            ),
        )

    @handles(Goal.ContributionAdded)
    async def on_contribution_added(
        self, cur: Cursor, event: Goal.ContributionAdded, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO goals_contributions (position, goal_id, date, amount, note) "
            "VALUES (%s, %s, %s, %s, %s)",
            (position, event.originator_id, event.date, event.amount, event.note),
        )
        await self._version(cur, event)

    @handles(Goal.Completed)
    async def on_goal_completed(self, cur: Cursor, event: Goal.Completed, position: int) -> None:
        await cur.execute(
            "UPDATE goals SET completed_at = %s WHERE id = %s",
            (event.timestamp, event.originator_id),
        )
        await self._version(cur, event)

    @handles(Goal.Deleted)
    async def on_goal_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute("UPDATE goals SET deleted = true WHERE id = %s", (event.originator_id,))
        await self._version(cur, event)

    async def _version(self, cur: Cursor, event: Any) -> None:
        await cur.execute(
            "UPDATE goals SET version = %s WHERE id = %s",
            (event.originator_version, event.originator_id),
        )
