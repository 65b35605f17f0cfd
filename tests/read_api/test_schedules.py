"""Schedules as read: next dates, and past dates paid, due or missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api import Api


def test_schedules_list_their_next_dates_and_which_recent_ones_were_paid_or_missed(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account, other = api.account(user, workspace), api.account(user, workspace)
    today = datetime.now(UTC).date()  # a new workspace's zone is UTC
    base = f"/api/workspaces/{workspace}/schedules"
    body = {
        "name": "Gym",
        "account_id": account,
        "amount": "-50.00",
        "cadence": "WEEKLY",
        "next_date": (today - timedelta(days=21)).isoformat(),
    }
    schedule = api.commands.post(base, json=body, headers=user.headers).json()
    gone = api.commands.post(base, json={**body, "name": "Old"}, headers=user.headers).json()
    api.commands.delete(f"{base}/{gone['id']}", headers=user.headers)
    paid = api.record(
        user, workspace, account, date=(today - timedelta(days=20)).isoformat(), amount="-49.00"
    )
    api.record(user, workspace, other, date=(today - timedelta(days=14)).isoformat(), amount="-50")
    position = api.record(user, workspace, account, date="2020-01-01", amount="-1")["position"]
    listed = api.read(user, base, position)
    assert listed["meta"] == {"page": 1, "page_size": 20, "total": 1, "total_pages": 1}
    [shown] = listed["data"]
    assert shown["id"] == schedule["id"]
    assert shown["upcoming"] == [(today + timedelta(days=d)).isoformat() for d in (7, 14, 21)]
    assert [(o["date"], o["status"], o["transaction_id"]) for o in shown["recent"]] == [
        ((today - timedelta(days=21)).isoformat(), "PAID", paid["id"]),
        ((today - timedelta(days=14)).isoformat(), "MISSED", None),  # paid from another account
        ((today - timedelta(days=7)).isoformat(), "MISSED", None),
        (today.isoformat(), "DUE", None),
    ]
    assert shown["missed"] == 2


def test_another_workspaces_schedules_are_not_found(api: Api) -> None:
    owner, stranger = api.user("Ada"), api.user("Eve")
    workspace = api.workspace(owner)
    response = api.reads.get(f"/api/workspaces/{workspace}/schedules", headers=stranger.headers)
    assert response.status_code == 404
