"""Tables of the schedules projection, and each schedule's next dates and recent outcomes
(payments read from the transactions projection)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from domain.ledger.schedules import Cadence, nth_occurrence, occurrences
from projections.pages import PageMeta
from projections.schedules.matching import WINDOW, Payment, outcomes
from projections.schedules.model import (
    OccurrenceView,
    ScheduleList,
    ScheduleListed,
    ScheduleView,
)

TABLES = (
    """CREATE TABLE IF NOT EXISTS schedules (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        account_id uuid NOT NULL,
        amount numeric NOT NULL,
        currency text NOT NULL,
        category text,
        merchant text,
        cadence text NOT NULL,
        next_date date NOT NULL,
        end_date date,
        auto_post boolean NOT NULL,
        from_recurring uuid,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS schedules_by_workspace ON schedules (workspace_id)",
)
Conn = psycopg.AsyncConnection[dict[str, Any]]
COLUMNS = (
    "id, workspace_id, name, account_id, amount::text, currency, category, merchant, cadence, "
    "next_date, end_date, auto_post, from_recurring, version, created_at"
)
RECENT_DAYS = 90  # outcomes are shown for the dates of this many days up to today
UPCOMING = 3  # dates after today listed


async def list_schedules(
    conn: Conn, workspace_id: UUID, today: date, page: int, page_size: int
) -> ScheduleList:
    """Oldest first."""
    total_row = await (
        await conn.execute(
            "SELECT count(*) AS total FROM schedules WHERE workspace_id = %s AND NOT deleted",
            (workspace_id,),
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            f"SELECT {COLUMNS} FROM schedules WHERE workspace_id = %s AND NOT deleted "  # noqa: S608
            "ORDER BY created_at, id LIMIT %s OFFSET %s",
            (workspace_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    listed = [await _listed(conn, msgspec.convert(row, ScheduleView), today) for row in rows]
    total = total_row["total"] if total_row else 0
    return ScheduleList(data=listed, meta=PageMeta.of(page, page_size, total))


async def _listed(conn: Conn, schedule: ScheduleView, today: date) -> ScheduleListed:
    cadence = Cadence(schedule.cadence)
    since = today - timedelta(days=RECENT_DAYS)
    dates = [
        day
        for day in occurrences(schedule.next_date, cadence, schedule.end_date, today)
        if day > since
    ]
    payments = await (
        await conn.execute(
            "SELECT id, date, amount FROM transactions WHERE workspace_id = %s "
            "AND account_id = %s AND NOT deleted AND date BETWEEN %s AND %s",
            (schedule.workspace_id, schedule.account_id, since - WINDOW, today + WINDOW),
        )
    ).fetchall()
    recent = outcomes(
        dates,
        Decimal(schedule.amount),
        [Payment(row["id"], row["date"], Decimal(row["amount"])) for row in payments],
        today,
    )
    return ScheduleListed(
        **msgspec.structs.asdict(schedule),
        upcoming=_upcoming(schedule, cadence, today),
        recent=[
            OccurrenceView(date=o.date, status=o.status, transaction_id=o.transaction_id)
            for o in recent
        ],
        missed=sum(o.status == "MISSED" for o in recent),
    )


def _upcoming(schedule: ScheduleView, cadence: Cadence, today: date) -> list[date]:
    found: list[date] = []
    n = 0
    while len(found) < UPCOMING:
        day = nth_occurrence(schedule.next_date, cadence, n)
        if schedule.end_date is not None and day > schedule.end_date:
            break
        if day > today:
            found.append(day)
        n += 1
    return found
