"""The risk watch: a risky new expense is flagged once (with its reasons and weights), an
ordinary one is not; members are told in the app; a review confirms or dismisses the flag,
and the read model lists flags by status with every status's total."""

from __future__ import annotations

import asyncio
from uuid import UUID

from domain.ledger.categories import system_category_id
from domain.risk.review import review_id
from infra.settings import Settings
from projections.risk_watch.projector import RiskWatch
from tests.api import Api, User
from tests.projections.processes import query, wait_until


def settled(settings: Settings, position: int) -> int:
    """The head of the log once the risk watch has handled everything up to ``position``."""
    wait_until(
        lambda: (
            query(settings, "SELECT position FROM projection_positions WHERE name = 'risk_watch'")[
                0
            ][0]
            >= position
        ),
        20,
        "the risk watch",
    )
    return int(query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])


def flags_of(settings: Settings, transaction_id: str) -> int:
    """How many TransactionFlagged the log holds for the transaction."""
    return int(
        query(
            settings,
            "SELECT count(*) FROM centsource_events WHERE originator_id = %s AND topic LIKE %s",
            review_id(UUID(transaction_id)),
            "%RiskReview.Flagged",
        )[0][0]
    )


def planted(api: Api, user: User, workspace: str, account: str) -> tuple[str, str, int]:
    """Five ordinary groceries, then an ordinary one and a large late one at a new merchant:
    the ids of the last two and the position of the last."""
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    for day, amount in zip(range(1, 6), ("40", "50", "60", "45", "55"), strict=True):
        api.record(
            user,
            workspace,
            account,
            amount=f"-{amount}.00",
            date=f"2026-03-0{day}",
            time="12:00",
            merchant="Shop",
            category_id=groceries,
        )
    ordinary = api.record(
        user,
        workspace,
        account,
        amount="-52.00",
        time="12:00",
        merchant="Shop",
        category_id=groceries,
    )
    risky = api.record(
        user,
        workspace,
        account,
        amount="-900.00",
        time="23:30",
        merchant="Nowhere Ltd",
        category_id=groceries,
        description="Night purchase",
    )
    return ordinary["id"], risky["id"], risky["position"]


def test_a_large_late_charge_at_a_new_merchant_is_flagged_once_and_an_ordinary_one_is_not(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ordinary, risky, position = planted(api, user, workspace, account)
    head = settled(settings, position)
    listed = api.read(user, f"/api/workspaces/{workspace}/insights/risk-flags", head)
    [flag] = listed["data"]
    assert (flag["transaction_id"], flag["score"], flag["status"]) == (risky, 75, "PENDING")
    assert [(r["code"], r["weight"]) for r in flag["reasons"]] == [
        ("LARGE_FOR_CATEGORY", 40),
        ("NEW_MERCHANT", 20),
        ("LATE_NIGHT", 15),
    ]
    assert (flag["amount"], flag["merchant"]) == ("-900.00", "Nowhere Ltd")
    assert listed["totals"] == {"PENDING": 1, "CONFIRMED": 0, "DISMISSED": 0}
    assert (flags_of(settings, risky), flags_of(settings, ordinary)) == (1, 0)

    # The members are told in the app.
    notes = api.read(user, "/api/notifications", head)["data"]
    [note] = [n for n in notes if n["kind"] == "RISK_FLAG"]
    assert note["data"]["transaction_id"] == risky
    assert note["data"]["score"] == 75

    # The batch handled again (a crash before its position committed, a restart) records
    # nothing more.
    async def again() -> None:
        watch = RiskWatch(settings)
        await watch.before_batch()
        watch.new.extend([UUID(ordinary), UUID(risky)])
        watch.until = position
        try:
            await watch.after_batch()
        finally:
            await watch.close()

    asyncio.run(again())
    assert (flags_of(settings, risky), flags_of(settings, ordinary)) == (1, 0)


def test_a_review_confirms_or_dismisses_a_flag_and_the_list_filters_by_status(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ordinary, risky, position = planted(api, user, workspace, account)
    settled(settings, position)
    base = f"/api/workspaces/{workspace}/transactions"

    reviewed = api.commands.post(
        f"{base}/{risky}/risk-review",
        json={"status": "CONFIRMED", "note": "not mine"},
        headers=user.headers,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["status"], reviewed.json()["note"]) == ("CONFIRMED", "not mine")
    at = reviewed.json()["position"]
    path = f"/api/workspaces/{workspace}/insights/risk-flags"
    confirmed = api.read(user, path, at, status="CONFIRMED")
    assert [(f["transaction_id"], f["note"]) for f in confirmed["data"]] == [(risky, "not mine")]
    assert confirmed["totals"] == {"PENDING": 0, "CONFIRMED": 1, "DISMISSED": 0}
    assert confirmed["meta"]["total"] == 1
    pending = api.read(user, path, at, status="PENDING")
    assert (pending["data"], pending["meta"]["total"]) == ([], 0)

    # Refused: a status that is no review, a long note, a transaction without a flag, and
    # another workspace's flag.
    for body in ({"status": "PENDING"}, {"status": "DISMISSED", "note": "x" * 501}):
        refused = api.commands.post(f"{base}/{risky}/risk-review", json=body, headers=user.headers)
        assert refused.status_code == 400, refused.text
    unflagged = api.commands.post(
        f"{base}/{ordinary}/risk-review", json={"status": "DISMISSED"}, headers=user.headers
    )
    assert unflagged.status_code == 404, unflagged.text
    other = api.user("Bob")
    elsewhere = api.workspace(other)
    stranger = api.commands.post(
        f"/api/workspaces/{elsewhere}/transactions/{risky}/risk-review",
        json={"status": "DISMISSED"},
        headers=other.headers,
    )
    assert stranger.status_code == 404, stranger.text
