"""Notifications: each member's own; large and unusual expenses; read, read all, dismiss."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ledger.categories import system_category_id
from tests.api import Api
from tests.command_api.test_members_and_roles import invite


def test_a_member_sees_only_their_own_notifications(api: Api) -> None:
    owner = api.user()
    workspace = api.workspace(owner)
    account = api.account(owner, workspace)
    stranger = api.user("Eve")
    big = api.record(owner, workspace, account, amount="-2500.00", description="New laptop")
    mine = api.read(owner, "/api/notifications", big["position"], workspace_id=workspace)
    assert [n["kind"] for n in mine["data"]] == ["LARGE_TRANSACTION"]
    theirs = api.read(stranger, "/api/notifications", big["position"])
    assert theirs["data"] == []
    their_workspace = api.workspace(stranger)
    their_account = api.account(stranger, their_workspace)
    own = api.record(stranger, their_workspace, their_account, amount="-1800.00")
    [their_note] = api.read(stranger, "/api/notifications", own["position"])["data"]
    owner_note = mine["data"][0]["id"]
    for action in ("read", "dismiss"):
        # Another's id, alone or beside one's own, is not found and changes nothing.
        for ids in ([owner_note], [their_note["id"], owner_note]):
            refused = api.commands.post(
                f"/api/notifications/{action}",
                json={"notification_ids": ids},
                headers=stranger.headers,
            )
            assert refused.status_code == 404, (action, refused.text)
            assert "notification_ids" in refused.json()["errors"]
    read = api.commands.post(
        "/api/notifications/read",
        json={"notification_ids": [their_note["id"]]},
        headers=stranger.headers,
    )
    assert read.status_code == 200, read.text
    theirs = api.read(stranger, "/api/notifications", read.json()["position"])
    assert [n["read_at"] is not None for n in theirs["data"]] == [True]
    still = api.read(owner, "/api/notifications", read.json()["position"])
    assert [n["read_at"] for n in still["data"]] == [None]


def test_an_expense_far_above_its_category_is_unusual(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    coffee = str(system_category_id(UUID(workspace), "coffee_shops"))
    for amount in ("-4.00", "-4.50", "-3.80", "-4.20", "-4.10"):
        api.record(user, workspace, account, amount=amount, category_id=coffee)
    odd = api.record(user, workspace, account, amount="-45.00", category_id=coffee)
    shown: Any = api.read(user, "/api/notifications", odd["position"])
    assert [n["kind"] for n in shown["data"]] == ["UNUSUAL_TRANSACTION"]
    assert shown["data"][0]["data"]["transaction_id"] == odd["id"]


def test_read_all_leaves_later_ones_unread_and_a_dismissed_one_is_gone(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    for description in ("Sofa", "Fridge"):
        big = api.record(user, workspace, account, amount="-1500.00", description=description)
    shown = api.read(user, "/api/notifications", big["position"])
    assert shown["unread"] == 2
    read = api.commands.post("/api/notifications/read-all", headers=user.headers)
    assert read.status_code == 200, read.text
    later = api.record(user, workspace, account, amount="-1200.00", description="Oven")
    shown = api.read(user, "/api/notifications", later["position"])
    assert shown["unread"] == 1
    assert [n["read_at"] is None for n in shown["data"]] == [True, False, False]  # newest first
    unread = api.read(user, "/api/notifications", later["position"], unread=True)
    assert [n["data"]["transaction_id"] for n in unread["data"]] == [later["id"]]
    fridge = shown["data"][1]["id"]
    dismissed = api.commands.post(
        "/api/notifications/dismiss", json={"notification_ids": [fridge]}, headers=user.headers
    )
    assert dismissed.status_code == 200, dismissed.text
    left = api.read(user, "/api/notifications", dismissed.json()["position"])
    assert fridge not in [n["id"] for n in left["data"]]
    assert len(left["data"]) == 2
    empty = api.commands.post(
        "/api/notifications/read", json={"notification_ids": []}, headers=user.headers
    )
    assert empty.status_code == 400
    assert "notification_ids" in empty.text


def test_an_invitation_is_told_to_the_one_invited_only(api: Api) -> None:
    owner = api.user()
    workspace = api.workspace(owner)
    guest = api.user("Bea")
    invited = invite(api, owner, workspace, guest.email.upper(), "EDITOR")  # any case
    assert invited.status_code == 201, invited.text
    position = invited.json()["position"]
    [note] = api.read(guest, "/api/notifications", position)["data"]
    assert note["kind"] == "INVITATION"
    assert note["data"] == {"invitation_id": invited.json()["id"], "role": "EDITOR"}
    assert api.read(owner, "/api/notifications", position)["data"] == []
