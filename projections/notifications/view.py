"""Tables of the notifications projection, and the queries the read API asks of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import msgspec
import psycopg

from domain.budgeting.alerts import AlertRule
from projections.ledger.view import round_money
from projections.notifications.model import NotificationPage, NotificationView
from projections.pages import PageMeta

TABLES = (
    """CREATE TABLE IF NOT EXISTS notifications (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        workspace_id uuid,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        data jsonb NOT NULL,
        position bigint NOT NULL,
        created_at timestamptz NOT NULL,
        read_at timestamptz,
        dismissed_at timestamptz
    )""",
    "CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications (user_id, position DESC)",
    # Who is told: the members as the events had them (a rebuild gives the same answer).
    """CREATE TABLE IF NOT EXISTS notifications_members (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        PRIMARY KEY (workspace_id, user_id)
    )""",
    # The alerts each digest gathers (one row per alert and digest, so an alert seen twice
    # counts once); the digest's row in notifications is made again from them on each.
    """CREATE TABLE IF NOT EXISTS notifications_digest_lines (
        notification_id uuid NOT NULL,
        event_id uuid NOT NULL,
        position bigint NOT NULL,
        line text NOT NULL,
        alert jsonb NOT NULL,
        PRIMARY KEY (notification_id, event_id)
    )""",
    # What spending is usual: expenses per category and currency (Welford's running moments).
    """CREATE TABLE IF NOT EXISTS notifications_spending (
        workspace_id uuid NOT NULL,
        category_id uuid NOT NULL,
        currency text NOT NULL,
        n integer NOT NULL,
        mean numeric NOT NULL,
        m2 numeric NOT NULL,
        PRIMARY KEY (workspace_id, category_id, currency)
    )""",
)
Conn = psycopg.AsyncConnection[dict[str, Any]]


async def list_notifications(
    conn: Conn,
    user_id: UUID,
    workspace_id: UUID | None,
    unread: bool | None,
    page: int,
    page_size: int,
    now: datetime,
) -> NotificationPage:
    """As of ``now`` (the caller's clock): a digest is there once its day or week is over."""
    where = (
        "user_id = %(user)s AND dismissed_at IS NULL AND created_at <= %(now)s "
        "AND (%(ws)s::uuid IS NULL OR workspace_id = %(ws)s) "
        "AND (%(unread)s::boolean IS NULL OR (read_at IS NULL) = %(unread)s)"
    )
    params = {
        "user": user_id,
        "ws": workspace_id,
        "unread": unread,
        "now": now,
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }
    counted = await (
        await conn.execute(
            f"SELECT count(*) AS n, count(*) FILTER (WHERE read_at IS NULL) AS unread "  # noqa: S608
            f"FROM notifications WHERE {where}",
            params,
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            "SELECT id, workspace_id, kind, title, body, data, position, created_at, read_at "  # noqa: S608
            f"FROM notifications WHERE {where} ORDER BY position DESC, id "
            "LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
    ).fetchall()
    total = counted["n"] if counted else 0
    return NotificationPage(
        data=[msgspec.convert(row, NotificationView) for row in rows],
        unread=counted["unread"] if counted else 0,
        meta=PageMeta.of(page, page_size, total),
    )


async def recipients(conn: Conn, workspace_id: UUID | None) -> list[dict[str, Any]]:
    """The members' ids and emails (emails from the users projection)."""
    rows = await (
        await conn.execute(
            "SELECT m.user_id, u.email FROM notifications_members m "
            "LEFT JOIN users u ON u.id = m.user_id WHERE m.workspace_id = %s",
            (workspace_id,),
        )
    ).fetchall()
    return list(rows)


def alert_title(alert: AlertRule.Triggered) -> str:
    """``Food: 105.00 of 100.00 EUR spent``: the limit in minor units (a percent of a limit
    has more places), for the app and for mail alike."""
    limit = round_money(alert.limit, alert.currency)
    return f"{alert.budget_name}: {alert.spent} of {limit} {alert.currency} spent"


def alert_line(alert: AlertRule.Triggered) -> str:
    """An alert as a digest lists it, in the app and in mail."""
    said = f" {alert.message}" if alert.message else ""
    return f"{alert_title(alert)} ({alert.period_start} to {alert.period_end}).{said}"


def digest_period(frequency: str, at: datetime) -> tuple[datetime, datetime]:
    """The day (DAILY) or week, Monday to Sunday (WEEKLY), in UTC, holding ``at``: its start,
    and its end, when its digest is due."""
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if frequency == "DAILY":
        return day, day + timedelta(days=1)
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=7)


def digest_id(workspace_id: UUID | None, user_id: UUID, frequency: str, start: datetime) -> UUID:
    """One digest per workspace, member and day or week: a rebuild makes the same one."""
    return uuid5(user_id, f"alert-digest|{workspace_id}|{frequency}|{start.date()}")


def digest_title(frequency: str, start: datetime, count: int) -> str:
    alerts = "1 alert" if count == 1 else f"{count} alerts"
    when = "on" if frequency == "DAILY" else "in the week of"
    return f"{alerts} {when} {start.date()}"
