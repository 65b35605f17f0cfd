"""Rules' patterns over HTTP: ones that backtrack without end in Python are answered, ones the
linear-time engine cannot take are refused as bad input, and ones saved before still load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.rules import MAX_PATTERN, Rule, Rules
from tests.api import Api, User
from tests.command_api.test_members_and_roles import join
from tests.command_api.test_rules_and_learning import add_rule, categories


def preview(api: Api, user: User, workspace: str, rule: dict[str, Any], *texts: str) -> Any:
    response = api.commands.post(
        f"/api/workspaces/{workspace}/rules/preview",
        json={
            "rule": {"name": "Hostile", **rule},
            "transactions": [{"description": text, "amount": "-1.00"} for text in texts],
        },
        headers=user.headers,
    )
    return response


def test_a_viewer_previews_patterns_that_backtrack_without_end_and_gets_the_answer(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    owner = api.user()
    workspace = api.workspace(owner)
    fuel = categories(api, owner, workspace)["fuel"]
    viewer = join(api, owner, workspace, "VIEWER", mailbox)
    # The two: seconds and over a minute in Python's re, on text far shorter than this.
    for pattern, last in (("(a|a)*b", "b"), ("(a|aa)*c", "c")):
        response = preview(
            api,
            viewer,
            workspace,
            {"pattern": pattern, "category_id": fuel},
            "a" * 500,
            "a" * 499 + last,
        )
        assert response.status_code == 200, response.text
        assert [row["category_id"] for row in response.json()["data"]] == [None, fuel]


def test_a_saved_rule_with_a_pattern_that_backtracks_lets_transactions_be_recorded(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    fuel = categories(api, user, workspace)["fuel"]
    add_rule(api, user, workspace, name="Hostile", pattern="^(a|aa)*c$", category_id=fuel)
    missed = api.record(user, workspace, account, description="a" * 500)
    assert (missed["category_id"], missed["categorized_by"]) == (None, None)
    hit = api.record(user, workspace, account, description="A" * 40 + "C")
    assert (hit["category_id"], hit["categorized_by"]) == (fuel, "rule")


@pytest.mark.parametrize(
    "pattern",
    [
        r"(\w)\1",  # a backreference
        r"shell(?!fish)",  # a lookaround
        "([",
        "a" * (MAX_PATTERN + 1),
        "[^x]{1000}",  # short to write, too large to run
    ],
)
def test_a_pattern_the_engine_cannot_take_is_400_naming_the_pattern_wherever_it_is_sent(
    api: Api, pattern: str
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    fuel = categories(api, user, workspace)["fuel"]
    refused = add_rule(api, user, workspace, 400, name="x", pattern=pattern, category_id=fuel)
    assert "pattern" in refused["errors"], refused
    rule = add_rule(api, user, workspace, name="x", pattern="shell", category_id=fuel)
    changed = api.commands.patch(
        f"/api/workspaces/{workspace}/rules/{rule['id']}",
        json={"pattern": pattern},
        headers=user.headers,
    )
    assert changed.status_code == 400, changed.text
    assert "pattern" in changed.json()["errors"], changed.text
    previewed = preview(api, user, workspace, {"pattern": pattern, "category_id": fuel}, "shell")
    assert previewed.status_code == 400, previewed.text
    assert "rule.pattern" in previewed.json()["errors"], previewed.text


def test_a_rule_saved_before_with_a_pattern_the_engine_cannot_take_matches_nothing(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = categories(api, user, workspace)
    # Saved when patterns were Python's, which took backreferences: the event is kept for good.
    ledger: Ledger = api.commands.app.state.ledger
    by = Actor(UUID(user.id), "saved-before")
    rules = ledger.rules(UUID(workspace), by)
    python_only = Rule(id=uuid4(), name="Doubled", pattern=r"(o)\1", category_id=UUID(ids["fuel"]))
    rules._trigger(Rules.Added, by, rule=asdict(python_only), position=0)
    ledger.save(rules)
    add_rule(api, user, workspace, name="Food", contains="food", category_id=ids["groceries"])
    food = api.record(user, workspace, account, description="FOOD MARKET")
    assert (food["category_id"], food["categorized_by"]) == (ids["groceries"], "rule")
    # It is kept until changed; a change must give it a pattern the engine takes.
    path = f"/api/workspaces/{workspace}/rules/{python_only.id}"
    renamed = api.commands.patch(path, json={"name": "Renamed"}, headers=user.headers)
    assert renamed.status_code == 400, renamed.text
    assert "pattern" in renamed.json()["errors"], renamed.text
    fixed = api.commands.patch(path, json={"pattern": "o{2}"}, headers=user.headers)
    assert fixed.status_code == 200, fixed.text
    moor = api.record(user, workspace, account, description="MOOR FOOD")
    assert (moor["category_id"], moor["categorized_by"]) == (ids["fuel"], "rule")
