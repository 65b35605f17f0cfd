"""The dashboard: exact sums per month, category and account, and a cache that is never stale."""

from __future__ import annotations

from typing import Any

import redis

from infra.settings import Settings
from tests.api import Api


def _dashboard(api: Api, user: Any, workspace: str, position: int, month: str) -> Any:
    response = api.reads.get(
        f"/api/workspaces/{workspace}/dashboard",
        params={"month": month, "min_position": position},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return response


def test_money_sums_are_exact(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace, opening_balance="100.00")
    position = 0
    for amount in (
        "-0.10",
        "-0.20",
        "-0.10",
        "-0.20",
        "-0.10",
        "-0.20",
    ):  # 0.1 + 0.2 != 0.3 in floats
        position = api.record(user, workspace, account, amount=amount, category="snacks")[
            "position"
        ]
    position = api.record(user, workspace, account, amount="1000.01", category="income")["position"]
    body = _dashboard(api, user, workspace, position, "2026-03").json()
    assert body["totals"] == [
        {
            "currency": "EUR",
            "income": "1000.01",
            "expenses": "0.90",
            "net": "999.11",
            "transaction_count": 7,
        }
    ]
    snacks = next(row for row in body["categories"] if row["category"] == "snacks")
    assert snacks["expenses"] == "0.90"
    assert body["accounts"][0]["balance"] == "1099.11"


def test_amending_moves_the_amount_between_months_and_categories(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account, amount="-40.00", category="groceries")
    amended = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}",
        json={"date": "2026-04-02", "amount": "-45.50", "category": "eating_out"},
        headers=user.headers,
    ).json()
    march = _dashboard(api, user, workspace, amended["position"], "2026-03").json()
    april = _dashboard(api, user, workspace, amended["position"], "2026-04").json()
    assert march["totals"] == []
    assert march["categories"] == []
    assert april["totals"][0]["expenses"] == "45.50"
    assert [row["category"] for row in april["categories"]] == ["eating_out"]
    assert march["accounts"][0]["balance"] == "0.00"
    assert april["accounts"][0]["balance"] == "-45.50"


def test_deleting_takes_the_amount_out_and_restoring_puts_it_back(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    api.record(user, workspace, account, amount="-10.00")
    recorded = api.record(user, workspace, account, amount="-25.00")
    url = f"/api/workspaces/{workspace}/transactions/{recorded['id']}"
    deleted = api.commands.delete(url, headers=user.headers).json()
    assert (
        _dashboard(api, user, workspace, deleted["position"], "2026-03").json()["totals"][0][
            "expenses"
        ]
        == "10.00"
    )
    restored = api.commands.post(f"{url}/restore", headers=user.headers).json()
    totals = _dashboard(api, user, workspace, restored["position"], "2026-03").json()["totals"][0]
    assert (totals["expenses"], totals["transaction_count"]) == ("35.00", 2)


def test_currencies_are_totalled_apart(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    euros = api.account(user, workspace, currency="EUR")
    yen = api.account(user, workspace, currency="JPY")
    api.record(user, workspace, euros, amount="-12.00")
    position = api.record(user, workspace, yen, amount="-1500", currency="JPY")["position"]
    totals = _dashboard(api, user, workspace, position, "2026-03").json()["totals"]
    assert {(row["currency"], row["expenses"]) for row in totals} == {
        ("EUR", "12.00"),
        ("JPY", "1500"),
    }


def test_the_cache_serves_repeats_and_never_a_stale_dashboard(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    first = api.record(user, workspace, account, amount="-10.00")
    miss = _dashboard(api, user, workspace, first["position"], "2026-03")
    hit = _dashboard(api, user, workspace, first["position"], "2026-03")
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
    assert hit.json() == miss.json()
    second = api.record(user, workspace, account, amount="-5.00")
    fresh = _dashboard(api, user, workspace, second["position"], "2026-03")
    assert fresh.headers["x-cache"] == "miss"
    assert fresh.json()["totals"][0]["expenses"] == "15.00"


def test_the_dashboard_answers_from_postgres_when_redis_is_unreachable(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    recorded = api.record(user, workspace, api.account(user, workspace), amount="-9.99")
    cache = api.reads.app.state.cache
    api.reads.app.state.cache = redis.asyncio.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2
    )
    try:
        response = _dashboard(api, user, workspace, recorded["position"], "2026-03")
    finally:
        api.reads.app.state.cache = cache
    assert response.json()["totals"][0]["expenses"] == "9.99"


def test_a_month_must_be_yyyy_mm(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    for month in ("2026-13", "March", "2026-3", "0000-01", "٢٠٢٦-03"):
        response = api.reads.get(
            f"/api/workspaces/{workspace}/dashboard", params={"month": month}, headers=user.headers
        )
        assert response.status_code == 400, month


def test_a_renamed_category_shows_its_new_name_on_a_cached_dashboard(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account, category="Snacks")
    _dashboard(api, user, workspace, recorded["position"], "2026-03")  # fills the cache
    renamed = api.commands.patch(
        f"/api/workspaces/{workspace}/categories/{recorded['category_id']}",
        json={"name": "Treats"},
        headers=user.headers,
    )
    assert renamed.status_code == 200, renamed.text
    response = _dashboard(api, user, workspace, renamed.json()["position"], "2026-03")
    assert response.headers["X-Cache"] == "hit"  # no dashboard number changed
    assert [row["category"] for row in response.json()["categories"]] == ["Treats"]


def test_a_renamed_account_shows_its_new_name_on_the_dashboard(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account)
    _dashboard(api, user, workspace, recorded["position"], "2026-03")  # fills the cache
    renamed = api.commands.patch(
        f"/api/workspaces/{workspace}/accounts/{account}",
        json={"name": "Joint checking"},
        headers=user.headers,
    )
    assert renamed.status_code == 200, renamed.text
    body = _dashboard(api, user, workspace, renamed.json()["position"], "2026-03").json()
    assert [row["name"] for row in body["accounts"]] == ["Joint checking"]
