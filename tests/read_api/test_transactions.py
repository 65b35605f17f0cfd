"""Reading transactions back: read-your-writes, filters, paging, history, and who may read."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.api import Api, User


def _books(api: Api) -> tuple[User, str, str]:
    user = api.user()
    workspace = api.workspace(user)
    return user, workspace, api.account(user, workspace)


def test_a_read_with_the_commands_position_sees_the_write(api: Api) -> None:
    user, workspace, account = _books(api)
    recorded = api.record(user, workspace, account, description="Bakery")
    response = api.reads.get(
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}",
        headers={**user.headers, "X-Min-Position": str(recorded["position"])},
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Bakery"
    assert int(response.headers["x-projection-position"]) >= recorded["position"]


def test_a_position_the_projection_never_reaches_is_503_with_retry_after(api: Api) -> None:
    user, workspace, _ = _books(api)
    response = api.reads.get(
        f"/api/workspaces/{workspace}/transactions",
        params={"min_position": 10**12},
        headers=user.headers,
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("min_position=soon", {}),
        ("min%5Fposition=soon", {}),  # the name escaped: the read API must still see it
        ("page_size=20", {"X-Min-Position": "soon"}),
    ],
)
def test_a_malformed_min_position_is_a_bad_request(
    api: Api, query: str, headers: dict[str, str]
) -> None:
    user, workspace, _ = _books(api)
    response = api.reads.get(
        f"/api/workspaces/{workspace}/transactions?{query}", headers={**user.headers, **headers}
    )
    assert response.status_code == 400, response.text
    assert "min_position" in response.json()["detail"]


def test_filters_narrow_the_list(api: Api) -> None:
    user, workspace, account = _books(api)
    rows = [
        {"description": "Salary", "amount": "3200.00", "category": "income", "date": "2026-03-01"},
        {
            "description": "Rent",
            "amount": "-1150.00",
            "category": "housing",
            "date": "2026-03-03",
            "tags": ["fixed"],
        },
        {
            "description": "Groceries",
            "merchant": "REWE",
            "amount": "-82.40",
            "category": "groceries",
            "date": "2026-03-07",
            "tags": ["weekly", "food"],
        },
        {
            "description": "Coffee 100% arabica",
            "amount": "-3.20",
            "category": "food_and_drink",
            "date": "2026-04-02",
            "tags": ["food"],
        },
    ]
    position = max(api.record(user, workspace, account, **row)["position"] for row in rows)
    path = f"/api/workspaces/{workspace}/transactions"

    def descriptions(**params: Any) -> list[str]:
        page = api.read(user, path, position, **params)
        return [row["description"] for row in page["data"]]

    assert descriptions(q="rewe") == ["Groceries"]
    assert descriptions(q="100%") == ["Coffee 100% arabica"]
    assert descriptions(q="%") == ["Coffee 100% arabica"]  # a literal %, not a wildcard
    assert sorted(descriptions(type="income")) == ["Salary"]
    assert len(descriptions(type="expense")) == 3
    assert descriptions(category="housing") == ["Rent"]
    assert sorted(descriptions(tags="food")) == ["Coffee 100% arabica", "Groceries"]
    assert descriptions(tags="food,weekly") == ["Groceries"]
    assert sorted(descriptions(min_amount="100")) == ["Rent", "Salary"]
    assert descriptions(max_amount="5") == ["Coffee 100% arabica"]
    assert descriptions(**{"from": "2026-04-01"}) == ["Coffee 100% arabica"]
    assert descriptions(to="2026-03-02") == ["Salary"]
    assert descriptions(sort="amount")[0] == "Rent"
    assert descriptions(sort="-date")[0] == "Coffee 100% arabica"


def test_pages_say_how_many_there_are(api: Api) -> None:
    user, workspace, account = _books(api)
    position = 0
    for day in range(1, 6):
        position = api.record(user, workspace, account, date=f"2026-05-0{day}")["position"]
    page = api.read(
        user, f"/api/workspaces/{workspace}/transactions", position, page=2, page_size=2
    )
    assert page["meta"] == {"page": 2, "page_size": 2, "total": 5, "total_pages": 3}
    assert [row["date"] for row in page["data"]] == ["2026-05-03", "2026-05-02"]


def test_bad_query_parameters_are_bad_requests(api: Api) -> None:
    user, workspace, account = _books(api)
    position = api.record(user, workspace, account)["position"]  # membership is projected
    path = f"/api/workspaces/{workspace}/transactions"
    for params in (
        {"page_size": 101},
        {"page": 0},
        {"page": 10**19},
        {"min_position": 10**30},
        {"min_position": "²"},
        {"sort": "color"},
        {"min_amount": "lots"},
        {"from": "2026-13-01"},
        {"type": "gift"},
    ):
        response = api.reads.get(
            path, params={"min_position": position, **params}, headers=user.headers
        )
        assert response.status_code == 400, params
        assert response.json()["status"] == 400


def test_deleted_transactions_leave_the_list_but_stay_readable(api: Api) -> None:
    user, workspace, account = _books(api)
    recorded = api.record(user, workspace, account, description="Refundable")
    deleted = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}", headers=user.headers
    ).json()
    page = api.read(user, f"/api/workspaces/{workspace}/transactions", deleted["position"])
    assert page["data"] == []
    one = api.read(
        user, f"/api/workspaces/{workspace}/transactions/{recorded['id']}", deleted["position"]
    )
    assert one["deleted"] is True
    assert one["version"] == 2


def test_history_lists_every_event_of_the_transaction_in_order(api: Api) -> None:
    user, workspace, account = _books(api)
    recorded = api.record(user, workspace, account)
    url = f"/api/workspaces/{workspace}/transactions/{recorded['id']}"
    api.commands.patch(url, json={"amount": "-7.00"}, headers=user.headers)
    api.commands.delete(url, headers=user.headers)
    restored = api.commands.post(f"{url}/restore", headers=user.headers).json()
    history = api.read(user, f"{url}/history", restored["position"])["data"]
    assert [entry["type"] for entry in history] == [
        "TransactionRecorded",
        "TransactionAmended",
        "TransactionDeleted",
        "TransactionRestored",
    ]
    assert [entry["version"] for entry in history] == [1, 2, 3, 4]
    assert history[1]["payload"]["amount"] == "-7.00"
    assert all(entry["actor_id"] == user.id for entry in history)


def test_non_members_get_404_and_strangers_without_tokens_401(api: Api) -> None:
    user, workspace, account = _books(api)
    recorded = api.record(user, workspace, account)
    stranger = api.user("Mallory")
    for path in (
        f"/api/workspaces/{workspace}/transactions",
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}",
        f"/api/workspaces/{workspace}/transactions/{recorded['id']}/history",
        f"/api/workspaces/{workspace}/dashboard",
        f"/api/workspaces/{workspace}/audit",
    ):
        response = api.reads.get(
            path, params={"min_position": recorded["position"]}, headers=stranger.headers
        )
        assert response.status_code == 404, path
        assert api.reads.get(path).status_code == 401, path


def test_a_transaction_is_not_found_through_another_of_my_workspaces(api: Api) -> None:
    user, workspace, account = _books(api)
    recorded = api.record(user, workspace, account)
    other = api.workspace(user)
    response = api.reads.get(
        f"/api/workspaces/{other}/transactions/{recorded['id']}",
        params={"min_position": recorded["position"]},
        headers=user.headers,
    )
    assert response.status_code == 404
    missing = api.reads.get(
        f"/api/workspaces/{workspace}/transactions/{uuid4()}", headers=user.headers
    )
    assert missing.status_code == 404


def test_the_list_and_a_transaction_answer_its_time_of_day_as_amended(api: Api) -> None:
    user, workspace, account = _books(api)
    late = api.record(user, workspace, account, description="Kebab", time="23:40")
    rent = api.record(user, workspace, account, description="Rent")
    url = f"/api/workspaces/{workspace}/transactions"
    listed = api.read(user, url, rent["position"], sort="description")
    assert [(t["description"], t["time"]) for t in listed["data"]] == [
        ("Kebab", "23:40:00"),
        ("Rent", None),
    ]
    amended = api.commands.patch(
        f"{url}/{late['id']}", json={"time": "01:15:30"}, headers=user.headers
    ).json()
    assert api.read(user, f"{url}/{late['id']}", amended["position"])["time"] == "01:15:30"
    cleared = api.commands.patch(
        f"{url}/{late['id']}", json={"time": None}, headers=user.headers
    ).json()
    assert api.read(user, f"{url}/{late['id']}", cleared["position"])["time"] is None
