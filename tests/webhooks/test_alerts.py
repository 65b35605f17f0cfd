"""Alert rules: an amount on some of a budget's categories, told by webhook and in daily digests
in the app and by mail; DAILY and WEEKLY alerts in the app gather into one digest a member and
period, shown when due; a rule that names no WEBHOOK channel sends none; where each rule
stands; an inactive budget alerts no one."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from domain.ledger.categories import system_category_id
from infra.settings import Settings
from projections import rebuilds
from projections.notifications import view
from projections.notifications.projector import NotificationsProjection
from projections.runtime import open_connection
from tests.api import Api, User
from tests.command_api.test_rate_limits_and_mail import Inbox
from tests.projections.processes import query
from tests.read_api.test_budgets import change, groceries_budget
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe, verified


def listed_at(settings: Settings, user: User, now: datetime) -> list[dict[str, Any]]:
    """The user's notifications as the read side lists them when its clock says ``now``."""

    async def listing() -> list[dict[str, Any]]:
        conn = await open_connection(settings)
        try:
            page = await view.list_notifications(conn, UUID(user.id), None, None, 1, 100, now)
        finally:
            await conn.close()
        return [msgspec.to_builtins(note) for note in page.data]

    return asyncio.run(listing())


def alert_rule(api: Api, user: User, workspace: str, **fields: Any) -> dict[str, Any]:
    response = api.commands.post(
        f"/api/workspaces/{workspace}/alert-rules", json=fields, headers=user.headers
    )
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def test_an_amount_on_one_category_alerts_in_the_app_by_webhook_and_in_a_daily_digest(
    stack: tuple[Api, Settings, Inbox], receiver: Receiver
) -> None:
    api, settings, mail = stack
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    dining = str(system_category_id(UUID(workspace), "restaurants"))
    subscription = subscribe(api, user, workspace, receiver.url("/alerts"), "alert.triggered")
    budget = groceries_budget(
        api, user, workspace, name="Food", amount="500.00", category_ids=[groceries, dining]
    )
    alert_rule(
        api,
        user,
        workspace,
        budget_id=budget["id"],
        threshold_type="ABSOLUTE",
        threshold="50",
        category_ids=[dining],
        channels=["IN_APP", "WEBHOOK", "EMAIL"],
        frequency="DAILY",
        message="Eating out adds up",
    )
    for amount, category in (("-100.00", groceries), ("-30.00", dining), ("-25.00", dining)):
        api.record(user, workspace, account, amount=amount, category_id=category)

    [hook] = eventually(lambda: receiver.at("/alerts"), "the alert's webhook")
    payload = verified(subscription["secret"], hook)
    assert payload["type"] == "alert.triggered"
    assert payload["data"]["spent"] == "55.00"  # restaurants only: groceries are not counted
    assert payload["data"]["budget_id"] == budget["id"]
    # DAILY: in the app too, a digest shown once the day is over (the clock moved, not waited).
    [(due,)] = eventually(
        lambda: query(settings, "SELECT created_at FROM notifications WHERE kind = 'ALERT_DIGEST'"),
        "the day's digest",
    )
    assert listed_at(settings, user, due - timedelta(seconds=1)) == []
    [note] = listed_at(settings, user, due)
    assert note["kind"] == "ALERT_DIGEST"
    assert "Eating out adds up" in note["body"]

    # DAILY: no mail at once, a line kept for the end of the day's digest.
    lines = eventually(
        lambda: query(settings, "SELECT recipient, line FROM notifier_digests"), "a digest line"
    )
    assert lines == [(user.email, lines[0][1])]
    assert "Food: 55.00 of 50.00 EUR spent" in lines[0][1]
    assert mail.messages == []
    # The day is over: the digest goes out once, in one mail.
    rewound = "UPDATE notifier_digests SET due_at = now() - interval '1 minute' RETURNING 1"
    assert query(settings, rewound) == [(1,)]
    [digest] = eventually(lambda: mail.messages, "the digest", timeout=30)
    assert "your alerts digest" in digest
    assert user.email in digest
    assert "Eating out adds up" in digest
    # The line goes once the mail is sent: the mail can arrive before that commit does.
    gone = "SELECT count(*) = 0 FROM notifier_digests"
    eventually(lambda: query(settings, gone) == [(True,)], "the sent digest's line gone")
    time.sleep(1)  # nothing more may come
    assert len(mail.messages) == 1
    assert len(receiver.at("/alerts")) == 1


def test_a_rule_without_the_webhook_channel_sends_no_webhook(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    everything = subscribe(api, user, workspace, receiver.url("/all"))  # every public type
    groceries_budget(api, user, workspace, name="Food")
    alert_rule(api, user, workspace, threshold="50", channels=["IN_APP"])
    recorded = api.record(user, workspace, account, amount="-60.00", category_id=groceries)
    eventually(
        lambda: api.read(user, "/api/notifications", recorded["position"])["data"],
        "the alert in the app",
    )
    eventually(lambda: receiver.at("/all"), "the transaction's webhook")
    time.sleep(1.5)  # an alert.triggered would come by now
    kinds = {verified(everything["secret"], r)["type"] for r in receiver.at("/all")}
    assert {"transaction.created", "account.balance_updated"} <= kinds
    assert "alert.triggered" not in kinds  # (a first transaction's badge.earned may come too)


def test_a_rule_says_where_it_stands_and_an_inactive_budget_alerts_no_one(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    # This month's: a change of the budget looks at the period that holds today.
    budget = groceries_budget(
        api, user, workspace, amount="200", period=None, period_kind="MONTHLY", active=False
    )
    rule = alert_rule(api, user, workspace, threshold="50", channels=["IN_APP"])
    quiet = alert_rule(api, user, workspace, threshold="90", channels=["IN_APP"], active=False)
    today = date.today().isoformat()
    spent = api.record(
        user, workspace, account, amount="-120.00", category_id=groceries, date=today
    )
    time.sleep(1.5)  # the budget is inactive: no alert may come
    assert api.read(user, "/api/notifications", spent["position"])["data"] == []
    rules = f"/api/workspaces/{workspace}/alert-rules"
    listed = api.read(user, rules, spent["position"])["data"]
    assert [(r["id"], r["standing"]) for r in listed] == [(rule["id"], []), (quiet["id"], [])]

    activated = change(api, user, workspace, budget["id"], active=True)
    [note] = eventually(
        lambda: api.read(user, "/api/notifications", activated)["data"],
        "the alert once the budget is active",
    )
    assert note["kind"] == "ALERT"
    assert note["title"] == "Groceries: 120.00 of 100.00 EUR spent"  # 50 % of 200, in cents
    [triggered] = api.read(user, rules, activated, triggered=True)["data"]
    assert triggered["id"] == rule["id"]
    [standing] = triggered["standing"]
    assert standing["budget_id"] == budget["id"]
    assert (standing["spent"], standing["limit"], standing["percent"]) == (
        "120.00",
        "100.00",
        120.0,
    )
    assert standing["remaining"] == "0.00"
    [inactive] = api.read(user, rules, active=False)["data"]
    assert inactive["id"] == quiet["id"]
    assert inactive["standing"][0]["remaining"] == "60.00"  # 90 % of 200 is 180


def test_daily_and_weekly_alerts_in_the_app_gather_into_one_digest_each_shown_when_due(
    stack: tuple[Api, Settings, Inbox],
) -> None:
    api, settings, _ = stack
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    budget = groceries_budget(api, user, workspace, name="Food")
    rules = [
        ("ABSOLUTE", "50", "DAILY"),
        ("PERCENT", "80", "DAILY"),
        ("ABSOLUTE", "60", "WEEKLY"),
        ("ABSOLUTE", "90", "IMMEDIATE"),
    ]
    for kind, threshold, frequency in rules:
        alert_rule(
            api,
            user,
            workspace,
            budget_id=budget["id"],
            threshold_type=kind,
            threshold=threshold,
            channels=["IN_APP"],
            frequency=frequency,
        )
    api.record(user, workspace, account, amount="-120.00", category_id=groceries)
    lines = "SELECT count(*) FROM notifications_digest_lines"
    eventually(lambda: query(settings, lines) == [(3,)], "three alerts in digests")
    digests = "SELECT data->>'frequency', created_at FROM notifications WHERE kind = 'ALERT_DIGEST'"
    due = dict(query(settings, digests))  # made with their lines, in one transaction
    head = query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0]

    # The IMMEDIATE one at once, alone; each digest from the end of its day or week on.
    listed = api.read(user, "/api/notifications", head)["data"]
    [now] = [n for n in listed if n["kind"] == "ALERT"]
    assert (now["kind"], now["title"]) == ("ALERT", "Food: 120.00 of 90.00 EUR spent")
    before = listed_at(settings, user, due["DAILY"] - timedelta(microseconds=1))
    assert [n["kind"] for n in before] == ["ALERT"]
    daily = listed_at(settings, user, due["DAILY"])
    [digest] = [n for n in daily if n["kind"] == "ALERT_DIGEST"]
    start = (due["DAILY"].astimezone(UTC) - timedelta(days=1)).date().isoformat()
    assert digest["title"] == f"2 alerts on {start}"
    assert sorted(digest["body"].splitlines()) == [
        "Food: 120.00 of 50.00 EUR spent (2026-03-01 to 2026-03-31).",
        "Food: 120.00 of 80.00 EUR spent (2026-03-01 to 2026-03-31).",
    ]
    assert (digest["data"]["frequency"], digest["data"]["period_start"]) == ("DAILY", start)
    assert sorted(a["limit"] for a in digest["data"]["alerts"]) == ["50.00", "80.00"]
    weekly = listed_at(settings, user, due["WEEKLY"])
    [week] = [n for n in weekly if n["data"].get("frequency") == "WEEKLY"]
    assert week["title"].startswith("1 alert in the week of ")
    assert due["WEEKLY"].astimezone(UTC).weekday() == 0  # due on the Monday after
    assert len(weekly) == 3

    # Read all before a digest is due: it was not there to be read, and comes unread.
    read = api.commands.post("/api/notifications/read-all", headers=user.headers)
    assert read.status_code == 200, read.text
    assert api.read(user, "/api/notifications", read.json()["position"])["unread"] == 0
    unread = [n["kind"] for n in listed_at(settings, user, due["WEEKLY"]) if n["read_at"] is None]
    assert unread == ["ALERT_DIGEST", "ALERT_DIGEST"]

    # A read model: rebuilt, it holds the same digests, with the same ids.
    snapshot = (
        "SELECT id, title, body, data, position, created_at, read_at IS NULL "
        "FROM notifications ORDER BY id"
    )
    kept = query(settings, snapshot)
    projection = NotificationsProjection()
    asyncio.run(rebuilds.rebuild(settings, projection))
    assert query(settings, snapshot) == kept
