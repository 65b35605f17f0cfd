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


def test_only_the_types_subscribed_to_come_and_an_invitation_keeps_its_token_hash(
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
