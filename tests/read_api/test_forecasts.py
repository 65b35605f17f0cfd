"""Forecasts over HTTP: a rent series placed on its date, variable spending without it, a
purchase's verdict, and the edges (an empty workspace, bad input) answered, never a 500."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from projections.insights.recurring import CADENCES, add_periods
from tests.api import Api, User

MONTHLY = CADENCES[2]


@pytest.fixture
def user(api: Api) -> User:
    return api.user()


def _workspace(api: Api, user: User) -> tuple[str, int]:
    response = api.commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "EUR"}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["position"]


class Household:
    """5000 opening; a gift of 10 120 days ago (history starts); rent of 800 on the same day
    each of the last three months, due again in about five days; one 90.00 book yesterday.
    Balance 5000 + 10 - 2400 - 90 = 2520; v = 90 / 90 = 1.00 a day (the rent left out)."""

    def __init__(self, api: Api, user: User) -> None:
        self.api, self.user = api, user
        self.workspace, _ = _workspace(api, user)
        self.url = f"/api/workspaces/{self.workspace}"
        self.today = today = datetime.now(ZoneInfo("UTC")).date()  # a new workspace's zone
        self.account = api.account(user, self.workspace, opening_balance="5000.00")
        anchor = today + timedelta(days=5)
        rents = [add_periods(anchor, MONTHLY, -k) for k in (3, 2, 1)]
        self.rent_due = add_periods(rents[-1], MONTHLY)
        self._record(today - timedelta(days=120), "10.00", "Gift")
        for day in rents:
            self._record(day, "-800.00", "Landlord")
        self.position = self._record(today - timedelta(days=1), "-90.00", "Bookshop")["position"]

    def _record(self, day: date, amount: str, description: str) -> dict[str, Any]:
        return self.api.record(
            self.user,
            self.workspace,
            self.account,
            date=day.isoformat(),
            amount=amount,
            description=description,
        )

    def simulate(self, body: dict[str, Any]) -> Any:
        return self.api.reads.post(
            f"{self.url}/simulate/purchase",
            json=body,
            params={"min_position": self.position},
            headers=self.user.headers,
        )


def test_the_balance_forecast_places_the_rent_and_spreads_variable_spending(
    api: Api, user: User
) -> None:
    home = Household(api, user)
    body = api.read(user, f"{home.url}/forecasts/balance", home.position, days=30)
    assert (body["currency"], body["current_balance"]) == ("EUR", "2520.00")
    assert body["daily_variable_spending"] == "1.00"
    assert body["daily_standard_deviation"] == "9.43"  # sqrt((89² + 89) / 90)
    assert (body["history_days"], body["confidence"], body["band_k"]) == (90, "1.00", "1.28")
    assert body["known_items"] == [
        {
            "date": home.rent_due.isoformat(),
            "amount": "-800.00",
            "label": "Landlord",
            "source": "RECURRING",
        }
    ]
    assert body["predicted_balance"] == "1690.00"  # 2520 - 800 - 30 * 1
    assert len(body["points"]) == 30
    first = body["points"][0]
    # 2520 - 1, ± 1.28 * sqrt(89)
    assert first == {
        "date": (home.today + timedelta(days=1)).isoformat(),
        "balance": "2519.00",
        "low": "2506.92",
        "high": "2531.08",
    }


def test_scenarios_and_the_future_answer_month_by_month(api: Api, user: User) -> None:
    home = Household(api, user)
    scenarios = api.read(user, f"{home.url}/forecasts/scenarios", home.position, months=3)
    assert len(scenarios["data"]) == 3
    for month in scenarios["data"]:
        conservative, expected, optimistic = (
            Decimal(month[k]) for k in ("conservative", "expected", "optimistic")
        )
        assert conservative <= expected <= optimistic
    assert len(scenarios["assumptions"]) == 5
    future = api.read(user, f"{home.url}/forecasts/future", home.position, months=12)
    assert len(future["data"]) == 12
    assert future["data"][-1]["balance"] == _balance_after_every_net(future)


def _balance_after_every_net(future: dict[str, Any]) -> str:
    """The last month's balance is the current one plus every month's net."""
    nets = sum((Decimal(m["net"]) for m in future["data"]), Decimal(future["current_balance"]))
    return f"{nets:f}"


def test_a_small_purchase_is_affordable_and_a_large_one_not_advised(api: Api, user: User) -> None:
    home = Household(api, user)
    small = home.simulate({"amount": "100.00"})
    assert small.status_code == 200, small.text
    body = small.json()
    assert (body["balance_today_without"], body["balance_today_with"]) == ("2520.00", "2420.00")
    assert (body["projected_without"], body["projected_with"]) == ("1690.00", "1590.00")
    assert body["lowest_balance"] == "1590.00"
    assert body["verdict"] == "AFFORDABLE"
    large = home.simulate({"amount": "2000.00", "account_id": home.account, "installments": 1})
    assert large.status_code == 200, large.text
    assert (large.json()["lowest_balance"], large.json()["verdict"]) == ("-310.00", "NOT_ADVISED")
    # Nothing was saved: the forecast is as before.
    again = api.read(user, f"{home.url}/forecasts/balance", home.position)
    assert again["current_balance"] == "2520.00"


def test_an_empty_workspace_forecasts_zeros_with_no_confidence(api: Api, user: User) -> None:
    workspace, at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}"
    body = api.read(user, f"{url}/forecasts/balance", at, days=2)
    assert (body["current_balance"], body["predicted_balance"], body["confidence"]) == (
        "0.00",
        "0.00",
        "0.00",
    )
    assert [p["balance"] for p in body["points"]] == ["0.00", "0.00"]
    assert api.read(user, f"{url}/forecasts/scenarios", at)["data"][0]["expected"] == "0.00"
    assert len(api.read(user, f"{url}/forecasts/future", at)["data"]) == 12
    response = api.reads.post(
        f"{url}/simulate/purchase",
        json={"amount": "5.00"},
        params={"min_position": at},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "NOT_ADVISED"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/forecasts/balance", {"days": "0"}, "days"),
        ("/forecasts/balance", {"days": "366"}, "days"),
        ("/forecasts/scenarios", {"months": "25"}, "months"),
        ("/forecasts/future", {"months": "61"}, "months"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_field(
    api: Api, user: User, path: str, params: dict[str, str], field: str
) -> None:
    workspace, at = _workspace(api, user)
    response = api.reads.get(
        f"/api/workspaces/{workspace}{path}",
        params={**params, "min_position": at},
        headers=user.headers,
    )
    assert response.status_code == 400, response.text
    assert field in response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "5.00", "installments": 0}, "installments"),
        ({"amount": "5.00", "account_id": str(uuid4())}, "account_id"),
        ({"amount": "5.00", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_purchase_is_400_naming_the_field(
    api: Api, user: User, body: dict[str, Any], field: str
) -> None:
    workspace, at = _workspace(api, user)
    response = api.reads.post(
        f"/api/workspaces/{workspace}/simulate/purchase",
        json=body,
        params={"min_position": at},
        headers=user.headers,
    )
    assert response.status_code == 400, response.text
    assert field in response.text


def test_a_stranger_gets_404(api: Api, user: User) -> None:
    workspace, at = _workspace(api, user)
    stranger = api.user("Eve")
    response = api.reads.get(
        f"/api/workspaces/{workspace}/forecasts/balance",
        params={"min_position": at},
        headers=stranger.headers,
    )
    assert response.status_code == 404, response.text


def test_a_schedule_and_its_series_count_once_and_a_schedule_without_one_is_placed(
    api: Api, user: User
) -> None:
    home = Household(api, user)
    position = home.position
    # The rent's series scheduled (same account, amount and cadence), and a gym with no history.
    for name, amount, day in (
        ("Rent", "-800.00", home.rent_due),
        ("Gym", "-30.00", home.today + timedelta(days=10)),
    ):
        response = api.commands.post(
            f"{home.url}/schedules",
            json={
                "name": name,
                "account_id": home.account,
                "amount": amount,
                "cadence": "MONTHLY",
                "next_date": day.isoformat(),
            },
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        position = response.json()["position"]
    body = api.read(user, f"{home.url}/forecasts/balance", position, days=30)
    assert sorted((i["label"], i["amount"], i["source"]) for i in body["known_items"]) == [
        ("Gym", "-30.00", "SCHEDULE"),
        ("Rent", "-800.00", "SCHEDULE"),
    ]
    assert body["predicted_balance"] == "1660.00"  # 2520 - 800 - 30 - 30 * 1


def test_a_schedules_past_payments_are_not_variable_spending_too(api: Api, user: User) -> None:
    home = Household(api, user)
    due = home.today + timedelta(days=3)
    # Two payments of a schedule no series covers (too few), a day off its dates: they are
    # the schedule's, placed ahead, and not variable spending as well. A third 50.00 away
    # from every date of it stays variable.
    for months, off in ((2, 1), (1, -1)):
        home._record(add_periods(due, MONTHLY, -months) + timedelta(days=off), "-50.00", "Insurer")
    home._record(add_periods(due, MONTHLY, -1) + timedelta(days=12), "-50.00", "Shoes")
    response = api.commands.post(
        f"{home.url}/schedules",
        json={
            "name": "Insurance",
            "account_id": home.account,
            "amount": "-50.00",
            "cadence": "MONTHLY",
            "next_date": due.isoformat(),
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    body = api.read(user, f"{home.url}/forecasts/balance", response.json()["position"], days=30)
    assert body["daily_variable_spending"] == "1.56"  # (90 + 50) / 90, the insurance left out
    assert ("Insurance", "-50.00", "SCHEDULE") in [
        (i["label"], i["amount"], i["source"]) for i in body["known_items"]
    ]
