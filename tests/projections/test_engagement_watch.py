"""The engagement watch: a logging streak counts local days across a time zone's midnight,
day and month badges come from the watch's clock, goals and imports earn theirs, and nothing
is awarded twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.categories import system_category_id
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings
from projections.engagement_watch.projector import EngagementWatch
from tests.api import Api
from tests.projections.processes import head, query, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"


def watched(settings: Settings) -> int:
    """The head, once the watch and the gamification model have both reached it."""
    for name in ("engagement_watch", "gamification"):
        target = head(settings)  # the gamification model waits for what the watch recorded
        wait_until(lambda name=name, target=target: position_of(settings, name) >= target, 20, name)
    return head(settings)


def position_of(settings: Settings, name: str) -> int:
    rows = query(settings, "SELECT position FROM projection_positions WHERE name = %s", name)
    return int(rows[0][0])


def badges_of(settings: Settings, workspace: str, user: str) -> dict[str, str]:
    rows = query(
        settings,
        "SELECT slug, reason FROM gamification_badges WHERE workspace_id = %s AND user_id = %s",
        UUID(workspace),
        UUID(user),
    )
    return dict(rows)


def test_a_logging_streak_counts_local_days_across_the_zones_midnight(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    zone = api.commands.put(
        f"/api/workspaces/{workspace}/settings",
        json={"base_currency": "EUR", "timezone": "Asia/Kolkata", "week_start": "MONDAY"},
        headers=user.headers,
    )
    assert zone.status_code == 200, zone.text
    # Local days 2025-01-01 … 07 (UTC+05:30), alternately at 00:30 (the UTC day before) and
    # 23:30: in UTC they fall on Dec 31, Jan 2, 2, 4, 4, 6, 6, no two days in a row.
    first = date(2025, 1, 1)
    moments = []
    for n in range(7):
        local = first + timedelta(days=n)
        at = time(0, 30) if n % 2 == 0 else time(23, 30)
        moments.append(datetime.combine(local, at) - timedelta(hours=5, minutes=30))
    utc_days = sorted({m.date() for m in moments})
    assert [d.day for d in utc_days] == [31, 2, 4, 6]
    ledger = Ledger(database.event_store_env(settings))
    try:
        for n, moment in enumerate(moments):
            details = TransactionDetails(
                account_id=UUID(account),
                date=first + timedelta(days=n),
                amount=Decimal("-3.50"),
                currency="EUR",
                description=f"Tea {n}",
                merchant=None,
                category_id=None,
                tags=(),
                notes=None,
            )
            recorded = Transaction.record(
                uuid4(), UUID(workspace), details, Actor(UUID(user.id), "streak-test")
            )
            for event in recorded._pending_events:  # as if typed in at that moment
                object.__setattr__(event, "timestamp", moment.replace(tzinfo=UTC))
            ledger.save(recorded)
    finally:
        ledger.close()
    position = watched(settings)
    earned = badges_of(settings, workspace, user.id)
    assert earned["logging_streak_7"] == "7 days in a row with an expense logged, to 2025-01-07"
    days = query(
        settings,
        "SELECT day FROM gamification_log_days WHERE workspace_id = %s ORDER BY day",
        UUID(workspace),
    )
    assert [row[0] for row in days] == [first + timedelta(days=n) for n in range(7)]
    got = api.read(user, f"/api/workspaces/{workspace}/gamification", position)
    assert got["streaks"]["logging"] == {"current": 0, "longest": 7}
    # 7 typed transactions on 7 days (7), the first transaction (10), the streak (50); the
    # live watch may by now have found the workspace's empty days since (no-spend badges).
    extra = sum(b["points"] for b in got["badges"] if b["slug"].startswith("no_spend"))
    assert got["points"] == 67 + extra


def test_days_months_goals_and_imports_earn_their_badges_once(api: Api, settings: Settings) -> None:
    user = api.user()
    ws = api.workspace(user)
    account = api.account(user, ws)
    base = f"/api/workspaces/{ws}"
    today = datetime.now(UTC).date()
    groceries = str(system_category_id(UUID(ws), "groceries"))
    api.record(user, ws, account, amount="-10.00", date=today.isoformat(), category_id=groceries)
    budget = api.commands.post(
        f"{base}/budgets",
        json={
            "name": "Food",
            "amount": "100.00",
            "period": today.strftime("%Y-%m"),
            "category_ids": [groceries],
        },
        headers=user.headers,
    )
    assert budget.status_code == 201, budget.text
    goal = api.commands.post(
        f"{base}/goals",
        json={"name": "Bike", "type": "SAVINGS", "target_amount": "50.00"},
        headers=user.headers,
    ).json()
    done = api.commands.post(
        f"{base}/goals/{goal['id']}/contributions",
        json={"amount": "50.00", "date": today.isoformat()},
        headers=user.headers,
    )
    assert done.status_code == 201, done.text
    imported = api.commands.post(
        f"{base}/imports",
        files={"file": ("default.csv", (FIXTURES / "default.csv").read_bytes())},
        data={"account_id": account},
        headers=user.headers,
    )
    assert imported.status_code in (200, 201), imported.text
    watched(settings)
    earned = badges_of(settings, ws, user.id)
    assert {"first_transaction", "goal_completed", "first_import"} <= set(earned)
    assert earned["goal_completed"] == "a goal you created reached its target"

    # Forty days on: the days after today held no expense dated on them (the import's lines
    # are dated long before), a weekend among them, and this month's budget was kept.
    later = datetime.combine(today + timedelta(days=40), time(12), tzinfo=UTC)

    async def look(now: datetime) -> None:
        watch = EngagementWatch(settings, clock=lambda: now)
        try:
            await watch.idle()
        finally:
            await watch.close()

    asyncio.run(look(later))
    watched(settings)
    earned = badges_of(settings, ws, user.id)
    month = today.strftime("%Y-%m")
    assert earned["budget_kept_month"] == f"Food kept in {month}"
    assert earned["month_under_budgets"].startswith("all ")
    assert earned["no_spend_day"].startswith("no expense on ")
    assert earned["no_spend_weekend"].startswith("no expense on ")
    count = len(earned)

    # Looked at again from scratch (the watch forgot how far it got): nothing new.
    with psycopg.connect(
        settings.database, options=f"-c search_path={settings.database_schema}", autocommit=True
    ) as conn:
        conn.execute("DELETE FROM engagement_watch_checked WHERE workspace_id = %s", (UUID(ws),))
    asyncio.run(look(later))
    assert len(badges_of(settings, ws, user.id)) == count
    awarded = query(
        settings,
        "SELECT count(*) FROM centsource_events WHERE topic LIKE %s "
        "AND convert_from(state, 'UTF8') LIKE %s",
        "%Badge.Earned",
        f"%{UUID(ws).hex}%",
    )[0][0]
    assert awarded == count
    got: Any = api.read(user, f"{base}/gamification", watched(settings))
    assert {b["slug"] for b in got["badges"]} == set(earned)
