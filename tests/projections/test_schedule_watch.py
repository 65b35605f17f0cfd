"""The schedule watch: each due date of an auto_post schedule is posted once, by the watch's
clock in the workspace's time zone, whatever restarts or forgets."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.ledger.schedules import occurrence_transaction_id
from infra.settings import Settings
from projections.schedule_watch.projector import ScheduleWatch
from tests.api import Api, User
from tests.projections.processes import query, wait_until

# Far ahead of the real clock: the watch the test session runs posts none of these dates.
NOW = datetime(2036, 3, 31, 12, tzinfo=UTC)


def watch_at(settings: Settings, now: datetime) -> None:
    """A watch started afresh, its clock saying ``now``."""

    async def run() -> None:
        watch = ScheduleWatch(settings, clock=lambda: now)
        try:
            await watch.idle()
        finally:
            await watch.close()

    asyncio.run(run())


def watched(settings: Settings, position: int) -> None:
    wait_until(
        lambda: (
            query(
                settings,
                "SELECT position FROM projection_positions WHERE name = 'schedule_watch'",
            )[0][0]
            >= position
        ),
        20,
        "the schedule watch",
    )


def posted(api: Api, user: User, workspace: str, account: str) -> list[tuple[str, str]]:
    head = query(settings_of(api), "SELECT max(notification_id) FROM centsource_events")[0][0]
    found: list[Any] = api.read(
        user, f"/api/workspaces/{workspace}/transactions", head, account_id=account
    )["data"]
    return sorted((row["id"], row["date"]) for row in found)


def settings_of(api: Api) -> Settings:
    settings: Settings = api.commands.app.state.settings
    return settings


def test_an_auto_post_schedule_posts_each_due_date_once_across_restarts_and_replays(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    base = f"/api/workspaces/{workspace}/schedules"
    body = {
        "name": "Rent",
        "account_id": account,
        "amount": "-900.00",
        "cadence": "MONTHLY",
        "next_date": "2036-01-31",
        "auto_post": True,
    }
    schedule = api.commands.post(base, json=body, headers=user.headers).json()
    manual = api.commands.post(
        base, json={**body, "name": "Gym", "auto_post": False}, headers=user.headers
    ).json()
    watched(settings, manual["position"])
    schedule_id = UUID(schedule["id"])
    expected = sorted(
        (str(occurrence_transaction_id(schedule_id, day)), day.isoformat())
        for day in (date(2036, 1, 31), date(2036, 2, 29), date(2036, 3, 31))
    )
    watch_at(settings, NOW)
    assert posted(api, user, workspace, account) == expected
    watch_at(settings, NOW)  # a restart
    query(
        settings,
        "UPDATE schedule_watch SET checked_through = NULL WHERE schedule_id = %s RETURNING 1",
        schedule_id,
    )
    watch_at(settings, NOW)  # what it looked at forgotten, as after a replay
    assert posted(api, user, workspace, account) == expected


def test_due_means_today_in_the_workspaces_time_zone(api: Api, settings: Settings) -> None:
    user = api.user()
    workspace = api.workspace(user)
    moved = api.commands.put(
        f"/api/workspaces/{workspace}/settings",
        json={"base_currency": "EUR", "timezone": "Pacific/Kiritimati", "week_start": "MONDAY"},
        headers=user.headers,
    )
    assert moved.status_code == 200, moved.text
    account = api.account(user, workspace)
    created = api.commands.post(
        f"/api/workspaces/{workspace}/schedules",
        json={
            "name": "Salary",
            "account_id": account,
            "amount": "2500.00",
            "cadence": "MONTHLY",
            "next_date": "2036-04-01",
            "auto_post": True,
        },
        headers=user.headers,
    ).json()
    watched(settings, created["position"])
    wait_until(
        lambda: (
            query(settings, "SELECT position FROM projection_positions WHERE name = 'workspaces'")[
                0
            ][0]
            >= created["position"]
        ),
        20,
        "the workspaces projection",
    )
    watch_at(settings, datetime(2036, 3, 31, 9, tzinfo=UTC))  # 31 March 23:00 on Kiritimati
    assert posted(api, user, workspace, account) == []
    watch_at(settings, NOW)  # noon UTC is 1 April there: due
    assert posted(api, user, workspace, account) == [
        (str(occurrence_transaction_id(UUID(created["id"]), date(2036, 4, 1))), "2036-04-01")
    ]
