"""Which domain events go out as which public webhook event types, and in what shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

# CloudEvent types (``centsource.<Aggregate><Event>``) to their own public types.
PUBLIC_TYPES = {
    "TransactionRecorded": "transaction.created",
    "TransactionAmended": "transaction.updated",
    "TransactionCategorized": "transaction.updated",
    "TransactionSplit": "transaction.updated",
    "TransactionReconciled": "transaction.updated",
    "TransactionAttached": "transaction.updated",
    "TransactionDetached": "transaction.updated",
    "TransactionRestored": "transaction.updated",
    "TransactionDeleted": "transaction.deleted",
    "BudgetThresholdReached": "budget.threshold_reached",
    "BudgetExceeded": "budget.exceeded",
    "AlertRuleTriggered": "alert.triggered",
    "GoalCompleted": "goal.completed",
    "WorkspaceMemberInvited": "member.invited",
    "RiskReviewFlagged": "transaction.flagged",  # TransactionFlagged, by the risk watch
    "BadgeEarned": "badge.earned",
    "ChallengeClaimed": "challenge.completed",  # a complete challenge whose reward is claimed
    "SwitchTriggered": "vault.switch_triggered",  # ids and times only: nothing sealed
}
# Events that may move accounts' balances: each account one moved also goes out as an
# account.balance_updated of its own.
BALANCE_UPDATED = "account.balance_updated"
MOVES_BALANCES = frozenset(
    {
        "AccountOpened",
        "AccountValued",
        "TransactionRecorded",
        "TransactionAmended",
        "TransactionDeleted",
        "TransactionRestored",
    }
)


def event_type(cloud_event: dict[str, Any]) -> str:
    return str(cloud_event.get("type", "")).removeprefix("centsource.")


def public_type(cloud_event: dict[str, Any]) -> str | None:
    """The event's own public type; None for an event that does not go out as one: not
    public, or an alert whose rule did not name the WEBHOOK channel."""
    kind = PUBLIC_TYPES.get(event_type(cloud_event))
    if kind == "alert.triggered" and "WEBHOOK" not in cloud_event["data"]["channels"]:
        return None
    return kind


def goes_out(cloud_event: dict[str, Any]) -> bool:
    return public_type(cloud_event) is not None or event_type(cloud_event) in MOVES_BALANCES


def payload(cloud_event: dict[str, Any], kind: str) -> dict[str, Any]:
    """``{type, timestamp, data}``: data is the event's own fields, with the id of what it is
    about (``id``), its workspace and the event's id and position. Hashes (the relay sends
    them redacted) are left out."""
    return {
        "type": kind,
        "timestamp": cloud_event["time"],
        "data": {
            "id": cloud_event["subject"],
            "workspace_id": cloud_event["workspaceid"],
            "event_id": cloud_event["id"],
            "position": cloud_event["position"],
            **{k: v for k, v in cloud_event["data"].items() if not k.endswith("_hash")},
        },
    }


def balance_payload(
    cloud_event: dict[str, Any], account_id: UUID, change: Decimal, balance: Decimal, currency: str
) -> dict[str, Any]:
    """account.balance_updated: what the event moved the account's balance by, and the
    balance today as it stood when this was sent (after the event, perhaps after later ones)."""
    return {
        "type": BALANCE_UPDATED,
        "timestamp": cloud_event["time"],
        "data": {
            "id": str(account_id),
            "workspace_id": cloud_event["workspaceid"],
            "event_id": cloud_event["id"],
            "position": cloud_event["position"],
            "account_id": str(account_id),
            "change": f"{change:f}",  # never 1E-8: an import keeps up to 8 decimals
            "balance": f"{balance:f}",
            "currency": currency,
            "cause": event_type(cloud_event),
            "cause_id": cloud_event["subject"],
        },
    }
