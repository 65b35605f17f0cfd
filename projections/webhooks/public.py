"""Which domain events go out as which public webhook event types, and in what shape."""

from __future__ import annotations

from typing import Any

# CloudEvent types (``centsource.<Aggregate><Event>``) to public webhook types: one each, so a
# domain event is one delivery per subscription.
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
    "AccountOpened": "account.balance_updated",
    "AccountValued": "account.balance_updated",
    "WorkspaceMemberInvited": "member.invited",
}
# Fields of the event log that stay inside: an invitation's token hash checks a credential.
PRIVATE_FIELDS = frozenset({"token_hash"})


def public_type(cloud_event: dict[str, Any]) -> str | None:
    """None for an event that does not go out: not public, or an alert whose rule did not
    name the WEBHOOK channel."""
    kind = PUBLIC_TYPES.get(str(cloud_event.get("type", "")).removeprefix("centsource."))
    if kind == "alert.triggered" and "WEBHOOK" not in cloud_event["data"]["channels"]:
        return None
    return kind


def payload(cloud_event: dict[str, Any], kind: str) -> dict[str, Any]:
    """``{type, timestamp, data}``: data is the event's own fields, with the id of what it is
    about (``id``), its workspace and the event's id and position; no private field."""
    return {
        "type": kind,
        "timestamp": cloud_event["time"],
        "data": {
            "id": cloud_event["subject"],
            "workspace_id": cloud_event["workspaceid"],
            "event_id": cloud_event["id"],
            "position": cloud_event["position"],
            **{k: v for k, v in cloud_event["data"].items() if k not in PRIVATE_FIELDS},
        },
    }
