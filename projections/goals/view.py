"""Tables of the goals projection, and progress: contributions, or the linked account's
balance (DEBT_PAYOFF: the target less what is still owed), or net worth for NET_WORTH."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from domain.money import money_text
from projections.goals.model import GoalListed, GoalProgress, GoalType, GoalView
from projections.ledger import view as ledger

TABLES = (
    """CREATE TABLE IF NOT EXISTS goals (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        target_amount numeric NOT NULL,
        currency text NOT NULL,
        target_date date,
        account_id uuid,
        completed_at timestamptz,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS goals_by_workspace ON goals (workspace_id)",
    """CREATE TABLE IF NOT EXISTS goals_contributions (
        position bigint PRIMARY KEY,
        goal_id uuid NOT NULL,
        date date NOT NULL,
        amount numeric NOT NULL,
        note text
    )""",
    "CREATE INDEX IF NOT EXISTS goals_contributions_by_goal ON goals_contributions (goal_id)",
)
Conn = psycopg.AsyncConnection[dict[str, Any]]
COLUMNS = (
    "id, workspace_id, name, type, target_amount::text, currency, target_date, account_id, "
    "completed_at, version, created_at"
)
WINDOW_DAYS = 90  # the current monthly contribution is read over this many days
DAYS_A_MONTH = Decimal("30.436875")


async def list_goals(
    conn: Conn, workspace_id: UUID, goal_type: str | None, completed: bool | None, today: date
) -> list[GoalListed]:
    rows = await (
        await conn.execute(
            f"SELECT {COLUMNS} FROM goals WHERE workspace_id = %s AND NOT deleted "  # noqa: S608
            "AND (%s::text IS NULL OR type = %s) "
            "AND (%s::boolean IS NULL OR (completed_at IS NOT NULL) = %s) "
            "ORDER BY created_at, id",
            (workspace_id, goal_type, goal_type, completed, completed),
        )
    ).fetchall()
    listed = []
    for goal in (msgspec.convert(row, GoalView) for row in rows):
        current = await amount_on(conn, goal, today)
        listed.append(
            GoalListed(
                **msgspec.structs.asdict(goal),
                current_amount=money_text(current, goal.currency),
                percent=_percent(current, goal),
            )
        )
    return listed


async def get_goal(conn: Conn, workspace_id: UUID, goal_id: UUID) -> GoalView | None:
    row = await (
        await conn.execute(
            f"SELECT {COLUMNS} FROM goals "  # noqa: S608
            "WHERE workspace_id = %s AND id = %s AND NOT deleted",
            (workspace_id, goal_id),
        )
    ).fetchone()
    return None if row is None else msgspec.convert(row, GoalView)


async def amount_on(conn: Conn, goal: GoalView, day: date) -> Decimal:
    """Where the goal stood at the end of the day."""
    target = Decimal(goal.target_amount)
    if goal.account_id is not None:
        found = await ledger.balance_history(conn, goal.workspace_id, goal.account_id, [day])
        balance = Decimal(found[1][0].balance) if found else Decimal(0)
        if goal.type is GoalType.DEBT_PAYOFF:  # what is paid of the debt: an overpaid one is paid
            return max(Decimal(0), target - max(Decimal(0), -balance))
        return balance
    if goal.type is GoalType.NET_WORTH:
        [point] = await ledger.net_worth(conn, goal.workspace_id, goal.currency, [day])
        return Decimal(point.net_worth)
    row = await (
        await conn.execute(
            "SELECT coalesce(sum(amount), 0) AS total FROM goals_contributions "
            "WHERE goal_id = %s AND date <= %s",
            (goal.id, day),
        )
    ).fetchone()
    return Decimal(row["total"]) if row else Decimal(0)


async def progress(conn: Conn, goal: GoalView, today: date) -> GoalProgress:
    target = Decimal(goal.target_amount)
    current = await amount_on(conn, goal, today)
    then = await amount_on(conn, goal, today - timedelta(days=WINDOW_DAYS))
    monthly = (current - then) * DAYS_A_MONTH / WINDOW_DAYS
    remaining = max(Decimal(0), target - current)
    days_left = months_left = needed = None
    if goal.target_date is not None:
        days_left = max(0, (goal.target_date - today).days)
        months_left = Decimal(days_left) / DAYS_A_MONTH
        needed = remaining / months_left if months_left else remaining
    projected = None
    if remaining == 0:
        projected = today
    elif monthly > 0:
        projected = today + timedelta(days=int(remaining / monthly * DAYS_A_MONTH) + 1)
    if goal.completed_at is not None or remaining == 0:
        status = "COMPLETED"
    elif projected is not None and (goal.target_date is None or projected <= goal.target_date):
        status = "ON_TRACK"
    else:
        status = "BEHIND_SCHEDULE"
    return GoalProgress(
        goal_id=goal.id,
        name=goal.name,
        currency=goal.currency,
        current_amount=money_text(current, goal.currency),
        target_amount=goal.target_amount,
        percent=_percent(current, goal),
        remaining=money_text(remaining, goal.currency),
        target_date=goal.target_date,
        days_remaining=days_left,
        months_left=None if months_left is None else float(round(months_left, 1)),
        monthly_contribution_needed=None
        if needed is None
        else str(ledger.round_money(needed, goal.currency)),
        current_monthly_contribution=str(ledger.round_money(monthly, goal.currency)),
        projected_completion_date=projected,
        status=status,
    )


def _percent(current: Decimal, goal: GoalView) -> float:
    return float(round(current * 100 / Decimal(goal.target_amount), 1))


async def tracked_goals(conn: Conn, workspace_id: UUID) -> list[GoalView]:
    """The workspace's goals that follow balances and are not completed yet."""
    rows = await (
        await conn.execute(
            f"SELECT {COLUMNS} FROM goals WHERE workspace_id = %s AND NOT deleted "  # noqa: S608
            "AND completed_at IS NULL AND (account_id IS NOT NULL OR type = 'NET_WORTH')",
            (workspace_id,),
        )
    ).fetchall()
    return [msgspec.convert(row, GoalView) for row in rows]
