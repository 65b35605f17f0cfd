"""One generated household, seven months up to today, read through every insight route: the
month's exact sums, the series it pays (a subscription with a price step, weekly groceries, a
salary), the planted anomaly and the one flag, the known items a forecast places, and the
verdicts of two purchases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from infra.settings import Settings
from tests.api import Api
from tests.projections.test_risk_watch import settled


def _months_before(day: date, months: int) -> date:
    """``day`` less ``months`` calendar months, its day kept (1 to 28 are in every month)."""
    month = day.year * 12 + day.month - 1 - months
    return date(month // 12, month % 12 + 1, min(day.day, 28))


class Household:
    """Salary 3,000.00 on the 1st of each of the last 7 months; a streaming subscription on the
    same day of each of the 6 months before this one, 10.00 then 12.00 from the 4th; groceries
    of 40, 50 and 60 every 7 days back from yesterday for 26 weeks; 400.00 of caviar at a new
    shop 2 days ago; three late-night drinks today."""

    def __init__(self, api: Api, settings: Settings) -> None:
        self.api, self.user = api, api.user()
        self.workspace = api.workspace(self.user)
        self.url = f"/api/workspaces/{self.workspace}"
        self.today = today = datetime.now(ZoneInfo("UTC")).date()  # a new workspace's zone
        self.account = api.account(self.user, self.workspace, opening_balance="1000.00")
        self.recorded: list[tuple[date, Decimal]] = []
        for k in range(7):
            self.record(_months_before(today, k).replace(day=1), "3000.00", "Salary", "salary")
        for k, amount in zip(range(6, 0, -1), ("10", "10", "10", "12", "12", "12"), strict=True):
            self.record(_months_before(today, k), f"-{amount}.00", "Netflix", "streaming")
        for week in range(26):
            day = today - timedelta(days=1 + 7 * week)
            self.record(day, f"-{(40, 50, 60)[week % 3]}.00", "Market", "groceries")
        self.caviar = self.record(today - timedelta(days=2), "-400.00", "Caviar House", "groceries")
        for at in ("22:30", "23:15", "23:55"):
            last = self.record(today, "-8.00", "Night Bar", "restaurants", time=at)
        self.position = settled(settings, last["position"])

    def record(
        self, day: date, amount: str, merchant: str, category: str, **fields: Any
    ) -> dict[str, Any]:
        self.recorded.append((day, Decimal(amount)))
        return self.api.record(
            self.user, self.workspace, self.account, date=day.isoformat(), amount=amount,
            description=merchant, merchant=merchant, category=category, **fields,
        )  # fmt: skip

    def get(self, path: str, **params: Any) -> Any:
        return self.api.read(self.user, f"{self.url}{path}", self.position, **params)


@pytest.fixture(scope="module")
def home(
    command_client: TestClient[Any], read_client: TestClient[Any], settings: Settings
) -> Household:
    return Household(Api(command_client, read_client), settings)


def test_the_months_sums_are_the_transactions_to_the_cent(home: Household) -> None:
    month = home.today.replace(day=1)
    spent = -sum((a for d, a in home.recorded if d >= month and a < 0), Decimal(0))
    body = home.get("/stats")["current"]
    assert (body["income"], body["expenses"]) == ("3000.00", f"{spent:.2f}")
    assert body["net"] == f"{Decimal(3000) - spent:.2f}"
    assert body["transaction_count"] == sum(1 for d, _ in home.recorded if d >= month)


def test_the_subscription_groceries_and_salary_are_found_as_series(home: Household) -> None:
    found = {s["merchant"]: s for s in home.get("/insights/recurring")["data"]}
    netflix, market, salary = found["Netflix"], found["Market"], found["Salary"]
    assert (netflix["cadence"], netflix["occurrences"], netflix["typical_amount"]) == (
        "MONTHLY",
        6,
        "12.00",
    )
    assert (netflix["price_change"]["old"], netflix["price_change"]["new"]) == ("10.00", "12.00")
    assert netflix["next_expected_date"] == home.today.isoformat()
    assert (market["cadence"], market["occurrences"], market["status"]) == ("WEEKLY", 26, "ACTIVE")
    assert (salary["cadence"], salary["typical_amount"]) == ("MONTHLY", "3000.00")
    assert not {"Caviar House", "Night Bar"} & set(found)


def test_the_caviar_is_the_only_anomaly_and_the_only_flag(home: Household) -> None:
    week_ago = (home.today - timedelta(days=7)).isoformat()
    [anomaly] = home.get("/insights/anomalies", **{"from": week_ago})["data"]
    assert (anomaly["transaction_id"], anomaly["amount"]) == (home.caviar["id"], "400.00")
    [flag] = home.get("/insights/risk-flags")["data"]
    assert flag["transaction_id"] == home.caviar["id"]
    assert [r["code"] for r in flag["reasons"]] == ["LARGE_FOR_CATEGORY", "NEW_MERCHANT"]
    patterns = home.get("/insights/spending-patterns", timeframe="month")
    assert patterns["late_night_count"] == 3


def test_the_forecast_places_the_subscription_and_the_salary(home: Household) -> None:
    body = home.get("/forecasts/balance", days=35)
    known = {(i["label"], i["amount"], i["source"]) for i in body["known_items"]}
    assert ("Netflix", "-12.00", "RECURRING") in known
    assert ("Salary", "3000.00", "RECURRING") in known
    [salary] = [i for i in body["known_items"] if i["label"] == "Salary"]
    assert salary["date"] == _months_before(home.today, -1).replace(day=1).isoformat()
    balance = Decimal(1000) + sum((a for _, a in home.recorded), Decimal(0))
    assert body["current_balance"] == f"{balance:.2f}"


def test_a_small_purchase_is_affordable_and_a_huge_one_not_advised(home: Household) -> None:
    verdicts = []
    for amount in ("20.00", "1000000.00"):
        response = home.api.reads.post(
            f"{home.url}/simulate/purchase",
            json={"amount": amount},
            params={"min_position": home.position},
            headers=home.user.headers,
        )
        assert response.status_code == 200, response.text
        verdicts.append(response.json()["verdict"])
    assert verdicts == ["AFFORDABLE", "NOT_ADVISED"]
