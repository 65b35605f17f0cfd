"""A badge earned goes out as ``badge.earned``, a claimed challenge as ``challenge.completed``."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.engagement.catalogue import challenge_templates
from tests.api import Api
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe, verified


def test_a_badge_and_a_claimed_challenge_go_out_as_webhooks(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    subscription = subscribe(
        api, user, workspace, receiver.url("/engagement"), "badge.earned", "challenge.completed"
    )
    api.record(user, workspace, account)
    template = next(t for t in challenge_templates() if t.slug == "read_a_money_book")
    base = f"/api/workspaces/{workspace}/challenges"
    challenge = api.commands.post(
        base,
        json={"template_id": str(template.id), "month": datetime.now(UTC).strftime("%Y-%m")},
        headers=user.headers,
    ).json()
    api.commands.post(
        f"{base}/{challenge['id']}/progress", json={"current_progress": 1}, headers=user.headers
    )
    claimed = api.commands.post(f"{base}/{challenge['id']}/claim", headers=user.headers)
    assert claimed.status_code == 200, claimed.text
    received = eventually(
        lambda: got if len(got := receiver.at("/engagement")) >= 2 else [], "both webhooks"
    )
    payloads = {p["type"]: p for p in (verified(subscription["secret"], r) for r in received)}
    badge = payloads["badge.earned"]["data"]
    assert (badge["user_id"], badge["slug"], badge["points"]) == (
        user.id,
        "first_transaction",
        10,
    )
    completed = payloads["challenge.completed"]["data"]
    assert (completed["id"], completed["reward_points"]) == (challenge["id"], 40)
