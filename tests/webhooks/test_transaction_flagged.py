"""A risk flag goes out as the webhook ``transaction.flagged``, with its score and reasons."""

from __future__ import annotations

from tests.api import Api
from tests.projections.test_risk_watch import planted
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_deliveries import eventually, subscribe, verified


def test_a_flagged_transaction_goes_out_as_transaction_flagged(
    api: Api, receiver: Receiver, dispatcher: object
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    subscription = subscribe(api, user, workspace, receiver.url("/risk"), "transaction.flagged")
    _, risky, _ = planted(api, user, workspace, account)
    [received] = eventually(lambda: receiver.at("/risk"), "the flag's webhook")
    payload = verified(subscription["secret"], received)
    assert payload["type"] == "transaction.flagged"
    assert (payload["data"]["transaction_id"], payload["data"]["score"]) == (risky, 75)
    assert [r["code"] for r in payload["data"]["reasons"]] == [
        "LARGE_FOR_CATEGORY",
        "NEW_MERCHANT",
        "LATE_NIGHT",
    ]
