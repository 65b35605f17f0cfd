"""A subscription's life: its event types filter, a rotated secret signs from then on, disabled
it gets nothing and enabled it resumes with new events; an invitation goes out without its
token's hash."""

from __future__ import annotations

import time
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.api import Api, User
from tests.command_api.test_members_and_roles import invite
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe, verified


def change(
    api: Api, user: User, workspace: str, subscription_id: str, path: str = "", **body: Any
) -> dict[str, Any]:
    url = f"/api/workspaces/{workspace}/webhooks/{subscription_id}{path}"
    response = (
        api.commands.patch(url, json=body, headers=user.headers)
        if body
        else api.commands.post(url, headers=user.headers)
    )
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    # The dispatcher goes by the subscriptions it has seen: wait until it has seen this.
    api.read(user, f"/api/workspaces/{workspace}/webhooks", changed["position"])
    return changed


def test_a_rotated_secret_signs_from_then_on_and_a_disabled_subscription_gets_nothing(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    subscription = subscribe(api, user, workspace, receiver.url("/life"), "transaction.created")
    api.record(user, workspace, account, description="Before rotating")
    eventually(lambda: receiver.at("/life"), "the first delivery")

    rotated = change(api, user, workspace, subscription["id"], "/rotate-secret")
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != subscription["secret"]
    api.record(user, workspace, account, description="After rotating")
    second = eventually(lambda: receiver.at("/life")[1:], "the second delivery")[0]
    assert verified(rotated["secret"], second)["data"]["description"] == "After rotating"
    with pytest.raises(WebhookVerificationError):
        verified(subscription["secret"], second)

    disabled = change(api, user, workspace, subscription["id"], enabled=False)
    assert disabled["enabled"] is False
    assert "secret" not in disabled  # shown on subscribing and rotating only
    api.record(user, workspace, account, description="While disabled")
    time.sleep(1.5)  # nothing may come
    assert len(receiver.at("/life")) == 2

    change(api, user, workspace, subscription["id"], enabled=True)
    api.record(user, workspace, account, description="Enabled again")
    third = eventually(lambda: receiver.at("/life")[2:], "a delivery after enabling")[0]
    assert verified(rotated["secret"], third)["data"]["description"] == "Enabled again"
    time.sleep(1)  # the event from while it was disabled never comes
    assert len(receiver.at("/life")) == 3


def test_only_the_types_subscribed_to_come_and_an_invitation_goes_without_its_hash(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    subscription = subscribe(api, user, workspace, receiver.url("/members"), "member.invited")
    api.record(user, workspace, account)
    invited = invite(api, user, workspace, "bea@example.com", "VIEWER")
    assert invited.status_code == 201, invited.text
    [received] = eventually(lambda: receiver.at("/members"), "the invitation's webhook")
    time.sleep(1)  # the transaction is not subscribed to: nothing more may come
    assert len(receiver.at("/members")) == 1
    payload = verified(subscription["secret"], received)
    assert payload["type"] == "member.invited"
    assert payload["data"]["email"] == "bea@example.com"
    assert payload["data"]["role"] == "VIEWER"
    assert payload["data"]["invitation_id"] == invited.json()["id"]
    assert "token_hash" not in payload["data"]


def test_each_account_a_change_moves_gets_its_balance_once(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    subscription = subscribe(
        api, user, workspace, receiver.url("/balances"), "account.balance_updated"
    )
    checking = api.account(user, workspace, opening_balance="100")  # said in cents below
    savings = api.account(user, workspace)  # opened at 0: nothing moved
    spent = api.record(user, workspace, checking, amount="-30.00", date="2026-11-20")
    url = f"/api/workspaces/{workspace}/transactions/{spent['id']}"
    renamed = api.commands.patch(url, json={"description": "Tea"}, headers=user.headers)
    assert renamed.status_code == 200, renamed.text  # an amendment that moves no balance
    moved = api.commands.patch(url, json={"account_id": savings}, headers=user.headers)
    assert moved.status_code == 200, moved.text
    assert api.commands.delete(url, headers=user.headers).status_code == 200

    # (cause, account, change), in the log's order: a move to another account moves both.
    expected = [
        ("AccountOpened", checking, "100.00"),
        ("TransactionRecorded", checking, "-30.00"),
        ("TransactionAmended", checking, "30.00"),
        ("TransactionAmended", savings, "-30.00"),
        ("TransactionDeleted", savings, "30.00"),
    ]
    eventually(lambda: len(receiver.at("/balances")) >= len(expected), "five balances")
    time.sleep(1)  # nothing more may come
    received = receiver.at("/balances")
    assert len({r.headers["webhook-id"] for r in received}) == len(expected)
    data = sorted(
        (verified(subscription["secret"], r)["data"] for r in received),
        key=lambda d: (d["position"], [e[1] for e in expected].index(d["account_id"])),
    )
    assert [(d["cause"], d["account_id"], d["change"]) for d in data] == expected
    assert {d["currency"] for d in data} == {"EUR"}
    # The balance is the account's when the webhook was made: after the event, and here after
    # the last event that moved it.
    assert (data[2]["balance"], data[4]["balance"]) == ("100.00", "0.00")


def test_a_balance_moved_by_sub_cent_amounts_is_sent_exactly(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user, currency="USD")
    subscription = subscribe(
        api, user, workspace, receiver.url("/exact"), "account.balance_updated"
    )
    account = api.account(user, workspace, currency="USD")
    statement = b"Date,Description,Amount\n2012-07-27,Transfer in,115.8331\n"
    response = api.commands.post(
        f"/api/workspaces/{workspace}/imports",
        files={"file": ("s.csv", statement)},
        data={"account_id": account},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    # Opened at 0 moves nothing; the import's one line moves the balance by what it says.
    [sent] = eventually(lambda: receiver.at("/exact"), "the balance")
    data = verified(subscription["secret"], sent)["data"]
    assert (data["cause"], data["change"], data["balance"]) == (
        "TransactionRecorded",
        "115.8331",
        "115.8331",
    )
