"""Reconciliation: a statement's lines matched to the transactions recorded by hand."""

from __future__ import annotations

from typing import Any

from tests.api import Api, User

STATEMENT = b"""Date,Description,Amount
2026-03-03,STARBUCKS #1234 SEATTLE,-5.75
2026-03-03,TESCO STORES 3297,-42.10
2026-03-06,AMZN Mktp US*2K3,-19.99
2026-03-11,HARDWARE STORE,-31.50
2026-03-20,NETFLIX.COM,-15.99
"""


def reconcile(api: Api, user: User, workspace: str, account: str, **form: Any) -> Any:
    response = api.commands.post(
        f"/api/workspaces/{workspace}/accounts/{account}/reconcile",
        files={"file": ("march.csv", STATEMENT)},
        data=form,
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_sure_matches_are_reconciled_and_the_rest_listed_for_review(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = {}
    for name, day, amount in (
        ("coffee", "2026-03-02", "-5.75"),
        ("groceries", "2026-03-03", "-42.10"),
        ("amazon 1", "2026-03-05", "-19.99"),
        ("amazon 2", "2026-03-05", "-19.99"),
        ("hardware", "2026-03-10", "-30.00"),
        ("far away", "2026-02-01", "-5.75"),
    ):
        ids[name] = api.record(
            user, workspace, account, description=name.title(), date=day, amount=amount
        )["id"]

    dry = reconcile(api, user, workspace, account, dry_run="true")
    assert (dry["auto_matched"], dry["needs_review"], dry["unmatched"]) == (2, 2, 1)
    assert (dry["position"], dry["reconciliation_rate"], dry["candidates"]) == (0, "40.0", 5)

    report = reconcile(api, user, workspace, account)
    matched = {m["statement"]["line"]: m["match"] for m in report["matched"]}
    assert matched[2]["transaction_id"] == ids["coffee"]
    assert (matched[2]["days_apart"], matched[2]["amount_difference"]) == (1, "0.00")
    assert matched[3]["transaction_id"] == ids["groceries"]
    review = {r["statement"]["line"]: r["choices"] for r in report["review"]}
    assert {c["transaction_id"] for c in review[4]} == {ids["amazon 1"], ids["amazon 2"]}
    assert [(c["transaction_id"], c["amount_difference"]) for c in review[5]] == [
        (ids["hardware"], "1.50")
    ]
    assert [line["description"] for line in report["unmatched_lines"]] == ["NETFLIX.COM"]

    reconciled = api.read(
        user,
        f"/api/workspaces/{workspace}/transactions",
        report["position"],
        reconciled="true",
    )
    assert {t["id"] for t in reconciled["data"]} == {ids["coffee"], ids["groceries"]}

    # A person confirms the hardware store; a second run no longer offers what is reconciled.
    confirmed = api.commands.post(
        f"/api/workspaces/{workspace}/transactions/{ids['hardware']}/reconcile",
        headers=user.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["reconciled"] is True
    again = reconcile(api, user, workspace, account)
    assert (again["auto_matched"], again["needs_review"], again["unmatched"]) == (0, 1, 4)


def test_a_tolerance_of_zero_matches_only_equal_amounts_and_bad_settings_are_400(
    api: Api,
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    api.record(user, workspace, account, description="Hardware", date="2026-03-10", amount="-30")
    strict = reconcile(api, user, workspace, account, tolerance="0", dry_run="true")
    assert (strict["needs_review"], strict["unmatched"]) == (0, 5)
    for form, field in (({"tolerance": "-1"}, "tolerance"), ({"window_days": "90"}, "window_days")):
        response = api.commands.post(
            f"/api/workspaces/{workspace}/accounts/{account}/reconcile",
            files={"file": ("march.csv", STATEMENT)},
            data=form,
            headers=user.headers,
        )
        assert response.status_code == 400, response.text
        assert field in response.json()["errors"]
