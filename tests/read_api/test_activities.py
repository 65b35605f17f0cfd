"""The activity feed: every workspace event as a line, newest first, with current names."""

from __future__ import annotations

from tests.api import Api


def test_the_feed_names_actors_as_they_are_called_now(api: Api) -> None:
    ada = api.user("Ada")
    workspace_id = api.workspace(ada)
    account_id = api.account(ada, workspace_id)
    api.record(ada, workspace_id, account_id, amount="-5.75", description="Coffee")
    renamed = api.commands.patch("/api/auth/me", json={"name": "Ada L."}, headers=ada.headers)
    feed = api.read(
        ada,
        f"/api/workspaces/{workspace_id}/activities",
        renamed.json()["position"],
        page_size=2,
    )
    assert feed["meta"] == {"page": 1, "page_size": 2, "total": 3, "total_pages": 2}
    assert [a["text"] for a in feed["data"]] == [
        "Ada L. recorded -5.75 EUR «Coffee»",
        "Ada L. opened the CHECKING account «Checking» in EUR",
    ]
    assert feed["data"][0]["actor"] == {"id": ada.id, "name": "Ada L."}
    last = api.read(ada, f"/api/workspaces/{workspace_id}/activities", page=2, page_size=2)
    assert last["data"][0]["text"] == "Ada L. created the workspace «Home»"
    stranger = api.user("Eve")
    other = api.reads.get(f"/api/workspaces/{workspace_id}/activities", headers=stranger.headers)
    assert other.status_code == 404
