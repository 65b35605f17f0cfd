"""Reconciling names the account in the path: another workspace's is not found there."""

from __future__ import annotations

from tests.api import Api

STATEMENT = b"Date,Description,Amount\n2026-03-03,COFFEE,-5.75\n"


def test_reconciling_another_workspace_s_account_is_not_found(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    theirs = api.user("Mallory")
    account = api.account(theirs, api.workspace(theirs))
    response = api.commands.post(
        f"/api/workspaces/{workspace}/accounts/{account}/reconcile",
        files={"file": ("march.csv", STATEMENT)},
        headers=user.headers,
    )
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
