"""Creating workspaces and opening accounts, and the input each refuses."""

from __future__ import annotations

from tests.api import Api


def test_creating_a_workspace_makes_its_creator_admin(api: Api) -> None:
    user = api.user()
    response = api.commands.post(
        "/api/workspaces", json={"name": "Flat 3B", "base_currency": "GBP"}, headers=user.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["base_currency"], body["role"], body["version"]) == (
        "Flat 3B",
        "GBP",
        "ADMIN",
        1,
    )


def test_a_workspace_needs_a_name_and_an_iso_currency(api: Api) -> None:
    user = api.user()
    for body, field in (
        ({"name": "  ", "base_currency": "EUR"}, "name"),
        ({"name": "Home", "base_currency": "eur"}, "base_currency"),
        ({"name": "Home"}, "base_currency"),
    ):
        response = api.commands.post("/api/workspaces", json=body, headers=user.headers)
        assert response.status_code == 400, body
        assert field in response.json()["errors"], body
    unknown = api.commands.post(
        "/api/workspaces", json={"name": "Home", "base_currency": "ABC"}, headers=user.headers
    )
    assert unknown.status_code == 422
    assert "base_currency" in unknown.json()["errors"]


def test_opening_an_account_returns_it_with_its_opening_balance(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    response = api.commands.post(
        f"/api/workspaces/{workspace}/accounts",
        json={
            "name": "Visa",
            "type": "CREDIT_CARD",
            "currency": "EUR",
            "opening_balance": "-250.40",
        },
        headers=user.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["type"], body["opening_balance"], body["workspace_id"]) == (
        "CREDIT_CARD",
        "-250.40",
        workspace,
    )


def test_an_account_needs_a_known_type_and_an_amount_its_currency_can_hold(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    url = f"/api/workspaces/{workspace}/accounts"
    bad_type = api.commands.post(
        url, json={"name": "Jar", "type": "PIGGY_BANK", "currency": "EUR"}, headers=user.headers
    )
    assert bad_type.status_code == 400
    assert "type" in bad_type.json()["errors"]
    yen_cents = api.commands.post(
        url,
        json={"name": "Yen", "type": "CASH", "currency": "JPY", "opening_balance": "10.50"},
        headers=user.headers,
    )
    assert yen_cents.status_code == 422
    assert "opening_balance" in yen_cents.json()["errors"]
