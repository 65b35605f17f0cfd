"""Webhooks: each event once per subscription, signed so that the official Standard Webhooks
verifier accepts it; retries keep the webhook-id; 410 disables; a dead subscriber blocks no one."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from domain.ledger.categories import system_category_id
from tests.api import Api, User
from tests.webhooks.receiver import Answer, Receiver


def eventually(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def subscribe(api: Api, user: User, workspace: str, url: str, *types: str) -> dict[str, Any]:
    response = api.commands.post(
        f"/api/workspaces/{workspace}/webhooks",
        json={"url": url, "event_types": list(types)},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    subscription: dict[str, Any] = response.json()
    # Deliveries go to subscriptions the dispatcher has seen: wait until it can.
    api.read(user, f"/api/workspaces/{workspace}/webhooks", subscription["position"])
    return subscription


def verified(secret: str, received: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in received.headers.items()}
    payload: dict[str, Any] = Webhook(secret).verify(received.body, headers)
    return payload


def test_crossing_a_budget_sends_one_signed_webhook_per_crossing(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    subscription = subscribe(
        api,
        user,
        workspace,
        receiver.url("/budgets"),
        "budget.threshold_reached",
        "budget.exceeded",
    )
    assert subscription["secret"].startswith("whsec_")
    budget = api.commands.post(
        f"/api/workspaces/{workspace}/budgets",
        json={
            "name": "Food",
            "amount": "100.00",
            "period": "2026-03",
            "category_ids": [groceries],
            "thresholds": [80],
        },
        headers=user.headers,
    )
    assert budget.status_code == 201, budget.text
    for amount in ("-70.00", "-15.00", "-20.00"):
        api.record(user, workspace, account, amount=amount, category_id=groceries)
    eventually(lambda: len(receiver.at("/budgets")) >= 2, "two webhooks")
    time.sleep(1.5)  # nothing more may come
    received = receiver.at("/budgets")
    # In the log's order: senders work side by side, so arrivals may swap.
    payloads = sorted(
        (verified(subscription["secret"], r) for r in received), key=lambda p: p["data"]["position"]
    )
    assert [p["type"] for p in payloads] == ["budget.threshold_reached", "budget.exceeded"]
    assert payloads[0]["data"]["threshold"] == 80
    assert payloads[1]["data"]["spent"] == "105.00"
    assert payloads[1]["data"]["id"] == budget.json()["id"]
    assert len({r.headers["webhook-id"] for r in received}) == 2
    # A wrong secret does not verify.
    other = "whsec_" + "A" * 43 + "="
    with pytest.raises(WebhookVerificationError):
        verified(other, received[0])


def test_a_receiver_failing_three_times_gets_the_same_webhook_id_each_time(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    receiver.answers["/flaky"] = [Answer(500), Answer(503), Answer(500)]
    subscription = subscribe(api, user, workspace, receiver.url("/flaky"), "transaction.created")
    recorded = api.record(user, workspace, account)
    eventually(lambda: len(receiver.at("/flaky")) >= 4, "four attempts")
    attempts = receiver.at("/flaky")
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    assert all(
        verified(subscription["secret"], a)["data"]["id"] == recorded["id"] for a in attempts
    )
    log = eventually(
        lambda: [
            d
            for d in api.read(
                user, f"/api/workspaces/{workspace}/webhooks/{subscription['id']}/deliveries"
            )["data"]
            if d["status"] == "DELIVERED"
        ],
        "the delivery log",
    )
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 503, 500, 200]
    assert log[0]["webhook_id"] == attempts[0].headers["webhook-id"]


def test_410_gone_disables_the_subscription(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    receiver.answers["/gone"] = [Answer(410)]
    subscription = subscribe(api, user, workspace, receiver.url("/gone"), "transaction.created")
    api.record(user, workspace, account)
    path = f"/api/workspaces/{workspace}/webhooks/{subscription['id']}"
    shown = eventually(
        lambda: (s := api.read(user, path)) and not s["enabled"] and s, "the subscription disabled"
    )
    assert "410" in shown["disabled_reason"]
    api.record(user, workspace, account)
    time.sleep(1)
    assert len(receiver.at("/gone")) == 1


def test_a_dead_subscriber_does_not_hold_up_another_and_retry_after_is_honoured(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    receiver.answers["/slow"] = [Answer(429, {"Retry-After": "2"})]
    subscribe(api, user, workspace, "http://127.0.0.1:9/dead", "transaction.created")
    subscribe(api, user, workspace, receiver.url("/slow"), "transaction.created")
    for _ in range(3):
        api.record(user, workspace, account)
    eventually(lambda: len(receiver.at("/slow")) >= 4, "the live subscriber's deliveries")
    attempts = receiver.at("/slow")
    retried = [a for a in attempts if a.headers["webhook-id"] == attempts[0].headers["webhook-id"]]
    assert len(retried) == 2
    assert retried[1].at - retried[0].at >= 1.9  # Retry-After: 2, over the 0.2 s schedule


def test_redeliver_and_replay_send_the_same_ids_again(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    subscription = subscribe(api, user, workspace, receiver.url("/again"), "transaction.created")
    first = api.record(user, workspace, account, description="One")
    api.record(user, workspace, account, description="Two")
    eventually(lambda: len(receiver.at("/again")) >= 2, "two deliveries")
    base = f"/api/workspaces/{workspace}/webhooks/{subscription['id']}"
    deliveries = eventually(
        lambda: [d for d in api.read(user, f"{base}/deliveries")["data"] if d["delivered_at"]],
        "delivered",
    )
    oldest = deliveries[-1]
    redelivered = api.commands.post(
        f"{base}/deliveries/{oldest['id']}/redeliver", headers=user.headers
    )
    assert redelivered.status_code == 202, redelivered.text
    eventually(lambda: len(receiver.at("/again")) >= 3, "the redelivery")
    assert receiver.at("/again")[2].headers["webhook-id"] == oldest["webhook_id"]
    replayed = api.commands.post(f"{base}/replay", json={"from_position": 0}, headers=user.headers)
    assert replayed.status_code == 202, replayed.text
    eventually(lambda: len(receiver.at("/again")) >= 5, "the replay")
    time.sleep(1)
    ids = [r.headers["webhook-id"] for r in receiver.at("/again")]
    assert len(ids) == 5
    assert set(ids) == {d["webhook_id"] for d in deliveries}  # no new ids, none missing
    bodies = [json.loads(r.body) for r in receiver.at("/again")[3:]]
    assert first["id"] in {b["data"]["id"] for b in bodies}
