"""Schedules over HTTP: create, change, delete, their validation and scope; auto-posting once."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.schedules import occurrence_transaction_id
from domain.ledger.scheduling import Scheduling
from infra import database
from infra.settings import Settings
from tests.api import Api, User


def rent(account_id: str, **changes: Any) -> dict[str, Any]:
    # Years ahead: the schedule watch the test session runs posts none of these dates.
    return {
        "name": "Rent",
        "account_id": account_id,
        "amount": "-900.00",
        "category": "Housing",
        "merchant": "Landlord",
        "cadence": "MONTHLY",
        "next_date": "2036-01-31",
        **changes,
    }


def create(api: Api, user: User, workspace: str, body: dict[str, Any]) -> Any:
    return api.commands.post(
        f"/api/workspaces/{workspace}/schedules", json=body, headers=user.headers
    )


def test_a_schedule_is_created_changed_and_deleted_softly(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    series = "5b0c5a7e-8b0b-5c7e-9d0b-3f2d3c1a0e11"
    created = create(api, user, workspace, rent(account, from_recurring=series))
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["currency"] == "EUR"  # the account's
    assert schedule["from_recurring"] == series
    assert schedule["auto_post"] is False
    assert schedule["position"] > 0
    path = f"/api/workspaces/{workspace}/schedules/{schedule['id']}"
    changed = api.commands.patch(
        path, json={"cadence": "QUARTERLY", "end_date": "2036-12-31"}, headers=user.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cadence"] == "QUARTERLY"
    assert changed.json()["end_date"] == "2036-12-31"
    assert changed.json()["amount"] == "-900.00"  # not sent: unchanged
    assert changed.json()["version"] == schedule["version"] + 1
    stale = api.commands.patch(
        path, json={"name": "Rent"}, headers={**user.headers, "If-Match": str(schedule["version"])}
    )
    assert stale.status_code == 412, stale.text
    cleared = api.commands.patch(path, json={"end_date": None}, headers=user.headers)
    assert cleared.json()["end_date"] is None
    deleted = api.commands.delete(path, headers=user.headers)
    assert deleted.status_code == 200, deleted.text
    assert api.commands.patch(path, json={"name": "x"}, headers=user.headers).status_code == 404
    assert api.commands.delete(path, headers=user.headers).status_code == 404


def test_bad_input_is_a_400_naming_its_field_and_a_broken_rule_a_422(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    for field, value in [
        ("cadence", "DAILY"),
        ("amount", "lots"),
        ("next_date", "2026-02-30"),
        ("name", " "),
        ("from_recurring", "not-an-id"),
    ]:
        response = create(api, user, workspace, rent(account, **{field: value}))
        assert response.status_code == 400, (field, response.text)
        assert field in response.text, (field, response.text)
    unknown = create(api, user, workspace, rent(account, every="month"))
    assert unknown.status_code == 400
    for changes, field in [
        ({"amount": "0"}, "amount"),
        ({"end_date": "2036-01-01"}, "end_date"),
        ({"currency": "USD"}, "currency"),
    ]:
        response = create(api, user, workspace, rent(account, **changes))
        assert response.status_code == 422, (changes, response.text)
        assert response.json()["errors"] == {field: [response.json()["detail"]]}


def test_another_workspaces_schedule_is_not_found_and_its_account_not_usable(api: Api) -> None:
    owner, stranger = api.user("Ada"), api.user("Eve")
    workspace, elsewhere = api.workspace(owner), api.workspace(stranger)
    account = api.account(owner, workspace)
    schedule = create(api, owner, workspace, rent(account)).json()
    path = f"/api/workspaces/{elsewhere}/schedules/{schedule['id']}"
    assert (
        api.commands.patch(path, json={"name": "Mine"}, headers=stranger.headers).status_code == 404
    )
    assert api.commands.delete(path, headers=stranger.headers).status_code == 404
    theirs = create(api, stranger, elsewhere, rent(account))
    assert theirs.status_code == 422
    assert "account_id" in theirs.json()["errors"]


def test_auto_post_records_each_due_occurrence_once_whatever_runs_again(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    schedule = create(api, user, workspace, rent(account, auto_post=True)).json()
    manual = create(api, user, workspace, rent(account, name="Gym")).json()
    env = database.event_store_env(settings)
    scheduling, ledger = Scheduling(env), Ledger(env)
    by = Actor(UUID(user.id), "test")
    try:
        schedule_id = UUID(schedule["id"])
        posted = scheduling.post_due(schedule_id, None, date(2036, 3, 30), ledger, by)
        assert posted == [
            occurrence_transaction_id(schedule_id, day)
            for day in (date(2036, 1, 31), date(2036, 2, 29))
        ]
        again = scheduling.post_due(schedule_id, None, date(2036, 3, 31), ledger, by)
        assert again == [occurrence_transaction_id(schedule_id, date(2036, 3, 31))]
        assert scheduling.post_due(schedule_id, None, date(2036, 3, 31), ledger, by) == []
        assert scheduling.post_due(UUID(manual["id"]), None, date(2036, 3, 31), ledger, by) == []
        later = create(api, user, workspace, rent(account, name="Later", auto_post=True)).json()
        later_id = UUID(later["id"])  # looked at through 28 February already: March only
        assert scheduling.post_due(later_id, date(2036, 2, 29), date(2036, 3, 31), ledger, by) == [
            occurrence_transaction_id(later_id, date(2036, 3, 31))
        ]
        recorded = ledger.get_transaction(UUID(workspace), posted[1]).details
        assert (recorded.date, str(recorded.amount)) == (date(2036, 2, 29), "-900.00")
        assert (recorded.description, recorded.merchant) == ("Rent", "Landlord")
    finally:
        scheduling.close()
        ledger.close()
