"""The budget watch: an ABSOLUTE alert rule of no budget fires once a month on what it watches
(its categories with their subcategories), not once per budget of the workspace; a change of
the rule asks the month that holds today where the workspace is, by the watch's clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.ledger.categories import system_category_id
from infra.settings import Settings
from projections.budget_watch.projector import BudgetWatch
from tests.api import Api, User
from tests.projections.processes import query, wait_until
from tests.read_api.test_budgets import groceries_budget
from tests.webhooks.test_alerts import alert_rule


def settled(api: Api, user: User, settings: Settings, position: int) -> list[Any]:
    """The user's notifications once the watch has handled everything up to ``position`` and
    the notifications have caught up with what it recorded."""
    wait_until(
        lambda: (
            query(
                settings, "SELECT position FROM projection_positions WHERE name = 'budget_watch'"
            )[0][0]
            >= position
        ),
        20,
        "the budget watch",
    )
    head = query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0]
    notes: list[Any] = api.read(user, "/api/notifications", head)["data"]
    return notes


def test_an_absolute_rule_of_no_budget_fires_once_a_month_on_its_own_categories(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    fun = str(system_category_id(UUID(workspace), "entertainment"))
    streaming = str(system_category_id(UUID(workspace), "streaming"))  # a subcategory of it
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    # Budgets that do not hold the rule's category, one that does, and one of everything.
    groceries_budget(api, user, workspace, name="Food", amount="1000")
    groceries_budget(api, user, workspace, name="Roll", amount="1000", category_ids=[])
    groceries_budget(api, user, workspace, name="Out", amount="1000", category_ids=[fun])
    rule = alert_rule(
        api,
        user,
        workspace,
        threshold_type="ABSOLUTE",
        threshold="250",
        category_ids=[fun],
        channels=["IN_APP"],
    )
    api.record(user, workspace, account, amount="-900.00", category_id=groceries)  # not counted
    api.record(user, workspace, account, amount="-200.00", category_id=fun)
    over = api.record(user, workspace, account, amount="-190.00", category_id=streaming)
    [note] = settled(api, user, settings, over["position"])
    assert note["title"] == "Entertainment: 390.00 of 250.00 EUR spent"
    assert note["data"]["alert_rule_id"] == rule["id"]
    assert note["data"]["budget_id"] is None
    assert note["data"]["period_start"] == "2026-03-01"
    # Its standing is one line for the month it counts, not one per budget.
    [listed] = api.read(
        user, f"/api/workspaces/{workspace}/alert-rules", over["position"], date="2026-03-20"
    )["data"]
    assert [
        (s["budget_id"], s["budget_name"], s["spent"], s["limit"], s["remaining"])
        for s in listed["standing"]
    ] == [(None, "Entertainment", "390.00", "250.00", "0.00")]

    # More in the same month tells no one again; a new month is counted afresh.
    api.record(user, workspace, account, amount="-20.00", category_id=fun)
    april = api.record(
        user, workspace, account, amount="-260.00", category_id=streaming, date="2026-04-02"
    )
    notes = settled(api, user, settings, april["position"])
    assert [(n["title"], n["data"]["period_start"]) for n in notes] == [
        ("Entertainment: 260.00 of 250.00 EUR spent", "2026-04-01"),
        ("Entertainment: 390.00 of 250.00 EUR spent", "2026-03-01"),
    ]


def test_a_changed_rule_of_no_budget_asks_the_month_of_today_in_the_workspaces_time_zone(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    fun = str(system_category_id(UUID(workspace), "entertainment"))
    moved = api.commands.put(
        f"/api/workspaces/{workspace}/settings",
        json={"base_currency": "EUR", "timezone": "Pacific/Kiritimati", "week_start": "MONDAY"},
        headers=user.headers,
    )
    assert moved.status_code == 200, moved.text
    # Spent before the rule was made: only the rule's change can ask that month again.
    spent = api.record(
        user, workspace, account, amount="-300.00", category_id=fun, date="2036-04-01"
    )
    assert settled(api, user, settings, spent["position"]) == []
    alert_rule(
        api,
        user,
        workspace,
        threshold_type="ABSOLUTE",
        threshold="250",
        category_ids=[fun],
        channels=["IN_APP"],
    )
    head = query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0]
    assert settled(api, user, settings, head) == []

    async def watch_at(now: datetime) -> None:
        """The watch after a change of the rule, its clock saying ``now``."""
        watch = BudgetWatch(settings, clock=lambda: now)
        await watch.before_batch()
        watch.workspaces.add(UUID(workspace))
        watch.everything.add(UUID(workspace))
        watch.until = head
        try:
            await watch.after_batch()
        finally:
            await watch.close()

    # Noon on 31 March in UTC is 1 April on Kiritimati (UTC+14): April is asked.
    asyncio.run(watch_at(datetime(2036, 3, 31, 12, tzinfo=UTC)))
    [note] = settled(api, user, settings, head)
    assert (note["title"], note["data"]["period_start"]) == (
        "Entertainment: 300.00 of 250.00 EUR spent",
        "2036-04-01",
    )
