"""What every request passes first: JSON that parses, text without control characters, dates in
range, the right content type, and every bad field named at once."""

from __future__ import annotations

import pytest

from domain import base
from infra import edge
from tests.api import Api, User


@pytest.fixture
def owner(api: Api) -> tuple[User, str]:
    user = api.user()
    return user, api.workspace(user)


@pytest.mark.parametrize("name", ["x\u0000y", "tab\there", "bell\u0007", "del\u007f", "c1\u0085"])
def test_a_category_name_with_a_control_character_is_refused_naming_the_field(
    api: Api, owner: tuple[User, str], name: str
) -> None:
    user, workspace_id = owner
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/categories", json={"name": name}, headers=user.headers
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert list(answer.json()["errors"]) == ["name"]
    fine = api.commands.post(
        f"/api/workspaces/{workspace_id}/categories", json={"name": "Pets"}, headers=user.headers
    )
    audit = api.read(user, f"/api/workspaces/{workspace_id}/audit", fine.json()["position"])
    added = [
        event["payload"]["name"] for event in audit["data"] if event["type"] == "CategoriesAdded"
    ]
    assert added == ["Pets"]


def test_control_characters_are_found_at_any_depth_and_named_by_path(
    api: Api, owner: tuple[User, str]
) -> None:
    user, workspace_id = owner
    account_id = api.account(user, workspace_id)
    transaction = api.record(user, workspace_id, account_id, amount="-10.00")
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/transactions/{transaction['id']}/split",
        json={"splits": [{"amount": "-10.00", "notes": "ok\nline two"}, {"notes": "a\u0000"}]},
        headers=user.headers,
    )
    assert answer.status_code == 400, answer.text
    assert list(answer.json()["errors"]) == ["splits[1].notes"]


def test_notes_may_hold_newlines_and_tabs_but_a_description_may_not(
    api: Api, owner: tuple[User, str]
) -> None:
    user, workspace_id = owner
    account_id = api.account(user, workspace_id)
    api.record(user, workspace_id, account_id, notes="first line\n\tsecond line")
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/transactions",
        json={
            "account_id": account_id,
            "date": "2026-03-14",
            "amount": "-1.00",
            "currency": "EUR",
            "description": "two\nlines",
        },
        headers=user.headers,
    )
    assert answer.status_code == 400, answer.text
    assert list(answer.json()["errors"]) == ["description"]


def test_a_query_parameter_with_a_nul_is_a_400_naming_it(api: Api, owner: tuple[User, str]) -> None:
    user, workspace_id = owner
    answer = api.reads.get(
        f"/api/workspaces/{workspace_id}/transactions?q=%00", headers=user.headers
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"] == {"q": ["must not contain NUL or other control characters"]}


def test_every_bad_field_is_named_not_only_the_first(api: Api, owner: tuple[User, str]) -> None:
    user, workspace_id = owner
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/transactions",
        json={
            "account_id": "not-a-uuid",
            "date": "14/03/2026",
            "amount": "a lot",
            "currency": 5,
            "colour": "red",
        },
        headers=user.headers,
    )
    assert answer.status_code == 400, answer.text
    errors = answer.json()["errors"]
    assert {"account_id", "date", "amount", "currency", "colour"} <= set(errors), errors


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": "\xff\xfe"}',
        b'{"name": "\\ud800"}',
        b'{"name": ',
    ],
    ids=["deep", "invalid-utf8", "lone-surrogate", "truncated"],
)
def test_a_body_that_is_not_json_is_a_400(api: Api, owner: tuple[User, str], body: bytes) -> None:
    user, workspace_id = owner
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/categories",
        content=body,
        headers={**user.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == 400


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_json_route_refuses_other_content_types_with_415(
    api: Api, owner: tuple[User, str], content_type: str | None
) -> None:
    user, workspace_id = owner
    headers = dict(user.headers)
    if content_type:
        headers["content-type"] = content_type
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/categories", content=b'{"name": "Pets"}', headers=headers
    )
    assert answer.status_code == 415, answer.text


def test_a_json_body_over_the_limit_is_a_413(api: Api, owner: tuple[User, str]) -> None:
    user, workspace_id = owner
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/categories",
        content=b'{"name": "' + b"a" * 2_000_000 + b'"}',
        headers={**user.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 413, answer.text


@pytest.mark.parametrize(
    "query", ["from=0001-01-01&to=9999-12-31", "from=1899-12-31", "to=2201-01-01"]
)
def test_dates_outside_1900_to_2200_are_a_400_on_reads(
    api: Api, owner: tuple[User, str], query: str
) -> None:
    user, workspace_id = owner
    account_id = api.account(user, workspace_id)
    for path in (
        f"/api/workspaces/{workspace_id}/net-worth",
        f"/api/workspaces/{workspace_id}/accounts/{account_id}/balance-history",
    ):
        answer = api.reads.get(f"{path}?{query}", headers=user.headers)
        assert answer.status_code == 400, (path, answer.text)


def test_a_transaction_dated_outside_1900_to_2200_is_a_400(
    api: Api, owner: tuple[User, str]
) -> None:
    user, workspace_id = owner
    account_id = api.account(user, workspace_id)
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/transactions",
        json={
            "account_id": account_id,
            "date": "9999-12-31",
            "amount": "-1.00",
            "currency": "EUR",
            "description": "far",
        },
        headers=user.headers,
    )
    assert answer.status_code == 400, answer.text
    assert list(answer.json()["errors"]) == ["date"]


def test_a_budget_for_the_year_9999_is_a_400_and_reading_budgets_then_is_a_400(
    api: Api, owner: tuple[User, str]
) -> None:
    user, workspace_id = owner
    answer = api.commands.post(
        f"/api/workspaces/{workspace_id}/budgets",
        json={"name": "Far", "amount": "100.00", "period": "9999-12"},
        headers=user.headers,
    )
    assert answer.status_code == 400, answer.text
    assert "period" in answer.json()["errors"]
    read = api.reads.get(
        f"/api/workspaces/{workspace_id}/budgets?date=9999-12-31", headers=user.headers
    )
    assert read.status_code == 400, read.text


def test_the_edge_and_the_domain_support_the_same_years() -> None:
    assert edge.SUPPORTED_YEARS == base.SUPPORTED_YEARS


@pytest.mark.parametrize(
    ("route", "size"),
    [
        ("imports", 11_000_000),
        ("attachments", 6_000_000),
        ("reconcile", 11_000_000),
        ("rates", 11_000_000),
    ],
)
def test_a_multipart_body_over_the_limit_is_a_413(
    api: Api, owner: tuple[User, str], route: str, size: int
) -> None:
    user, workspace_id = owner
    account_id = api.account(user, workspace_id)
    transaction_id = api.record(user, workspace_id, account_id)["id"]
    path = {
        "imports": f"/api/workspaces/{workspace_id}/imports",
        "attachments": f"/api/workspaces/{workspace_id}/transactions/{transaction_id}/attachments",
        "reconcile": f"/api/workspaces/{workspace_id}/accounts/{account_id}/reconcile",
        "rates": f"/api/workspaces/{workspace_id}/exchange-rates/csv",
    }[route]
    answer = api.commands.post(
        path,
        files={"file": ("big.csv", b"date,amount,description\n" + b"x" * size)},
        data={"account_id": account_id},
        headers=user.headers,
    )
    assert answer.status_code == 413, answer.text


def test_an_options_request_with_a_date_query_is_answered(
    api: Api, owner: tuple[User, str]
) -> None:
    user, workspace_id = owner
    for path in ("dashboard?month=2026-03", "budgets?date=2026-03-01", "net-worth?from=2026-01-01"):
        answer = api.reads.options(f"/api/workspaces/{workspace_id}/{path}", headers=user.headers)
        assert answer.status_code < 500, (path, answer.text)
