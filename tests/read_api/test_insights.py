"""Insights over HTTP: exact figures from a generated half year of history, and sane edges."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from domain.ledger.categories import system_category_id
from tests.api import Api, User

FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}


class History:
    """Six months (September 2025 to February 2026) of one household's money."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.user = api.user()
        user = self.user
        self.workspace = workspace = api.workspace(user)
        self.url = f"/api/workspaces/{workspace}"
        checking = api.account(user, workspace)
        dollars = api.account(user, workspace, currency="USD")
        pounds = api.account(user, workspace, currency="GBP")
        broker = self._post(
            "/accounts",
            {"name": "Broker", "type": "INVESTMENT", "currency": "EUR", "opening_balance": "0"},
        )["id"]
        for month in ("2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"):
            api.record(
                user, workspace, checking, date=f"{month}-01", amount="2000.00",
                description="Salary", category="salary",
            )  # fmt: skip
        for week in range(26):  # Wednesdays, 40, 50 and 60 in turn
            day = date(2025, 9, 3) + timedelta(days=7 * week)
            self.groceries = api.record(
                user, workspace, checking, date=day.isoformat(),
                amount=f"-{(40, 50, 60)[week % 3]}.00", description="Market", category="groceries",
            )  # fmt: skip
        self.anomaly = api.record(
            user, workspace, checking, date="2026-02-14", amount="-400.00",
            description="Caviar", merchant="Caviar House", category="groceries",
        )  # fmt: skip
        self.transfer = self._post(
            "/transfers",
            {
                "from_account_id": checking,
                "to_account_id": broker,
                "date": "2026-02-10",
                "amount": "500.00",
            },
        )
        self.store = api.record(
            user, workspace, checking, date="2026-02-20", amount="-100.00",
            description="Department store", category="shopping",
        )  # fmt: skip
        self.categories = {
            row["slug"]: row["id"]
            for row in api.read(user, f"{self.url}/categories", self.store["position"])["data"]
        }
        self.position = self._post(
            f"/transactions/{self.store['id']}/split",
            {
                "splits": [
                    {"category_id": self.categories["groceries"], "amount": "-30.00"},
                    {"category_id": self.categories["household"], "amount": "-70.00"},
                ]
            },
        )["position"]
        api.record(
            user, workspace, dollars, date="2026-02-05", amount="-10.00", currency="USD",
            description="Diner", category="restaurants",
        )  # fmt: skip
        self._post(
            "/exchange-rates",
            {"rates": [{"date": "2026-02-01", "currency": "USD", "quote": "EUR", "rate": "0.90"}]},
        )
        api.record(
            user, workspace, pounds, date="2026-02-06", amount="-20.00", currency="GBP",
            description="Pub", category="restaurants",
        )  # fmt: skip
        deleted = api.record(user, workspace, checking, date="2026-02-07", amount="-999.00")
        self.position = api.commands.delete(
            f"{self.url}/transactions/{deleted['id']}", headers=user.headers
        ).json()["position"]

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.api.commands.post(f"{self.url}{path}", json=body, headers=self.user.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.api.read(self.user, f"{self.url}{path}", self.position, **params)


@pytest.fixture(scope="module")
def history(command_client: TestClient[Any], read_client: TestClient[Any]) -> History:
    return History(Api(command_client, read_client))


def test_february_counts_salary_groceries_split_and_dollars_but_no_transfer_pounds_or_deleted(
    history: History,
) -> None:
    body = history.get("/stats", month="2026-02")
    # 2000 salary; 200 weekly groceries + 400 + 100 split + 10 USD at 0.90; the transfer, the
    # pounds (no rate) and the deleted 999 nowhere.
    assert body["current"] == {
        "income": "2000.00",
        "expenses": "709.00",
        "net": "1291.00",
        "investments": "500.00",
        "savings_rate": "64.55",
        "transaction_count": 8,
    }
    assert body["previous_month"] == "2026-01"
    assert body["previous"] == {
        "income": "2000.00",
        "expenses": "190.00",
        "net": "1810.00",
        "investments": "0.00",
        "savings_rate": "90.50",
        "transaction_count": 5,
    }
    assert body["change"] == {
        "income": {"amount": "0.00", "percent": "0.00"},
        "expenses": {"amount": "519.00", "percent": "273.16"},
        "net": {"amount": "-519.00", "percent": "-28.67"},
        "investments": {"amount": "500.00", "percent": None},
        "savings_rate": {"amount": "-25.95", "percent": None},
        "transaction_count": {"amount": "3", "percent": "60.00"},
    }
    assert body["conversion"]["currency"] == "EUR"
    assert body["conversion"]["unconverted"] == ["GBP"]
    assert body["conversion"]["rates_used"] == [
        {"currency": "USD", "quote": "EUR", "rate": "0.90", "rate_date": "2026-02-01"}
    ]


def test_trends_give_each_month_with_an_empty_one_as_zeros(history: History) -> None:
    body = history.get("/stats/trends", **{"from": "2025-08-01", "to": "2026-02-28"})
    assert [(r["start"], r["income"], r["expenses"], r["net"]) for r in body["data"]] == [
        ("2025-08-01", "0.00", "0.00", "0.00"),
        ("2025-09-01", "2000.00", "190.00", "1810.00"),
        ("2025-10-01", "2000.00", "260.00", "1740.00"),
        ("2025-11-01", "2000.00", "190.00", "1810.00"),
        ("2025-12-01", "2000.00", "260.00", "1740.00"),
        ("2026-01-01", "2000.00", "190.00", "1810.00"),
        ("2026-02-01", "2000.00", "709.00", "1291.00"),
    ]
    assert [(c["category"], c["amount"]) for c in body["data"][-1]["categories"]] == [
        ("Groceries", "630.00"),
        ("Household", "70.00"),
        ("Restaurants", "9.00"),
    ]
    weeks = history.get("/stats/trends", interval="week", **FEBRUARY)["data"]
    assert (weeks[0]["start"], weeks[0]["end"]) == ("2026-02-01", "2026-02-01")  # a Sunday
    assert sum(len(w["categories"]) > 0 for w in weeks) == 4


def test_top_categories_give_amount_share_and_count(history: History) -> None:
    body = history.get("/stats/top-categories", limit=2, **FEBRUARY)
    assert body["total_expenses"] == "709.00"
    assert [(r["category"], r["amount"], r["percentage"], r["count"]) for r in body["data"]] == [
        ("Groceries", "630.00", "88.86", 6),
        ("Household", "70.00", "9.87", 1),
    ]


def test_the_planted_expense_is_the_only_anomaly_with_its_figures(history: History) -> None:
    [found] = history.get("/insights/anomalies", **FEBRUARY)["data"]
    assert found["transaction_id"] == history.anomaly["id"]
    assert (found["merchant"], found["amount"], found["date"]) == (
        "Caviar House",
        "400.00",
        "2026-02-14",
    )
    # 24 earlier groceries of 40, 50 and 60: mean 50, s = sqrt(1600 / 23) = 8.34,
    # z = 350 / 8.3406 = 41.96.
    assert (found["average_amount"], found["standard_deviation"]) == ("50.00", "8.34")
    assert (found["standard_deviations"], found["history_count"]) == ("41.96", 24)
    assert found["category"] == "Groceries"
    assert "41.96 standard deviations above the average of 50.00 EUR" in found["reason"]
    assert history.get("/insights/anomalies", threshold="50", **FEBRUARY)["data"] == []


def test_periods_name_the_years_and_months_holding_transactions(history: History) -> None:
    body = history.get("/stats/periods")
    assert body["years"] == [2026, 2025]
    assert body["months"] == ["2026-02", "2026-01", "2025-12", "2025-11", "2025-10", "2025-09"]


def _kept(api: Api, user: User, url: str, params: dict[str, Any]) -> Any:
    """The answer once it comes from the cache. The processes that follow the log (points,
    badges) may still add to the workspace after a write, each a new key."""
    for _ in range(50):
        response = api.reads.get(url, params=params, headers=user.headers)
        if response.headers["X-Cache"] == "hit":
            return response
        time.sleep(0.1)
    raise AssertionError(f"{url} never came from the cache")


def test_a_split_is_seen_at_once_though_the_answer_was_cached(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    url = f"/api/workspaces/{workspace}/stats/top-categories"
    recorded = api.record(user, workspace, api.account(user, workspace), category="groceries")
    params = {"from": "2026-03-01", "to": "2026-03-31", "min_position": recorded["position"]}
    cached = _kept(api, user, url, params)
    [category] = cached.json()["data"]
    assert category["category"] == "Groceries"
    categories = api.read(user, f"/api/workspaces/{workspace}/categories", recorded["position"])
    household = next(row["id"] for row in categories["data"] if row["slug"] == "household")
    split = api.commands.post(
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}/split",
        json={
            "splits": [
                {"category_id": household, "amount": "-5.00"},
                {"category_id": None, "amount": "-0.75"},
            ]
        },
        headers=user.headers,
    )
    assert split.status_code == 200, split.text
    params["min_position"] = split.json()["position"]
    fresh = api.reads.get(url, params=params, headers=user.headers)
    assert fresh.headers["x-cache"] == "miss"
    assert [(r["category"], r["amount"]) for r in fresh.json()["data"]] == [
        ("Household", "5.00"),
        (None, "0.75"),
    ]


def test_cash_flow_gives_the_last_months_in_the_workspaces_time_zone(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    this_month = datetime.now(ZoneInfo("UTC")).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    api.record(user, workspace, account, date=last_month.isoformat(), amount="1000.00")
    recorded = api.record(user, workspace, account, date=this_month.isoformat(), amount="-0.10")
    body = api.read(
        user, f"/api/workspaces/{workspace}/stats/cash-flow", recorded["position"], months=3
    )
    assert [row["month"] for row in body["data"]][1:] == [
        last_month.strftime("%Y-%m"),
        this_month.strftime("%Y-%m"),
    ]
    assert [(r["income"], r["expenses"], r["savings"]) for r in body["data"]] == [
        ("0.00", "0.00", "0.00"),
        ("1000.00", "0.00", "1000.00"),
        ("0.00", "0.10", "-0.10"),
    ]


def test_an_empty_workspace_answers_every_route_with_zeros(api: Api) -> None:
    user = api.user()
    workspace, at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}"
    stats = api.read(user, f"{url}/stats", at)
    assert stats["current"]["net"] == "0.00"
    assert stats["current"]["savings_rate"] is None
    trends = api.read(user, f"{url}/stats/trends", at)["data"]
    assert len(trends) == 12
    assert {row["expenses"] for row in trends} == {"0.00"}
    assert api.read(user, f"{url}/stats/top-categories", at)["data"] == []
    assert len(api.read(user, f"{url}/stats/cash-flow", at)["data"]) == 12
    assert api.read(user, f"{url}/stats/periods", at) == {"years": [], "months": []}
    assert api.read(user, f"{url}/insights/anomalies", at)["data"] == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (
            "/stats/trends",
            {"from": "2000-01-01", "to": "2026-01-01", "interval": "day"},
            "interval",
        ),
        ("/stats/trends", {"interval": "hour"}, "interval"),
        ("/stats/top-categories", {"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ("/stats/top-categories", {"limit": "0"}, "limit"),
        ("/stats", {"month": "2026-13"}, "month"),
        ("/stats/cash-flow", {"months": "0"}, "months"),
        ("/insights/anomalies", {"threshold": "-1"}, "threshold"),
        ("/insights/anomalies", {"from": "1899-12-31"}, "from"),
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


@pytest.fixture
def user(api: Api) -> User:
    return api.user()


def _workspace(api: Api, user: User) -> tuple[str, int]:
    """A new workspace's id and the position at which it was created."""
    response = api.commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "EUR"}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["position"]


def test_recurring_finds_a_weekly_subscription_with_its_price_step_but_no_one_off(
    api: Api, user: User
) -> None:
    workspace, _ = _workspace(api, user)
    account = api.account(user, workspace)
    today = datetime.now(ZoneInfo("UTC")).date()  # a new workspace's time zone
    days = [today - timedelta(days=7 * weeks) for weeks in (4, 3, 2, 1)]
    for day, amount in zip(days, ("-5.00", "-5.00", "-6.00", "-6.00"), strict=True):
        api.record(
            user, workspace, account, date=day.isoformat(), amount=amount,
            description="SPOTIFY P1234567", category="subscriptions",
        )  # fmt: skip
    api.record(user, workspace, account, date=days[0].isoformat(), description="Cinema")
    deleted = api.record(
        user, workspace, account, date=(today - timedelta(days=35)).isoformat(),
        amount="-5.00", description="SPOTIFY P1234567",
    )  # fmt: skip
    position = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{deleted['id']}", headers=user.headers
    ).json()["position"]
    body = api.read(user, f"/api/workspaces/{workspace}/insights/recurring", position)
    [series] = body["data"]
    assert body["today"] == today.isoformat()
    assert {key: series[key] for key in ("merchant", "type", "cadence", "occurrences")} == {
        "merchant": "Spotify",
        "type": "expense",
        "cadence": "WEEKLY",
        "occurrences": 4,  # the deleted one not
    }
    assert series["account_id"] == account
    assert (series["typical_amount"], series["annual_cost"], series["currency"]) == (
        "6.00",
        "312.00",
        "EUR",
    )
    assert series["price_change"] == {"old": "5.00", "new": "6.00", "since": days[2].isoformat()}
    assert series["next_expected_date"] == today.isoformat()
    assert series["status"] == "ACTIVE"
    assert series["category"] is not None
    again = _kept(
        api, user, f"/api/workspaces/{workspace}/insights/recurring", {"min_position": position}
    )
    assert again.json() == body


def test_an_amended_description_moves_a_transaction_out_of_its_series(api: Api, user: User) -> None:
    """Series are grouped by each transaction's series name (its merchant here), kept when it
    is recorded and changed when it is amended."""
    workspace, _ = _workspace(api, user)
    account = api.account(user, workspace)
    today = datetime.now(ZoneInfo("UTC")).date()
    days = [today - timedelta(days=7 * weeks) for weeks in (4, 3, 2, 1)]
    recorded = [
        api.record(
            user, workspace, account, date=day.isoformat(), amount="-5.00",
            description="NETFLIX.COM 4471", category="subscriptions",
        )
        for day in days
    ]  # fmt: skip
    url = f"/api/workspaces/{workspace}/insights/recurring"
    [series] = api.read(user, url, recorded[-1]["position"])["data"]
    assert (series["merchant"], series["occurrences"]) == ("Netflix", 4)
    amended = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{recorded[0]['id']}",
        json={"description": "Cinema", "merchant": "Cinema"},
        headers=user.headers,
    )
    assert amended.status_code == 200, amended.text
    [series] = api.read(user, url, amended.json()["position"])["data"]
    assert (series["merchant"], series["occurrences"]) == ("Netflix", 3)
    assert series["first_date"] == days[1].isoformat()


def test_spending_patterns_count_late_nights_and_a_category_rising_three_months(
    api: Api, user: User
) -> None:
    workspace, _ = _workspace(api, user)
    account = api.account(user, workspace)
    today = datetime.now(ZoneInfo("UTC")).date()  # a new workspace's time zone
    months = [today.replace(day=1)]
    for _ in range(3):
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    for month, amount in zip(months, ("-10.00", "-20.00", "-30.00"), strict=False):
        api.record(
            user, workspace, account, date=month.replace(day=15).isoformat(), amount=amount,
            category="groceries",
        )  # fmt: skip
    late = {
        api.record(user, workspace, account, date=today.isoformat(), amount="-10.00", time=at)["id"]
        for at in ("23:00", "01:30", "22:15:00")
    }
    api.record(user, workspace, account, date=today.isoformat(), amount="-10.00", time="12:00")
    position = api.record(user, workspace, account, date=today.isoformat(), amount="-10.00")[
        "position"
    ]
    url = f"/api/workspaces/{workspace}/insights/spending-patterns"
    body = api.read(user, url, position, timeframe="month")
    assert (body["start"], body["end"]) == (months[-1].isoformat(), today.isoformat())
    assert body["late_night_count"] == 3
    assert (body["total_expenses"], body["transaction_count"]) == ("50.00", 5)
    assert body["average_transaction"] == "10.00"
    found = {insight["title"]: insight for insight in body["insights"]}
    night = found["You often spend late at night"]
    assert (night["type"], night["amount"], night["impact"]) == ("PATTERN", "30.00", "HIGH")
    assert set(night["evidence"]["transaction_ids"]) == late
    trend = found["Spending on Groceries keeps rising"]
    assert (trend["type"], trend["amount"], trend["impact"]) == ("TREND", "20.00", "HIGH")
    assert [(f["start"], f["amount"], f["count"]) for f in trend["evidence"]["figures"]] == [
        (m.isoformat(), a, 1) for m, a in zip(months, ("10.00", "20.00", "30.00"), strict=False)
    ]
    again = _kept(api, user, url, {"timeframe": "month", "min_position": position})
    assert again.json() == body


def test_spending_patterns_of_an_empty_workspace_are_zeros_and_a_bad_timeframe_is_400(
    api: Api, user: User
) -> None:
    workspace, at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}/insights/spending-patterns"
    body = api.read(user, url, at, timeframe="year")
    assert (body["total_expenses"], body["transaction_count"]) == ("0.00", 0)
    assert (body["weekend_pct"], body["average_transaction"]) == (None, None)
    assert (body["late_night_count"], body["insights"]) == (0, [])
    response = api.reads.get(
        url, params={"timeframe": "hour", "min_position": at}, headers=user.headers
    )
    assert response.status_code == 400, response.text
    assert "timeframe" in response.text


def _months_before(day: date, months: int) -> date:
    """``day`` less ``months`` calendar months, its day kept (1 to 28 are in every month)."""
    month = day.year * 12 + day.month - 1 - months
    return date(month // 12, month % 12 + 1, min(day.day, 28))


def test_savings_opportunities_name_a_price_step_fees_and_a_stopped_series_still_budgeted(
    api: Api, user: User
) -> None:
    workspace, at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}/insights/savings-opportunities"
    assert api.read(user, url, at)["data"] == []  # an empty workspace
    account = api.account(user, workspace)
    today = datetime.now(ZoneInfo("UTC")).date()  # a new workspace's time zone
    for months, amount in zip((4, 3, 2, 1, 0), ("10", "10", "10", "12", "12"), strict=True):
        api.record(
            user, workspace, account, date=_months_before(today, months).isoformat(),
            amount=f"-{amount}.00", description="Netflix", merchant="Netflix",
            category="streaming",
        )  # fmt: skip
    for months in (7, 6, 5):
        api.record(
            user, workspace, account, date=_months_before(today, months).isoformat(),
            amount="-8.00", description="Hulu", merchant="Hulu", category="streaming",
        )  # fmt: skip
    fee = api.record(
        user, workspace, account, date=today.isoformat(), amount="-3.00",
        description="ATM fee", category="bank_fees",
    )  # fmt: skip
    response = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={
            "name": "Fun",
            "amount": "50.00",
            "period": today.strftime("%Y-%m"),
            "category_ids": [str(system_category_id(UUID(workspace), "entertainment"))],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    budget = response.json()
    body = api.read(user, url, budget["position"])
    assert body["today"] == today.isoformat()
    assert [(o["type"], o["potential_monthly_savings"], o["confidence"]) for o in body["data"]] == [
        ("STOPPED_SERIES_BUDGETED", "8.00", "0.67"),  # 3 payments: history 2/3
        ("PRICE_INCREASE", "2.00", "1.00"),
        ("FEES", "1.00", "1.00"),
    ]
    stopped, price, fees = body["data"]
    assert stopped["evidence"]["budget_ids"] == [budget["id"]]
    assert price["evidence"]["figures"][1]["amount"] == "12.00"
    assert fees["evidence"]["transaction_ids"] == [fee["id"]]
    again = _kept(api, user, url, {"min_position": budget["position"]})
    assert again.json() == body


def test_health_score_and_its_history_from_two_complete_months_and_a_loan(
    api: Api, user: User
) -> None:
    workspace, empty_at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}/health-score"
    empty = api.read(user, url, empty_at)
    assert empty["score"] == "0.00"
    assert {d["reason"][:11] for d in empty["dimensions"]} == {"No data yet"}
    checking = api.account(user, workspace)
    loan = api.commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={"name": "Car", "type": "LOAN", "currency": "EUR", "opening_balance": "-1000"},
        headers=user.headers,
    )
    assert loan.status_code == 201, loan.text
    this_month = datetime.now(ZoneInfo("UTC")).date().replace(day=1)  # a new workspace's zone
    second = (this_month - timedelta(days=1)).replace(day=1)
    first = (second - timedelta(days=1)).replace(day=1)
    for month in (first, second):
        api.record(user, workspace, checking, date=month.isoformat(), amount="2000.00")
        last = api.record(
            user, workspace, checking, date=month.replace(day=2).isoformat(), amount="-1000.00"
        )
    body = api.read(user, url, last["position"])
    assert {d["name"]: d["score"] for d in body["dimensions"]} == {
        "savings_consistency": "20.00",  # 2 of 2 months saved, 50 %
        "debt_ratio": "10.00",  # 20 * (1 - 1000 / 2000)
        "spending_discipline": "10.00",  # no budget: neutral
        "emergency_funds": "6.67",  # 20 * 2000 / (6 * 1000)
        "investments": "0.00",
        "subscription_management": "10.00",
    }
    assert body["score"] == "56.67"
    assert body["improvements"][0].startswith("Add")  # investments, 0 of 10
    history = api.read(user, f"{url}/history", last["position"], months=2)["data"]
    assert [(p["month"], p["score"]) for p in history] == [
        (first.strftime("%Y-%m"), "43.33"),  # debt 1000 / 1000: 0; 1000 liquid: 3.33
        (second.strftime("%Y-%m"), "56.67"),
    ]
    too_long = api.reads.get(f"{url}/history", params={"months": "25"}, headers=user.headers)
    assert too_long.status_code == 400
    assert "months" in too_long.text


def _spent_on_groceries(api: Api, user: User, workspace: str) -> tuple[date, int]:
    """1000 opening, 2000 earned and 300 spent on groceries on this month's first day, under a
    500 groceries budget for this month: today (UTC, a new workspace's zone) and the position."""
    today = datetime.now(ZoneInfo("UTC")).date()
    first = today.replace(day=1).isoformat()
    checking = api.account(user, workspace, opening_balance="1000.00")
    api.record(user, workspace, checking, date=first, amount="2000.00", category="salary")
    api.record(user, workspace, checking, date=first, amount="-300.00", category="groceries")
    budget = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={
            "name": "Groceries",
            "amount": "500.00",
            "period": today.strftime("%Y-%m"),
            "category_ids": [str(system_category_id(UUID(workspace), "groceries"))],
        },
        headers=user.headers,
    )
    assert budget.status_code == 201, budget.text
    return today, budget.json()["position"]


def test_the_overview_gives_the_months_cards_and_an_empty_workspace_zeros(
    api: Api, user: User
) -> None:
    workspace, empty_at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}"
    empty = api.read(user, f"{url}/overview", empty_at, timeframe="all-time")
    assert (empty["net_worth"]["current"], empty["net_worth"]["trend"]) == ("0.00", "FLAT")
    assert (empty["spending"]["percent_used"], empty["recent_transactions"]) == (None, [])
    today, at = _spent_on_groceries(api, user, workspace)
    body = api.read(user, f"{url}/overview", at, timeframe="this-month")
    assert (body["start"], body["end"]) == (today.replace(day=1).isoformat(), today.isoformat())
    assert body["net_worth"] == {
        "current": "2700.00",
        "previous": "1000.00",
        "change": "1700.00",
        "percent": "170.00",
        "trend": "UP",
    }
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert body["spending"] == {
        "amount": "300.00",
        "budgeted": "500.00",
        "percent_used": "60.00",
        "days_remaining": (month_end - today).days,
    }
    assert body["income"] == {
        "amount": "2000.00",
        "three_month_average": "0.00",
        "change": "2000.00",
        "percent": None,
    }
    assert (body["cash_flow"], body["savings_rate"]) == ("1700.00", "85.00")
    assert body["health_score"] == api.read(user, f"{url}/health-score", at)["score"]
    assert body["open_risk_flags"] == 0
    assert sorted(t["amount"] for t in body["recent_transactions"]) == ["-300.00", "2000.00"]
    bad = api.reads.get(f"{url}/overview", params={"timeframe": "week"}, headers=user.headers)
    assert bad.status_code == 400
    assert "timeframe" in bad.text


def test_the_briefing_says_the_balance_the_budget_and_no_bills(api: Api, user: User) -> None:
    workspace, empty_at = _workspace(api, user)
    url = f"/api/workspaces/{workspace}/briefing"
    assert api.read(user, url, empty_at)["sentences"] == [
        "You have 0.00 EUR across your checking, savings and cash accounts.",
        "You have spent 0.00 EUR this month.",
        "No bills due in the next 7 days.",
    ]
    today, at = _spent_on_groceries(api, user, workspace)
    body = api.read(user, url, at, date=today.isoformat())
    assert body["metrics"] == {
        "liquid_balance": "2700.00",
        "month_to_date_spending": "300.00",
        "month_budget": "500.00",
        "budget_used_percent": "60.00",
        "upcoming_bills": 0,
        "upcoming_bills_amount": "0.00",
        "open_risk_flags": 0,
        "anomalies": 0,
    }
    assert body["text"] == (
        "You have 2700.00 EUR across your checking, savings and cash accounts. "
        "You have spent 300.00 EUR this month, 60.00 % of your 500.00 EUR budget. "
        "No bills due in the next 7 days."
    )
    too_early = api.reads.get(url, params={"date": "1899-12-31"}, headers=user.headers)
    assert too_early.status_code == 400
    assert "date" in too_early.text


def test_a_cached_answer_gives_way_to_a_rename_and_a_new_rate_though_no_transaction_changed(
    api: Api, user: User
) -> None:
    workspace, _ = _workspace(api, user)
    account = api.account(user, workspace)
    created = api.commands.post(
        f"/api/workspaces/{workspace}/categories", json={"name": "Pets"}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    category = created.json()["id"]
    today = datetime.now(ZoneInfo("UTC")).date()
    api.record(
        user, workspace, account, date=today.isoformat(), amount="-10.00", category_id=category
    )
    dollars = api.account(user, workspace, currency="USD")
    at = api.record(
        user, workspace, dollars, date=today.isoformat(), amount="-20.00", currency="USD"
    )["position"]
    url = f"/api/workspaces/{workspace}/stats/top-categories"
    first = api.reads.get(url, params={"min_position": at}, headers=user.headers)
    assert (first.headers["X-Cache"], first.json()["total_expenses"]) == ("miss", "10.00")
    assert [r["category"] for r in first.json()["data"]] == ["Pets"]
    again = _kept(api, user, url, {"min_position": at})
    assert again.json() == first.json()
    renamed = api.commands.patch(
        f"/api/workspaces/{workspace}/categories/{category}",
        json={"name": "Animals"},
        headers=user.headers,
    )
    assert renamed.status_code == 200, renamed.text
    after = api.reads.get(
        url, params={"min_position": renamed.json()["position"]}, headers=user.headers
    )
    assert after.headers["X-Cache"] == "miss"
    assert [r["category"] for r in after.json()["data"]] == ["Animals"]
    rate = api.commands.post(
        f"/api/workspaces/{workspace}/exchange-rates",
        json={
            "rates": [{"date": today.isoformat(), "currency": "USD", "quote": "EUR", "rate": "0.5"}]
        },
        headers=user.headers,
    )
    assert rate.status_code in (200, 201), rate.text
    converted = api.reads.get(
        url, params={"min_position": rate.json()["position"]}, headers=user.headers
    )
    assert converted.headers["X-Cache"] == "miss"
    assert converted.json()["total_expenses"] == "20.00"  # 10 EUR + 20 USD at 0.5
