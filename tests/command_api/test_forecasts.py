"""Spending forecasts over HTTP: a back-tested month from four months of history, recorded
and listed with its accuracy once over; too little history and bad input answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api import Api, User


@pytest.fixture
def user(api: Api) -> User:
    return api.user()


def _post(api: Api, user: User, workspace: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return api.commands.post(
        f"/api/workspaces/{workspace}/forecasts", json=body, headers=user.headers
    )


def test_a_back_tested_month_follows_the_trend_and_shows_its_accuracy(api: Api, user: User) -> None:
    workspace = api.workspace(user)
    account = api.account(user, workspace, opening_balance="5000.00")
    for day, amount in (
        ("2026-01-01", "-100.00"),
        ("2026-02-01", "-110.00"),
        ("2026-03-01", "-120.00"),
        ("2026-04-01", "-130.00"),
        ("2026-04-02", "40.00"),  # income: not spending
        ("2026-06-10", "-165.00"),  # after as_of: what the forecast is checked against
    ):
        api.record(user, workspace, account, date=day, amount=amount)
    response = _post(
        api, user, workspace, {"period": "2026-06", "methodology": "linear", "as_of": "2026-04-30"}
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["low"], made["median"], made["high"], made["amount"]) == ("150.00",) * 4
    assert made["history"]["periods_analysed"] == 4
    assert made["history"]["average"] == "115.00"
    assert made["history"]["growth_rate"] == "8.7"
    assert made["categories"] == [
        {
            "category_id": None,
            "amount": "150.00",
            "average": "115.00",
            "growth_rate": "8.7",
            "trend": "UP",
        }
    ]
    listed = api.read(user, f"/api/workspaces/{workspace}/forecasts", made["position"])
    assert listed["meta"]["total"] == 1
    [shown] = listed["data"]
    assert (shown["id"], shown["period"], shown["as_of"]) == (made["id"], "2026-06", "2026-04-30")
    assert shown["accuracy"] == {"actual": "165.00", "error_percent": "-9.1"}  # 150 vs 165


def test_under_30_days_of_history_is_422_naming_the_days(api: Api, user: User) -> None:
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    today = datetime.now(UTC).date()
    api.record(user, workspace, account, date=(today - timedelta(days=10)).isoformat())
    response = _post(api, user, workspace, {"period": f"{today:%Y-%m}", "as_of": str(today)})
    assert response.status_code == 422, response.text
    assert "only 11 days" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "Q5-2027"}, "period"),
        ({"period": "2026-11", "methodology": "magic"}, "methodology"),
        ({"period": "2026-11", "as_of": "2999-01-01"}, "as_of"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    api: Api, user: User, body: dict[str, object], field: str
) -> None:
    workspace = api.workspace(user)
    response = _post(api, user, workspace, body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.json()
