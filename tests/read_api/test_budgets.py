"""Budgets: their progress and forecast, and each threshold crossing recorded exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.ledger.categories import system_category_id
from tests.api import Api, User
from tests.command_api.test_imports import import_file

# 80 % reached, then 100 %; fallen back under 100 %; over again: a new crossing.
OVER_UNDER_OVER_AGAIN = ["THRESHOLD_REACHED", "EXCEEDED", "CLEARED", "EXCEEDED"]


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], what: str) -> Any:
    deadline = time.monotonic() + 20
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        time.sleep(0.1)


def groceries_budget(api: Api, user: User, workspace: str, **fields: Any) -> dict[str, Any]:
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    body = {
        "name": "Groceries",
        "amount": "100.00",
        "period": "2026-03",
        "category_ids": [groceries],
        "thresholds": [80],
        **fields,
    }
    response = api.commands.post(
        f"/api/workspaces/{workspace}/budgets", json=body, headers=user.headers
    )
    assert response.status_code == 201, response.text
    budget: dict[str, Any] = response.json()
    return budget


def progress(api: Api, user: User, workspace: str, budget_id: str, position: int) -> Any:
    return api.read(
        user,
        f"/api/workspaces/{workspace}/budgets/{budget_id}/progress",
        min_position=position,
        date="2026-03-16",
    )


def crossings_of(api: Api, user: User, workspace: str, budget: dict[str, Any], count: int) -> Any:
    # From the budget's own position on: the workspace is known there (404 before).
    return eventually(
        lambda: progress(api, user, workspace, budget["id"], budget["position"])["crossings"],
        lambda crossings: len(crossings) >= count,
        f"{count} crossings",
    )


def test_spending_past_80_and_100_percent_records_each_crossing_once(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    budget = groceries_budget(api, user, workspace)
    for amount in ("-50.00", "-35.00"):  # 85 %
        api.record(user, workspace, account, amount=amount, category_id=groceries)
    third = api.record(
        user, workspace, account, amount="-20.00", category_id=groceries, date="2026-03-15"
    )
    crossings = crossings_of(api, user, workspace, budget, 2)
    time.sleep(1)  # a second report of the same spending must add nothing
    crossings = progress(api, user, workspace, budget["id"], budget["position"])["crossings"]
    assert [(c["kind"], c["threshold"]) for c in crossings] == [
        ("THRESHOLD_REACHED", 80),
        ("EXCEEDED", 100),
    ]
    shown = progress(api, user, workspace, budget["id"], third["position"])
    assert shown["spent"] == "105.00"
    assert shown["remaining"] == "-5.00"
    assert shown["status"] == "OVER"
    assert shown["days_in_period"] == 31
    assert shown["days_elapsed"] == 16
    assert shown["burn_rate"] == "6.56"  # 105 / 16
    assert shown["categories"][0]["spent"] == "105.00"

    # Falling back under, then crossing again, is a new crossing.
    deleted = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{third['id']}", headers=user.headers
    )
    assert deleted.status_code == 200, deleted.text
    crossings = crossings_of(api, user, workspace, budget, 3)
    assert crossings[2]["kind"] == "CLEARED"
    assert crossings[2]["threshold"] == 80  # still past 80 %
    api.record(user, workspace, account, amount="-30.00", category_id=groceries)
    crossings = crossings_of(api, user, workspace, budget, 4)
    assert [c["kind"] for c in crossings] == OVER_UNDER_OVER_AGAIN


def test_refunds_count_back_and_transfers_and_other_months_do_not_count(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    savings = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    budget = groceries_budget(api, user, workspace, rollover=True)
    api.record(user, workspace, account, amount="-60.00", category_id=groceries)
    api.record(user, workspace, account, amount="12.50", category_id=groceries)  # a refund
    api.record(user, workspace, account, amount="-40.00", category_id=groceries, date="2026-02-10")
    transfer = api.commands.post(
        f"/api/workspaces/{workspace}/transfers",
        json={
            "from_account_id": account,
            "to_account_id": savings,
            "date": "2026-03-05",
            "amount": "500.00",
        },
        headers=user.headers,
    )
    assert transfer.status_code == 201, transfer.text
    shown = progress(api, user, workspace, budget["id"], transfer.json()["position"])
    assert shown["spent"] == "47.50"
    # February is before the budget's first month: nothing rolls over into March.
    assert shown["rollover"] == "0.00"
    april = api.read(
        user,
        f"/api/workspaces/{workspace}/budgets/{budget['id']}/progress",
        date="2026-04-02",
    )
    assert april["period_start"] == "2026-04-01"
    assert april["rollover"] == "52.50"  # March left 100 - 47.50
    assert april["limit"] == "152.50"
    forecast = api.read(
        user,
        f"/api/workspaces/{workspace}/budgets/{budget['id']}/forecast",
        date="2026-03-10",
    )
    assert forecast["categories"][0]["daily_average"] == "4.75"  # 47.50 over 10 days
    assert forecast["categories"][0]["projected_total"] == "147.25"
    assert forecast["categories"][0]["projected_overage"] is None  # no limit of its own
    assert (forecast["projected_total"], forecast["projected_overage"]) == ("147.25", "47.25")
    assert "over" in forecast["recommendation"]


def test_a_second_budget_for_the_same_categories_and_period_is_a_conflict(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    first = groceries_budget(api, user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    again = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={"name": "Food", "amount": "50", "period": "2026-05", "category_ids": [groceries]},
        headers=user.headers,
    )
    assert again.status_code == 409, again.text
    quarterly = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={"name": "Food", "amount": "300", "period": "Q2-2026", "category_ids": [groceries]},
        headers=user.headers,
    )
    assert quarterly.status_code == 201, quarterly.text
    assert quarterly.json()["start_date"] == "2026-04-01"
    deleted = api.commands.delete(
        f"/api/workspaces/{workspace}/budgets/{first['id']}", headers=user.headers
    )
    assert deleted.status_code == 200
    again = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={"name": "Food", "amount": "50", "period": "2026-05", "category_ids": [groceries]},
        headers=user.headers,
    )
    assert again.status_code == 201, again.text
    listed = api.read(
        user, f"/api/workspaces/{workspace}/budgets", again.json()["position"], date="2026-05-03"
    )
    assert sorted(b["budget"]["period_kind"] for b in listed["data"]) == ["MONTHLY", "QUARTERLY"]


def test_bad_budgets_are_refused_with_the_field_named(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    stranger = api.user("Eve")
    other = api.workspace(stranger)
    cases = [
        ({"name": "B", "amount": "10", "period": "2026-13"}, "period"),
        ({"name": "B", "amount": "-10", "period": "2026-03"}, "amount"),
        ({"name": "B", "amount": "10", "period_kind": "CUSTOM"}, "start_date"),
        ({"name": "B", "amount": "10", "period": "2026", "thresholds": [120]}, "thresholds"),
        (
            {
                "name": "B",
                "amount": "10",
                "period": "2026",
                "category_ids": [str(system_category_id(UUID(other), "groceries"))],
            },
            "category_ids",
        ),
    ]
    for body, field in cases:
        response = api.commands.post(
            f"/api/workspaces/{workspace}/budgets", json=body, headers=user.headers
        )
        # Another workspace's category is not found, like any of its ids.
        expected = (404,) if field == "category_ids" else (400, 422)
        assert response.status_code in expected, (body, response.text)
        assert field in str(response.json()), (body, response.text)
    budget = groceries_budget(api, user, workspace)
    hidden = api.reads.get(
        f"/api/workspaces/{other}/budgets/{budget['id']}/progress", headers=stranger.headers
    )
    assert hidden.status_code == 404


def test_crossings_come_from_imports_recategorizations_and_restores_too(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    budget = groceries_budget(api, user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    dining = str(system_category_id(UUID(workspace), "restaurants"))
    statement = b"Date,Description,Amount,Category\n2026-03-02,Market,-90.00,Groceries\n"
    imported = import_file(api, user, workspace, account, "march.csv", statement)
    assert imported.status_code == 201, imported.text
    assert [c["kind"] for c in crossings_of(api, user, workspace, budget, 1)] == [
        "THRESHOLD_REACHED"
    ]
    dinner = api.record(user, workspace, account, amount="-25.00", category_id=dining)
    moved = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{dinner['id']}",
        json={"category_id": groceries},
        headers=user.headers,
    )
    assert moved.status_code == 200, moved.text
    crossings = crossings_of(api, user, workspace, budget, 2)
    assert crossings[1]["kind"] == "EXCEEDED"  # 115 of 100, by a change of category
    url = f"/api/workspaces/{workspace}/transactions/{dinner['id']}"
    assert api.commands.delete(url, headers=user.headers).status_code == 200
    assert crossings_of(api, user, workspace, budget, 3)[2]["kind"] == "CLEARED"
    restored = api.commands.post(f"{url}/restore", headers=user.headers)
    assert restored.status_code == 200, restored.text
    crossings = crossings_of(api, user, workspace, budget, 4)
    assert [c["kind"] for c in crossings] == OVER_UNDER_OVER_AGAIN
    shown = progress(api, user, workspace, budget["id"], restored.json()["position"])
    assert shown["spent"] == "115.00"


def change(api: Api, user: User, workspace: str, budget_id: str, **fields: Any) -> int:
    response = api.commands.patch(
        f"/api/workspaces/{workspace}/budgets/{budget_id}", json=fields, headers=user.headers
    )
    assert response.status_code == 200, response.text
    position: int = response.json()["position"]
    return position


def test_a_changed_limit_is_a_crossing_too_and_an_inactive_budget_records_none(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    # This month's budget: a change of its terms looks at the period it is in now.
    budget = groceries_budget(
        api, user, workspace, amount="200.00", period=None, period_kind="MONTHLY"
    )
    today = date.today().isoformat()
    api.record(user, workspace, account, amount="-120.00", category_id=groceries, date=today)
    change(api, user, workspace, budget["id"], amount="140.00")  # 86 %
    assert [c["kind"] for c in crossings_of(api, user, workspace, budget, 1)] == [
        "THRESHOLD_REACHED"
    ]
    change(api, user, workspace, budget["id"], amount="100.00")  # 120 %
    crossings = crossings_of(api, user, workspace, budget, 2)
    assert (crossings[1]["kind"], crossings[1]["limit"]) == ("EXCEEDED", "100.00")
    change(api, user, workspace, budget["id"], amount="1000.00")  # 12 %
    crossings = crossings_of(api, user, workspace, budget, 3)
    assert (crossings[2]["kind"], crossings[2]["threshold"]) == ("CLEARED", 0)

    position = change(api, user, workspace, budget["id"], active=False, amount="50.00")
    api.record(user, workspace, account, amount="-10.00", category_id=groceries, date=today)
    time.sleep(1.5)  # an inactive budget records nothing
    shown = api.read(user, f"/api/workspaces/{workspace}/budgets/{budget['id']}/progress", position)
    assert len(shown["crossings"]) == 3
    listed = f"/api/workspaces/{workspace}/budgets"
    assert [b["budget"]["id"] for b in api.read(user, listed, active=False)["data"]] == [
        budget["id"]
    ]
    assert api.read(user, listed, active=True)["data"] == []


def test_a_category_limit_is_crossed_on_its_own(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    dining = str(system_category_id(UUID(workspace), "restaurants"))
    budget = groceries_budget(
        api,
        user,
        workspace,
        amount="500.00",
        category_ids=[groceries, dining],
        category_limits={groceries: "100.00"},
    )
    api.record(user, workspace, account, amount="-90.00", category_id=groceries)
    spent = api.record(user, workspace, account, amount="-40.00", category_id=dining)
    [crossing] = crossings_of(api, user, workspace, budget, 1)
    assert (crossing["kind"], crossing["category_id"]) == ("THRESHOLD_REACHED", groceries)
    assert crossing["spent"] == "90.00"  # of the category's 100: the total's 26 % is not crossed
    shown = progress(api, user, workspace, budget["id"], spent["position"])
    assert shown["spent"] == "130.00"
    statuses = {c["category_id"]: (c["status"], c["limit"]) for c in shown["categories"]}
    assert statuses[groceries] == ("AT_RISK", "100.00")
    assert statuses[dining] == ("ON_TRACK", None)


def test_a_transaction_moved_to_another_month_leaves_one_period_and_crosses_the_other(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    budget = groceries_budget(api, user, workspace)  # monthly from March, 100.00, 80 %
    big = api.record(user, workspace, account, amount="-120.00", category_id=groceries)
    assert [c["kind"] for c in crossings_of(api, user, workspace, budget, 2)] == [
        "THRESHOLD_REACHED",
        "EXCEEDED",
    ]
    moved = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{big['id']}",
        json={"date": "2026-04-10"},
        headers=user.headers,
    )
    assert moved.status_code == 200, moved.text
    march = crossings_of(api, user, workspace, budget, 3)
    assert (march[2]["kind"], march[2]["spent"]) == ("CLEARED", "0.00")
    april = eventually(
        lambda: api.read(
            user,
            f"/api/workspaces/{workspace}/budgets/{budget['id']}/progress",
            moved.json()["position"],
            date="2026-04-15",
        )["crossings"],
        lambda crossings: len(crossings) >= 2,
        "April's crossings",
    )
    assert [c["kind"] for c in april] == ["THRESHOLD_REACHED", "EXCEEDED"]


def test_a_budget_and_a_goal_show_an_import_s_sub_cent_amounts_unrounded(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    account = api.account(user, workspace, currency="USD")
    budget = groceries_budget(api, user, workspace, currency="USD")
    imported = import_file(
        api,
        user,
        workspace,
        account,
        "fine.csv",
        b"date,amount,description,category\n"
        b"2026-03-02,-10.1234,Market,Food & Drink > Groceries\n"
        b"2026-03-03,-5.0001,Market,Food & Drink > Groceries\n"
        b"2026-03-04,600.0006,Dividend,Income\n",
    )
    assert imported.status_code == 201, imported.text
    shown = progress(api, user, workspace, budget["id"], imported.json()["position"])
    assert (shown["spent"], shown["remaining"]) == ("15.1235", "84.8765")
    goal = api.commands.post(
        f"/api/workspaces/{workspace}/goals",
        json={"name": "Fund", "type": "SAVINGS", "target_amount": "1000", "account_id": account},
        headers=user.headers,
    )
    assert goal.status_code == 201, goal.text
    goal_progress = api.read(
        user,
        f"/api/workspaces/{workspace}/goals/{goal.json()['id']}/progress",
        goal.json()["position"],
    )
    # 600.0006 - 10.1234 - 5.0001
    assert (goal_progress["current_amount"], goal_progress["remaining"]) == (
        "584.8771",
        "415.1229",
    )
