"""Transfers, splits, categories, accounts and net worth, over both APIs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.api import Api, User

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def post(api: Api, user: User, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = api.commands.post(path, json=body, headers=user.headers)
    assert response.status_code == status, response.text
    return response.json()


def test_a_transfer_is_two_legs_and_neither_income_nor_expense(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    checking = api.account(user, workspace, opening_balance="1000.00")
    savings = api.account(user, workspace)
    api.record(user, workspace, checking, amount="-40.00", date="2026-03-02")
    transfer = post(
        api,
        user,
        f"/api/workspaces/{workspace}/transfers",
        {
            "from_account_id": checking,
            "to_account_id": savings,
            "date": "2026-03-03",
            "amount": "250.00",
        },
    )
    assert [leg["amount"] for leg in transfer["legs"]] == ["-250.00", "250.00"]
    dashboard = api.read(
        user, f"/api/workspaces/{workspace}/dashboard", transfer["position"], month="2026-03"
    )
    assert dashboard["totals"][0]["expenses"] == "40.00"
    assert dashboard["totals"][0]["income"] == "0"
    balances = {a["account_id"]: a["balance"] for a in dashboard["accounts"]}
    assert balances == {checking: "710.00", savings: "250.00"}
    listed = api.read(
        user, f"/api/workspaces/{workspace}/transactions", transfer["position"], type="transfer"
    )
    assert listed["meta"]["total"] == 2
    # Deleting one leg takes the other with it.
    leg = transfer["legs"][1]["id"]
    deleted = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{leg}", headers=user.headers
    )
    assert deleted.status_code == 200, deleted.text
    gone = api.read(
        user, f"/api/workspaces/{workspace}/transactions/deleted", deleted.json()["position"]
    )
    assert gone["meta"]["total"] == 2


def test_split_parts_must_add_up_to_the_total(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account, amount="-100.00")
    categories = api.read(user, f"/api/workspaces/{workspace}/categories", recorded["position"])
    ids = {c["slug"]: c["id"] for c in categories["data"]}
    path = f"/api/workspaces/{workspace}/transactions/{recorded['id']}/split"
    wrong = post(
        api,
        user,
        path,
        {
            "splits": [
                {"category_id": ids["groceries"], "amount": "-80.00"},
                {"category_id": ids["household"], "amount": "-19.99"},
            ]
        },
        422,
    )
    assert "splits" in wrong["errors"]
    split = post(
        api,
        user,
        path,
        {
            "splits": [
                {"category_id": ids["groceries"], "amount": "-80.00"},
                {"category_id": ids["household"], "amount": "-20.00"},
            ]
        },
        200,
    )
    spending = api.read(
        user,
        f"/api/workspaces/{workspace}/categories/{ids['shopping']}/spending",
        split["position"],
    )
    assert spending["totals"] == [
        {"currency": "EUR", "expenses": "20.00", "income": "0", "transaction_count": 1}
    ]


def test_merging_a_category_moves_its_transactions_by_events(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    first = api.record(user, workspace, account, category="Snacks")
    api.record(user, workspace, account, category="Snacks")
    target = api.record(user, workspace, account, category="Groceries")
    merged = post(
        api,
        user,
        f"/api/workspaces/{workspace}/categories/{first['category_id']}/merge",
        {"target_id": target["category_id"]},
        200,
    )
    assert merged["moved_transactions"] == 2
    history = api.read(
        user,
        f"/api/workspaces/{workspace}/transactions/{first['id']}/history",
        merged["position"],
    )
    assert [entry["type"] for entry in history["data"]][-1] == "TransactionCategorized"
    listed = api.read(
        user, f"/api/workspaces/{workspace}/transactions", merged["position"], category="groceries"
    )
    assert listed["meta"]["total"] == 3


def test_net_worth_converts_at_the_rate_of_the_date_exactly(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="EUR")
    api.account(user, workspace, opening_balance="100.10")
    dollars = api.account(user, workspace, currency="USD", opening_balance="0.10")
    post(
        api,
        user,
        f"/api/workspaces/{workspace}/accounts/{dollars}/valuations",
        {"date": "2026-01-01", "value": "1000.01"},
    )
    rates = post(
        api,
        user,
        f"/api/workspaces/{workspace}/exchange-rates",
        {
            "rates": [
                {"date": "2026-01-01", "currency": "USD", "quote": "EUR", "rate": "0.9"},
                {"date": "2026-02-01", "currency": "USD", "quote": "EUR", "rate": "0.8"},
            ]
        },
    )
    worth = api.read(
        user,
        f"/api/workspaces/{workspace}/net-worth",
        rates["position"],
        **{"from": "2026-01-15", "to": "2026-02-15", "interval": "month"},
    )
    jan, feb = worth["history"][0], worth["history"][-1]
    # 100.10 + 1000.01 x 0.9 = 1000.109 -> 1000.11; in February x 0.8 = 900.108 -> 900.11
    assert (jan["date"], jan["net_worth"]) == ("2026-01-31", "1000.11")
    assert jan["rates"] == [
        {"currency": "USD", "quote": "EUR", "rate": "0.9", "rate_date": "2026-01-01"}
    ]
    assert (feb["date"], feb["net_worth"]) == ("2026-02-15", "900.11")


def test_a_closed_account_takes_no_new_transactions(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    post(api, user, f"/api/workspaces/{workspace}/accounts/{account}/close", {}, 200)
    refused = api.record_with(user.headers, workspace, account)
    assert refused.status_code == 422, refused.text


def test_dashboard_totals_in_the_base_currency_use_each_transaction_date_s_rate(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="EUR")
    euros = api.account(user, workspace)
    dollars = api.account(user, workspace, currency="USD")
    pounds = api.account(user, workspace, currency="GBP")
    rates = f"/api/workspaces/{workspace}/exchange-rates"
    post(
        api,
        user,
        rates,
        {
            "rates": [
                {"date": "2026-03-01", "currency": "USD", "quote": "EUR", "rate": "0.90"},
                {"date": "2026-03-15", "currency": "EUR", "quote": "USD", "rate": "1.25"},
            ]
        },
    )
    api.record(user, workspace, dollars, date="2026-03-10", amount="-10.00", currency="USD")
    api.record(user, workspace, dollars, date="2026-03-20", amount="-10.00", currency="USD")
    api.record(user, workspace, dollars, date="2026-03-16", amount="100.00", currency="USD")
    api.record(user, workspace, euros, date="2026-03-12", amount="-5.55")
    last = api.record(user, workspace, pounds, date="2026-03-12", amount="-1.00", currency="GBP")
    path = f"/api/workspaces/{workspace}/dashboard"
    base = api.read(user, path, last["position"], month="2026-03")["base_totals"]
    # 10 * 0.90 + 10 / 1.25 + 5.55 = 22.55 out; 100 / 1.25 = 80.00 in; pounds have no rate.
    # (On the 20th the inverse rate of the 15th is the latest, not the direct one of the 1st.)
    assert (base["currency"], base["expenses"], base["income"], base["net"]) == (
        "EUR",
        "22.55",
        "80.00",
        "57.45",
    )
    assert [(r["currency"], r["quote"], r["rate_date"]) for r in base["rates_used"]] == [
        ("USD", "EUR", "2026-03-01"),
        ("EUR", "USD", "2026-03-15"),
    ]
    assert base["unconverted"] == ["GBP"]
    # A rate recorded later counts at once, although the rest of the dashboard is cached.
    later = post(
        api,
        user,
        rates,
        {"rates": [{"date": "2026-03-18", "currency": "USD", "quote": "EUR", "rate": "0.50"}]},
    )
    response = api.reads.get(
        path,
        params={"month": "2026-03", "min_position": later["position"]},
        headers=user.headers,
    )
    assert response.headers["x-cache"] == "hit"
    assert response.json()["base_totals"]["expenses"] == "19.55"


def test_a_money_market_statement_s_sub_cent_amounts_are_kept_and_summed_exactly(
    api: Api,
) -> None:
    """fidelity-savings.ofx: three of its four USD lines are finer than a cent (115.8331)."""
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    account = api.account(user, workspace, currency="USD")
    statement = FIXTURES / "ofx" / "fidelity-savings.ofx"
    response = api.commands.post(
        f"/api/workspaces/{workspace}/imports",
        files={"file": (statement.name, statement.read_bytes())},
        data={"account_id": account},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["imported"], report["rejected"]) == (4, [])
    written = ["-1500.00", "115.8331", "-197.1063", "-197.122"]  # -197.1220 is -197.122
    assert [t["amount"] for t in report["transactions"]] == written
    position = report["position"]

    listed = api.read(user, f"/api/workspaces/{workspace}/transactions", position, sort="date")
    assert sorted(t["amount"] for t in listed["data"]) == sorted(written)
    # -1500 + 115.8331 - 197.1063 - 197.1220: no step rounds to cents.
    [listed_account] = api.read(user, f"/api/workspaces/{workspace}/accounts", position)["data"]
    assert listed_account["balance"] == "-1778.3952"
    history = api.read(
        user,
        f"/api/workspaces/{workspace}/accounts/{account}/balance-history",
        position,
        **{"from": "2012-07-01", "to": "2012-07-31", "interval": "month"},
    )
    assert history["history"][-1]["balance"] == "-1778.3952"
    worth = api.read(
        user,
        f"/api/workspaces/{workspace}/net-worth",
        position,
        **{"from": "2012-07-01", "to": "2012-07-31", "interval": "month"},
    )
    assert worth["history"][-1]["net_worth"] == "-1778.3952"
    dashboard = api.read(user, f"/api/workspaces/{workspace}/dashboard", position, month="2012-07")
    [totals] = dashboard["totals"]
    assert (totals["income"], totals["expenses"], totals["net"]) == (
        "115.8331",
        "1894.2283",
        "-1778.3952",
    )
    assert dashboard["accounts"][0]["balance"] == "-1778.3952"
    base = dashboard["base_totals"]
    assert (base["income"], base["expenses"], base["net"]) == (
        "115.8331",
        "1894.2283",
        "-1778.3952",
    )


def test_balances_and_net_worth_count_to_today_in_the_workspaces_time_zone(api: Api) -> None:
    now = datetime.now(UTC)
    # A zone whose date differs from UTC's right now: 14 hours ahead, or 11 behind.
    zone, ahead = ("Pacific/Kiritimati", True) if now.hour >= 10 else ("Pacific/Pago_Pago", False)
    local = now.astimezone(ZoneInfo(zone)).date()
    assert local != now.date()
    user = api.user()
    workspace = api.workspace(user)
    moved = api.commands.put(
        f"/api/workspaces/{workspace}/settings",
        json={"base_currency": "EUR", "timezone": zone, "week_start": "MONDAY"},
        headers=user.headers,
    )
    assert moved.status_code == 200, moved.text
    account = api.account(user, workspace)
    # Dated the workspace's today when it is ahead of UTC, else UTC's today (its tomorrow).
    day = local if ahead else now.date()
    at = api.record(user, workspace, account, date=day.isoformat(), amount="-30.00")["position"]
    [listed] = api.read(user, f"/api/workspaces/{workspace}/accounts", at)["data"]
    assert listed["balance"] == ("-30.00" if ahead else "0.00")
    history = api.read(user, f"/api/workspaces/{workspace}/net-worth", at, interval="day")
    assert history["current"]["date"] == local.isoformat()
