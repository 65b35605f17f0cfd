"""Goals: progress by contributions or by a linked account, and GoalCompleted once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api import Api, User
from tests.read_api.test_budgets import eventually


def new_goal(api: Api, user: User, workspace: str, fields: dict[str, Any]) -> Any:
    return api.commands.post(
        f"/api/workspaces/{workspace}/goals", json=fields, headers=user.headers
    )


def test_contributions_complete_a_goal_once_and_progress_shows_the_pace(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    today = date.today()
    created = new_goal(
        api,
        user,
        workspace,
        {
            "name": "Bike",
            "type": "SAVINGS",
            "target_amount": "1200.00",
            "target_date": (today + timedelta(days=365)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    goal = created.json()
    base = f"/api/workspaces/{workspace}/goals/{goal['id']}"
    for days_ago in (60, 30):
        added = api.commands.post(
            f"{base}/contributions",
            json={"amount": "150.00", "date": (today - timedelta(days=days_ago)).isoformat()},
            headers=user.headers,
        )
        assert added.status_code == 201, added.text
    shown = api.read(user, f"{base}/progress", added.json()["position"])
    assert shown["current_amount"] == "300.00"
    assert shown["percent"] == 25.0
    assert shown["remaining"] == "900.00"
    assert shown["current_monthly_contribution"] == "101.46"  # 300 over 90 days
    assert shown["monthly_contribution_needed"] == "75.05"  # 900 over 365 days (11.99 months)
    assert shown["status"] == "ON_TRACK"
    done = None
    for _ in range(2):  # past the target twice: completed once
        done = api.commands.post(
            f"{base}/contributions",
            json={"amount": "900.00", "date": today.isoformat()},
            headers=user.headers,
        )
        assert done.status_code == 201, done.text
    assert done is not None
    assert done.json()["completed"] is True
    shown = api.read(user, f"{base}/progress", done.json()["position"])
    assert shown["status"] == "COMPLETED"
    notes = api.read(user, "/api/notifications", done.json()["position"], workspace_id=workspace)
    assert [n["kind"] for n in notes["data"]] == ["GOAL_COMPLETED"]


def test_a_goal_linked_to_an_account_completes_when_its_balance_gets_there(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    savings = api.account(user, workspace, opening_balance="400.00")
    created = new_goal(
        api,
        user,
        workspace,
        {"name": "Buffer", "type": "SAVINGS", "target_amount": "1000", "account_id": savings},
    )
    assert created.status_code == 201, created.text
    goal = created.json()
    refused = api.commands.post(
        f"/api/workspaces/{workspace}/goals/{goal['id']}/contributions",
        json={"amount": "10", "date": "2026-03-01"},
        headers=user.headers,
    )
    assert refused.status_code == 422  # it follows the account
    api.record(user, workspace, savings, amount="700.00", date=date.today().isoformat())
    listed = eventually(
        lambda: api.read(user, f"/api/workspaces/{workspace}/goals", goal["position"])["data"],
        lambda goals: bool(goals) and goals[0]["completed_at"] is not None,
        "the goal completed",
    )
    assert listed[0]["id"] == goal["id"]
    progress = api.read(user, f"/api/workspaces/{workspace}/goals/{goal['id']}/progress")
    assert progress["current_amount"] == "1100.00"
    assert progress["status"] == "COMPLETED"


def test_a_debt_payoff_goal_counts_what_is_paid_and_an_overpaid_debt_is_paid(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    opened = api.commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={"name": "Car loan", "type": "LOAN", "currency": "EUR", "opening_balance": "-2000"},
        headers=user.headers,
    )
    assert opened.status_code == 201, opened.text
    loan = opened.json()["id"]
    created = new_goal(
        api,
        user,
        workspace,
        {
            "name": "Car paid off",
            "type": "DEBT_PAYOFF",
            "target_amount": "2000",
            "account_id": loan,
        },
    )
    assert created.status_code == 201, created.text
    base = f"/api/workspaces/{workspace}/goals/{created.json()['id']}"
    paid = api.record(user, workspace, loan, amount="1500.00", description="Payment")
    shown = api.read(user, f"{base}/progress", paid["position"])
    assert shown["current_amount"] == "1500.00"  # 500 still owed
    assert shown["remaining"] == "500.00"
    assert shown["percent"] == 75.0
    assert api.read(user, base)["completed_at"] is None
    api.record(user, workspace, loan, amount="600.00", description="Last payment, and some")
    goal = eventually(
        lambda: api.read(user, base), lambda g: g["completed_at"] is not None, "the debt paid"
    )
    assert goal["type"] == "DEBT_PAYOFF"
    progress = api.read(user, f"{base}/progress")
    assert progress["current_amount"] == "2000.00"  # 100 overpaid: paid, not 1900
    assert progress["status"] == "COMPLETED"
    stranger = api.user("Eve")
    elsewhere = api.workspace(stranger)
    hidden = api.reads.get(
        f"/api/workspaces/{elsewhere}/goals/{goal['id']}", headers=stranger.headers
    )
    assert hidden.status_code == 404


def test_a_net_worth_goal_follows_every_account(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    checking = api.account(user, workspace, opening_balance="1000.00")
    card = api.commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={"name": "Card", "type": "CREDIT_CARD", "currency": "EUR", "opening_balance": "-300"},
        headers=user.headers,
    )
    assert card.status_code == 201, card.text
    created = new_goal(
        api, user, workspace, {"name": "Worth 1500", "type": "NET_WORTH", "target_amount": "1500"}
    )
    assert created.status_code == 201, created.text
    base = f"/api/workspaces/{workspace}/goals/{created.json()['id']}"
    shown = api.read(user, f"{base}/progress", created.json()["position"])
    assert shown["current_amount"] == "700.00"  # 1000 less the 300 owed on the card
    api.record(user, workspace, checking, amount="800.00", description="Salary")
    goal = eventually(
        lambda: api.read(user, base), lambda g: g["completed_at"] is not None, "the goal met"
    )
    assert api.read(user, f"{base}/progress")["current_amount"] == "1500.00"
    notes = eventually(
        lambda: api.read(user, "/api/notifications", workspace_id=workspace)["data"],
        bool,
        "the goal's notification",
    )
    assert [n["kind"] for n in notes] == ["GOAL_COMPLETED"]
    assert goal["name"] == "Worth 1500"


def test_a_goal_can_start_with_what_is_put_by_and_the_list_says_where_each_stands(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    savings = api.account(user, workspace, opening_balance="250.00")
    target_date = date.today() + timedelta(days=100)
    created = new_goal(
        api,
        user,
        workspace,
        {
            "name": "Trip",
            "type": "SAVINGS",
            "target_amount": "2000",
            "target_date": target_date.isoformat(),
            "current_amount": "500.00",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["contributed"] == "500.00"
    followed = new_goal(
        api,
        user,
        workspace,
        {"name": "Buffer", "type": "SAVINGS", "target_amount": "250", "account_id": savings},
    )
    assert followed.status_code == 201, followed.text
    refused = new_goal(
        api,
        user,
        workspace,
        {
            "name": "Also",
            "type": "SAVINGS",
            "target_amount": "900",
            "account_id": savings,
            "current_amount": "10",
        },
    )
    assert refused.status_code == 422, refused.text
    assert "current_amount" in refused.text  # it starts where the balance is

    base = f"/api/workspaces/{workspace}/goals"
    goals = eventually(
        lambda: api.read(user, base, followed.json()["position"])["data"],
        lambda goals: len(goals) == 2 and goals[1]["completed_at"] is not None,
        "the followed goal completed",
    )
    assert [(g["name"], g["current_amount"], g["percent"]) for g in goals] == [
        ("Trip", "500.00", 25.0),
        ("Buffer", "250.00", 100.0),
    ]
    open_ones = api.read(user, base, completed=False)["data"]
    assert [g["name"] for g in open_ones] == ["Trip"]
    assert api.read(user, base, type="DEBT_PAYOFF")["data"] == []
    assert api.reads.get(base, params={"type": "LOTTERY"}, headers=user.headers).status_code == 400
    progress = api.read(user, f"{base}/{created.json()['id']}/progress")
    assert (progress["name"], progress["days_remaining"]) == ("Trip", 100)
    assert progress["target_date"] == target_date.isoformat()
