"""Goals: progress by contributions or by a linked account, and GoalCompleted once."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api import Api
from tests.read_api.test_budgets import eventually


def test_contributions_complete_a_goal_once_and_progress_shows_the_pace(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    today = date.today()
    created = api.commands.post(
        f"/api/workspaces/{workspace}/goals",
        json={
            "name": "Bike",
            "type": "SAVINGS",
            "target_amount": "1200.00",
            "target_date": (today + timedelta(days=365)).isoformat(),
        },
        headers=user.headers,
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
    created = api.commands.post(
        f"/api/workspaces/{workspace}/goals",
        json={"name": "Buffer", "type": "SAVINGS", "target_amount": "1000", "account_id": savings},
        headers=user.headers,
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
