"""Budgets and alert rules take ids of their own workspace only: any other workspace's budget or
category, in a path or a body, on a create or a change, is 404 and changes nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ledger.categories import system_category_id
from tests.api import Api, User
from tests.read_api.test_budgets import groceries_budget


def _send(api: Api, user: User, method: str, path: str, body: dict[str, Any]) -> Any:
    return api.commands.request(method, path, json=body, headers=user.headers)


def test_another_workspaces_categories_in_a_budget_are_not_found(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    other = api.workspace(api.user("Eve"))
    theirs = str(system_category_id(UUID(other), "groceries"))
    budgets = f"/api/workspaces/{workspace}/budgets"
    budget = groceries_budget(api, user, workspace)
    refused = [
        (
            "POST",
            budgets,
            {"name": "B", "amount": "10", "period": "2026", "category_ids": [theirs]},
        ),
        (
            "POST",
            budgets,
            {"name": "B", "amount": "10", "period": "2026", "category_limits": {theirs: "5"}},
        ),
        ("PATCH", f"{budgets}/{budget['id']}", {"category_ids": [theirs]}),
        ("PATCH", f"{budgets}/{budget['id']}", {"category_limits": {theirs: "5"}}),
    ]
    for method, path, body in refused:
        response = _send(api, user, method, path, body)
        assert response.status_code == 404, (method, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        field = next(iter(k for k in body if k.startswith("category_")))
        assert field in response.json()["errors"], response.text


def test_another_workspaces_categories_or_budget_in_an_alert_rule_are_not_found(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    stranger = api.user("Eve")
    other = api.workspace(stranger)
    theirs = str(system_category_id(UUID(other), "groceries"))
    their_budget = groceries_budget(api, stranger, other)
    rules = f"/api/workspaces/{workspace}/alert-rules"
    created = _send(api, user, "POST", rules, {"threshold": "50", "channels": ["IN_APP"]})
    assert created.status_code == 201, created.text
    rule = created.json()
    refused = [
        ("POST", rules, {"threshold": "50", "channels": ["IN_APP"], "category_ids": [theirs]}),
        (
            "POST",
            rules,
            {"threshold": "50", "channels": ["IN_APP"], "budget_id": their_budget["id"]},
        ),
        ("PATCH", f"{rules}/{rule['id']}", {"category_ids": [theirs]}),
        ("PATCH", f"{rules}/{rule['id']}", {"budget_id": their_budget["id"]}),
    ]
    for method, path, body in refused:
        response = _send(api, user, method, path, body)
        assert response.status_code == 404, (method, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # Nothing changed: the rule still watches every budget and every category.
    unchanged = _send(api, user, "PATCH", f"{rules}/{rule['id']}", {"threshold": "60"})
    assert unchanged.status_code == 200, unchanged.text
    assert (unchanged.json()["budget_id"], unchanged.json()["category_ids"]) == (None, [])


def test_an_alert_rule_moves_to_another_budget_of_its_workspace_and_back_to_none(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    budget = groceries_budget(api, user, workspace)
    rules = f"/api/workspaces/{workspace}/alert-rules"
    created = _send(api, user, "POST", rules, {"threshold": "50", "channels": ["IN_APP"]})
    path = f"{rules}/{created.json()['id']}"
    moved = _send(api, user, "PATCH", path, {"budget_id": budget["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["budget_id"] == budget["id"]
    back = _send(api, user, "PATCH", path, {"budget_id": None})
    assert back.status_code == 200, back.text
    assert back.json()["budget_id"] is None
