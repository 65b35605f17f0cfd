"""BudgetExceeded end to end: expenses past 80 % and 100 % give one BudgetThresholdReached and
one BudgetExceeded in the event store, a notification, a mail on an SMTP server and signed
webhooks; a rebuild of every read model, or the budget watch going over the whole log again,
sends and records nothing again."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

from domain.ledger.categories import system_category_id
from infra.settings import Settings
from projections import rebuilds, registry
from tests.api import Api
from tests.command_api.test_rate_limits_and_mail import Inbox
from tests.projections.processes import query
from tests.read_api.test_budgets import groceries_budget
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe, verified


def crossings_in_store(settings: Settings) -> list[str]:
    return [
        row[0].rpartition(".")[2]
        for row in query(
            settings,
            "SELECT topic FROM centsource_events WHERE topic LIKE %s ORDER BY notification_id",
            "%Budget.%",
        )
        if row[0].endswith((".ThresholdReached", ".Exceeded"))
    ]


def test_budget_exceeded_end_to_end(stack: tuple[Api, Settings, Inbox], receiver: Receiver) -> None:
    api, settings, mail = stack
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    subscription = subscribe(
        api, user, workspace, receiver.url("/hook"), "budget.threshold_reached", "budget.exceeded"
    )
    budget = groceries_budget(api, user, workspace, name="Food")
    rule = api.commands.post(
        f"/api/workspaces/{workspace}/alert-rules",
        json={
            "budget_id": budget["id"],
            "threshold": "100",
            "channels": ["IN_APP", "EMAIL"],
            "message": "Food is over budget",
        },
        headers=user.headers,
    )
    assert rule.status_code == 201, rule.text
    for amount in ("-50.00", "-35.00", "-20.00"):
        api.record(user, workspace, account, amount=amount, category_id=groceries)

    eventually(lambda: len(receiver.at("/hook")) >= 2, "two webhooks")
    eventually(lambda: mail.messages, "a mail")
    notifications = eventually(
        lambda: api.read(user, "/api/notifications", unread=True)["data"], "a notification"
    )
    time.sleep(1.5)  # nothing more may come
    assert crossings_in_store(settings) == ["ThresholdReached", "Exceeded"]
    payloads = [verified(subscription["secret"], r) for r in receiver.at("/hook")]
    kinds = [p["type"] for p in sorted(payloads, key=lambda p: p["data"]["position"])]
    assert kinds == ["budget.threshold_reached", "budget.exceeded"]
    assert len(mail.messages) == 1
    assert user.email in mail.messages[0]
    assert "Food: 105.00 of 100.00 EUR spent" in mail.messages[0]
    [alert] = notifications
    assert alert["kind"] == "ALERT"
    assert alert["data"]["spent"] == "105.00"

    # A full rebuild of every read model re-sends nothing and re-records nothing.
    for name in registry.READ_MODELS:
        [projection] = registry.select(settings, [name])
        asyncio.run(rebuilds.rebuild(settings, projection))
    api.record(user, workspace, account, amount="-1.00", category_id=groceries)
    time.sleep(2)
    assert crossings_in_store(settings) == ["ThresholdReached", "Exceeded"]
    assert len(receiver.at("/hook")) == 2
    assert len(mail.messages) == 1
    again = api.read(user, "/api/notifications")
    assert [n["id"] for n in again["data"]] == [alert["id"]]  # the same id after the rebuild

    read = api.commands.post(
        "/api/notifications/read", json={"notification_ids": [alert["id"]]}, headers=user.headers
    )
    assert read.status_code == 200, read.text
    unread = api.read(user, "/api/notifications", read.json()["position"], unread=True)
    assert unread["data"] == []
    assert unread["unread"] == 0


def test_the_watch_going_over_the_whole_log_again_records_and_sends_nothing_new(
    stack: tuple[Api, Settings, Inbox], receiver: Receiver
) -> None:
    """As after a crash that lost the watch's position: crossings stay once."""
    api, settings, _ = stack
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    subscribe(api, user, workspace, receiver.url("/again"), "budget.exceeded")
    groceries_budget(api, user, workspace, name="Food")
    api.record(user, workspace, account, amount="-120.00", category_id=groceries)
    eventually(lambda: crossings_in_store(settings) == ["ThresholdReached", "Exceeded"], "both")
    eventually(lambda: receiver.at("/again"), "the webhook")

    assert query(
        settings,
        "UPDATE projection_positions SET position = 0 WHERE name = 'budget_watch' RETURNING 1",
    ) == [(1,)]
    woken = api.record(user, workspace, account, amount="-1.00", category_id=groceries)
    eventually(
        lambda: (
            dict(query(settings, "SELECT name, position FROM projection_positions"))["budget_watch"]
            >= woken["position"]
        ),
        "the watch through the whole log again",
    )
    time.sleep(1)  # a webhook of a crossing recorded again would come by now
    assert crossings_in_store(settings) == ["ThresholdReached", "Exceeded"]
    assert len(receiver.at("/again")) == 1
