"""Auto-categorization: merchant names, ordered rules (on record, on import, in a preview),
and learning from the user's corrections."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ledger.categories import SYSTEM_CATEGORIES, system_category_id
from tests.api import Api, User


def categories(api: Api, user: User, workspace: str) -> dict[str, str]:
    """System categories' ids, which every workspace can derive."""
    return {
        slug: str(system_category_id(UUID(workspace), slug)) for slug, _, _ in SYSTEM_CATEGORIES
    }


def add_rule(api: Api, user: User, workspace: str, status: int = 201, **body: Any) -> Any:
    response = api.commands.post(
        f"/api/workspaces/{workspace}/rules", json=body, headers=user.headers
    )
    assert response.status_code == status, response.text
    return response.json()


def test_a_rule_categorizes_tags_and_names_what_is_recorded_without_a_category(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = categories(api, user, workspace)
    add_rule(
        api,
        user,
        workspace,
        name="Coffee",
        contains="starbucks",
        max_amount="20",
        category_id=ids["coffee_shops"],
        tags=["caffeine"],
    )
    coffee = api.record(user, workspace, account, description="STARBUCKS #1234 SEATTLE")
    assert coffee["merchant"] == "Starbucks"
    assert (coffee["category_id"], coffee["categorized_by"], coffee["confidence"]) == (
        ids["coffee_shops"],
        "rule",
        "1",
    )
    assert coffee["tags"] == ["caffeine"]
    # Over the amount bound: the rule does not match.
    beans = api.record(user, workspace, account, description="STARBUCKS #1234", amount="-45.00")
    assert (beans["category_id"], beans["categorized_by"]) == (None, None)
    # The user's own category is never overridden.
    chosen = api.record(
        user, workspace, account, description="STARBUCKS #9", category_id=ids["restaurants"]
    )
    assert (chosen["category_id"], chosen["categorized_by"]) == (ids["restaurants"], "user")
    listed = api.read(user, f"/api/workspaces/{workspace}/rules", chosen["position"])
    assert [(r["name"], r["order"], r["max_amount"]) for r in listed["data"]] == [
        ("Coffee", 0, "20")
    ]


def test_the_first_rule_in_order_wins_and_reordering_changes_which(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = categories(api, user, workspace)
    fuel = add_rule(api, user, workspace, name="Fuel", pattern=r"^shell\b", category_id=ids["fuel"])
    shop = add_rule(
        api, user, workspace, name="Shop", contains="shell", category_id=ids["shopping"]
    )
    assert (
        api.record(user, workspace, account, description="SHELL OIL 57444")["category_id"]
        == (ids["fuel"])
    )
    order = api.commands.put(
        f"/api/workspaces/{workspace}/rules/order",
        json={"rule_ids": [shop["id"], fuel["id"]]},
        headers=user.headers,
    )
    assert order.status_code == 200, order.text
    assert [r["name"] for r in order.json()["data"]] == ["Shop", "Fuel"]
    assert (
        api.record(user, workspace, account, description="SHELL OIL 57445")["category_id"]
        == (ids["shopping"])
    )
    listed = api.read(user, f"/api/workspaces/{workspace}/rules", order.json()["position"])
    assert [r["name"] for r in listed["data"]] == ["Shop", "Fuel"]
    removed = api.commands.delete(
        f"/api/workspaces/{workspace}/rules/{shop['id']}", headers=user.headers
    )
    assert removed.status_code == 200, removed.text
    listed = api.read(user, f"/api/workspaces/{workspace}/rules", removed.json()["position"])
    assert [(r["name"], r["order"]) for r in listed["data"]] == [("Fuel", 0)]
    wrong = api.commands.put(
        f"/api/workspaces/{workspace}/rules/order",
        json={"rule_ids": [shop["id"]]},
        headers=user.headers,
    )
    assert wrong.status_code == 422, wrong.text


def test_a_preview_shows_what_a_rule_would_do_and_saves_nothing(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    ids = categories(api, user, workspace)
    response = api.commands.post(
        f"/api/workspaces/{workspace}/rules/preview",
        json={
            "rule": {
                "name": "Streaming",
                "pattern": "netflix|spotify",
                "category_id": ids["streaming"],
                "merchant": "Streaming service",
            },
            "transactions": [
                {"description": "PAYPAL *NETFLIX.COM", "amount": "-15.99"},
                {"description": "AMZN Mktp US*2K3LA1", "amount": "-30.00"},
            ],
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    assert [(r["merchant"], r["category_id"], r["categorized_by"]) for r in rows] == [
        ("Streaming service", ids["streaming"], "rule"),
        ("Amazon", None, None),
    ]
    account = api.account(user, workspace)
    netflix = api.record(user, workspace, account, description="PAYPAL *NETFLIX.COM")
    assert (netflix["merchant"], netflix["category_id"]) == ("Netflix", None)
    listed = api.read(user, f"/api/workspaces/{workspace}/rules", netflix["position"])
    assert listed["data"] == []


def test_a_rule_that_cannot_be_kept_is_refused_with_its_field(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    ids = categories(api, user, workspace)
    for body, field in (
        ({"contains": "a"}, "category_id"),
        ({"category_id": ids["fuel"]}, "contains"),
        ({"contains": "a", "min_amount": "9", "max_amount": "1", "tags": ["t"]}, "min_amount"),
    ):
        refused = add_rule(api, user, workspace, 422, name="x", **body)
        assert field in refused["errors"], refused
    unknown = "00000000-0000-0000-0000-000000000001"
    add_rule(api, user, workspace, 404, name="x", contains="a", category_id=unknown)
    add_rule(api, user, workspace, 422, name="x", contains="a", account_id=unknown, tags=["t"])


def test_later_transactions_of_a_merchant_follow_the_users_last_choice(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = categories(api, user, workspace)
    api.record(
        user, workspace, account, description="SQ *BLUE BOTTLE 0001", category_id=ids["restaurants"]
    )
    second = api.record(user, workspace, account, description="SQ *BLUE BOTTLE 0002")
    assert second["merchant"] == "Blue Bottle"
    assert (second["category_id"], second["categorized_by"], second["confidence"]) == (
        ids["restaurants"],
        "learned",
        "0.50",
    )
    # The user corrects it: a correction, and what later ones get.
    corrected = api.commands.patch(
        f"/api/workspaces/{workspace}/transactions/{second['id']}",
        json={"category_id": ids["coffee_shops"]},
        headers=user.headers,
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["user_corrected"], corrected.json()["categorized_by"]) == (
        True,
        "user",
    )
    third = api.record(user, workspace, account, description="SQ *BLUE BOTTLE 0003")
    assert (third["category_id"], third["confidence"]) == (ids["coffee_shops"], "0.50")
    bulk = api.commands.post(
        f"/api/workspaces/{workspace}/transactions/bulk-categorize",
        json={"transaction_ids": [third["id"]], "category_id": ids["coffee_shops"]},
        headers=user.headers,
    )
    assert bulk.status_code == 200, bulk.text
    fourth = api.record(user, workspace, account, description="SQ *BLUE BOTTLE 0004")
    assert (fourth["category_id"], fourth["confidence"]) == (ids["coffee_shops"], "0.67")
    read = api.read(
        user, f"/api/workspaces/{workspace}/transactions/{second['id']}", fourth["position"]
    )
    assert (read["user_corrected"], read["merchant"]) == (True, "Blue Bottle")


def test_an_import_applies_rules_and_learning_and_names_merchants(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = categories(api, user, workspace)
    add_rule(api, user, workspace, name="Rent", contains="rent", category_id=ids["rent"])
    api.record(
        user, workspace, account, description="TESCO STORES 3297", category_id=ids["groceries"]
    )
    statement = (
        b"Date,Description,Amount\n"
        b"2026-03-01,MONTHLY RENT MARCH,-950.00\n"
        b"2026-03-02,TESCO STORES 3301 LONDON,-23.10\n"
        b"2026-03-03,WM SUPERCENTER #512,-12.00\n"
    )
    response = api.commands.post(
        f"/api/workspaces/{workspace}/imports",
        files={"file": ("march.csv", statement)},
        data={"account_id": account},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    got = [
        (t["merchant"], t["category_id"], t["categorized_by"])
        for t in response.json()["transactions"]
    ]
    assert got == [
        ("Monthly Rent March", ids["rent"], "rule"),
        ("Tesco Stores", ids["groceries"], "learned"),
        ("Walmart", None, None),
    ]
