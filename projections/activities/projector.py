"""Turns every workspace event into a line: "<actor> recorded -5.75 EUR «Coffee»"."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from domain.engagement.points import Badge, Points
from domain.ledger.account import Account
from domain.ledger.transaction import Transaction
from domain.workspaces.api_key import ApiKey
from domain.workspaces.workspace import Workspace
from projections.activities.view import TABLES
from projections.runtime import Cursor, Projection, columns, event_type

AWARDS = (Points.Awarded, Badge.Earned)  # shown on the gamification page instead
SUBJECT = "{subject}"  # where the subject's current name goes, filled in at read time


def describe(event: Any) -> tuple[str, UUID | None]:
    """What happened, without the actor, and whom it happened to (if a member or a key)."""
    match event:
        case Workspace.Created():
            return f"created the workspace «{event.name}»", None
        case Workspace.Renamed():
            return f"renamed the workspace to «{event.name}»", None
        case Workspace.SettingsChanged():
            return (
                f"changed the settings: {event.base_currency}, {event.timezone},"
                f" weeks start on {event.week_start.capitalize()}",
                None,
            )
        case Workspace.Deleted():
            return "deleted the workspace", None
        case Workspace.MemberInvited():
            return f"invited {event.email} as {event.role}", None
        case Workspace.InvitationAccepted():
            return f"joined as {event.role}", None
        case Workspace.InvitationDeclined():
            return "declined an invitation", None
        case Workspace.InvitationRevoked():
            return "revoked an invitation", None
        case Workspace.MemberRoleChanged():
            return f"made {SUBJECT} {event.role}", event.user_id
        case Workspace.MemberRemoved():
            return f"removed {SUBJECT}", event.user_id
        case Workspace.MemberLeft():
            return "left the workspace", None
        case ApiKey.Created():
            return f"created the {event.role} API key «{event.name}»", None
        case ApiKey.Revoked():
            return f"revoked the {SUBJECT}", event.originator_id
        case Account.Opened():
            return f"opened the {event.type} account «{event.name}» in {event.currency}", None
        case Transaction.Recorded():
            return f"recorded {event.amount} {event.currency} «{event.description}»", None
        case Transaction.Amended():
            return f"changed «{event.description}» to {event.amount} {event.currency}", None
        case Transaction.Deleted():
            return "deleted a transaction", None
        case Transaction.Restored():
            return "restored a transaction", None
    # An event type this list does not know yet still shows, in plain words.
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", event_type(event)).lower()
    return words, None


class ActivitiesProjection(Projection):
    name = "activities"
    tables = TABLES
    every_event = True

    def __init__(self) -> None:
        self.lines: list[tuple[Any, ...]] = []  # the batch's, written together in flush

    async def before_batch(self) -> None:
        self.lines = []

    async def on_event(self, cur: Cursor, event: Any, position: int) -> None:
        if event.workspace_id is None:  # a user's or a session's event: no workspace's business
            return
        if isinstance(event, AWARDS):  # the engagement watch's bookkeeping, not a member's act
            return
        text, subject_id = describe(event)
        self.lines.append(
            (
                position,
                event.workspace_id,
                event.timestamp,
                event.actor_id,
                event_type(event),
                text,
                subject_id,
            )
        )

    async def flush(self, cur: Cursor) -> None:
        if self.lines:  # one statement for the batch's lines
            await cur.execute(
                "INSERT INTO activities (position, workspace_id, occurred_at, actor_id, type, "
                "text, subject_id) SELECT * FROM unnest(%b::bigint[], %b::uuid[], "
                "%b::timestamptz[], %b::uuid[], %b::text[], %b::text[], %b::uuid[])",
                columns(self.lines, 7),
            )
