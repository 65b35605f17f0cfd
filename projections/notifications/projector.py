"""Notifications for each member: alerts in the app, goals completed, invitations, and large
or unusual expenses. A notification's id comes from its event and its user, so a rebuild
gives each the same id, and what users did with them (their Inbox) applies again.

Alerts of DAILY and WEEKLY rules gather into one digest per member and day or week (UTC, as
the mail digest), whose id comes from the workspace, the member and the period; it is
created at the period's end, and the read side shows it from then on, by its clock."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from domain.budgeting.alerts import AlertRule
from domain.engagement.inbox import Inbox
from domain.goals.goal import Goal
from domain.identity.user import user_id_for
from domain.ledger.transaction import Transaction
from domain.risk.review import RiskReview
from domain.workspaces.workspace import Workspace
from projections.ledger.view import round_money
from projections.notifications.view import (
    TABLES,
    alert_line,
    alert_title,
    digest_id,
    digest_period,
    digest_title,
)
from projections.runtime import Cursor, Projection, columns, event_id, handles

LARGE = Decimal(1000)  # an expense this big or bigger, in its currency, is worth a word
UNUSUAL_AFTER = 5  # expenses seen in a category before one can stand out
UNUSUAL_DEVIATIONS = 3  # how far above the category's mean (in standard deviations)


ZERO = Decimal(0)
Spending = tuple[int, Decimal, Decimal]  # a category's expenses so far: n, mean, m2


class NotificationsProjection(Projection):
    name = "notifications"
    tables = TABLES

    def __init__(self) -> None:
        # Each category's running figures as this batch leaves them, written once in flush;
        # and the expenses not looked at yet, with their positions.
        self.spending: dict[tuple[Any, ...], Spending] = {}
        self.expenses: list[tuple[Transaction.Recorded, int]] = []

    async def before_batch(self) -> None:
        self.spending, self.expenses = {}, []

    async def process(self, cur: Cursor, event: Any, position: int) -> None:
        if not isinstance(event, Transaction.Recorded):
            await self._settle(cur)  # its handler may read or change what they write
        await super().process(cur, event, position)

    async def flush(self, cur: Cursor) -> None:
        await self._settle(cur)
        if self.spending:  # one statement for the batch's categories
            await cur.execute(
                "INSERT INTO notifications_spending (workspace_id, category_id, currency, n, "
                "mean, m2) SELECT * FROM unnest(%b::uuid[], %b::uuid[], %b::text[], "
                "%b::integer[], %b::numeric[], %b::numeric[]) "
                "ON CONFLICT (workspace_id, category_id, currency) "
                "DO UPDATE SET n = EXCLUDED.n, mean = EXCLUDED.mean, m2 = EXCLUDED.m2",
                columns([(*key, *figures) for key, figures in self.spending.items()], 6),
            )

    @handles(Workspace.Created)
    async def on_workspace_created(self, cur: Cursor, event: Any, position: int) -> None:
        await self._member(cur, event.originator_id, event.creator_id)

    @handles(Workspace.InvitationAccepted)
    async def on_invitation_accepted(self, cur: Cursor, event: Any, position: int) -> None:
        await self._member(cur, event.originator_id, event.user_id)

    async def _member(self, cur: Cursor, workspace_id: UUID, user_id: UUID) -> None:
        await cur.execute(
            "INSERT INTO notifications_members (workspace_id, user_id) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (workspace_id, user_id),
        )

    @handles(Workspace.MemberRemoved, Workspace.MemberLeft)
    async def on_member_gone(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "DELETE FROM notifications_members WHERE workspace_id = %s AND user_id = %s",
            (event.originator_id, event.user_id),
        )

    @handles(Workspace.MemberInvited)
    async def on_member_invited(
        self, cur: Cursor, event: Workspace.MemberInvited, position: int
    ) -> None:
        # To the account the email would sign up as: it is there once they do.
        await self._tell(
            cur,
            event,
            position,
            [user_id_for(event.email)],
            "INVITATION",
            "You are invited to a workspace",
            f"You are invited as {event.role}; accept or decline the invitation.",
            {"invitation_id": str(event.invitation_id), "role": event.role},
        )

    @handles(AlertRule.Triggered)
    async def on_alert_triggered(
        self, cur: Cursor, event: AlertRule.Triggered, position: int
    ) -> None:
        if "IN_APP" not in event.channels:
            return
        members = await self._members(cur, event.workspace_id)
        alert = {
            "alert_rule_id": str(event.originator_id),
            "budget_id": event.budget_id and str(event.budget_id),  # None: of no budget
            "period_start": event.period_start.isoformat(),
            "spent": str(event.spent),
            "limit": str(round_money(event.limit, event.currency)),
        }
        if event.frequency in ("DAILY", "WEEKLY"):
            await self._digest(cur, event, position, members, alert)
            return
        await self._tell(
            cur,
            event,
            position,
            members,
            "ALERT",
            alert_title(event),
            event.message or f"Spending under {event.budget_name} reached the alert's threshold.",
            alert,
        )

    async def _digest(
        self,
        cur: Cursor,
        event: AlertRule.Triggered,
        position: int,
        users: list[UUID],
        alert: dict[str, Any],
    ) -> None:
        """Adds the alert to each member's digest of its day or week, then makes the digest's
        row again from all it gathers (an alert seen twice is kept once)."""
        start, due = digest_period(event.frequency, event.timestamp)
        line = alert_line(event)
        kept = json.dumps({**alert, "title": alert_title(event)})
        for user in users:
            digest = digest_id(event.workspace_id, user, event.frequency, start)
            await cur.execute(
                "INSERT INTO notifications_digest_lines "
                "(notification_id, event_id, position, line, alert) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (digest, event_id(event), position, line, kept),
            )
            await cur.execute(
                "SELECT line, alert, position FROM notifications_digest_lines "
                "WHERE notification_id = %s ORDER BY position",
                (digest,),
            )
            lines = await cur.fetchall()
            data = {
                "frequency": event.frequency,
                "period_start": start.date().isoformat(),
                "alerts": [row["alert"] for row in lines],
            }
            # Its position is its latest alert's: where it stands in the list, and what a
            # read-all after it covers.
            await cur.execute(
                "INSERT INTO notifications (id, user_id, workspace_id, kind, title, body, data, "
                "position, created_at) VALUES (%s, %s, %s, 'ALERT_DIGEST', %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, "
                "data = EXCLUDED.data, position = EXCLUDED.position",
                (
                    digest,
                    user,
                    event.workspace_id,
                    digest_title(event.frequency, start, len(lines)),
                    "\n".join(row["line"] for row in lines),
                    json.dumps(data),
                    max(row["position"] for row in lines),
                    due,
                ),
            )

    @handles(Goal.Completed)
    async def on_goal_completed(self, cur: Cursor, event: Goal.Completed, position: int) -> None:
        await self._tell(
            cur,
            event,
            position,
            await self._members(cur, event.workspace_id),
            "GOAL_COMPLETED",
            "A goal is reached",
            f"{event.amount} of {event.target_amount} reached.",
            {"goal_id": str(event.originator_id), "amount": str(event.amount)},
        )

    @handles(RiskReview.Flagged)
    async def on_transaction_flagged(
        self, cur: Cursor, event: RiskReview.Flagged, position: int
    ) -> None:
        reasons = [r.get("code") for r in event.reasons if isinstance(r, dict)]
        await self._tell(
            cur,
            event,
            position,
            await self._members(cur, event.workspace_id),
            "RISK_FLAG",
            f"A transaction is flagged as risky (score {event.score})",
            "Reasons: " + ", ".join(str(code) for code in reasons) + ". Confirm or dismiss it.",
            {
                "transaction_id": str(event.transaction_id),
                "score": event.score,
                "reasons": list(event.reasons),
            },
        )

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        """Kept until the batch ends or another event comes: their categories' figures are
        then read in one statement, and what they tell written in another."""
        if event.amount < 0 and event.transfer_id is None:
            self.expenses.append((event, position))

    async def _settle(self, cur: Cursor) -> None:
        """Looks at the kept expenses in their order: counts each into its category and
        tells the members of those large or unusual."""
        expenses, self.expenses = self.expenses, []
        if not expenses:
            return
        missing = {
            key
            for event, _ in expenses
            if event.category_id is not None
            and (key := (event.workspace_id, event.category_id, event.currency))
            not in self.spending
        }
        if missing:
            await cur.execute(
                "SELECT s.workspace_id, s.category_id, s.currency, s.n, s.mean, s.m2 "
                "FROM notifications_spending s JOIN unnest(%s::uuid[], %s::uuid[], %s::text[]) "
                "AS k (workspace_id, category_id, currency) ON s.workspace_id = k.workspace_id "
                "AND s.category_id = k.category_id AND s.currency = k.currency",
                columns(list(missing), 3),
            )
            found = {
                (row["workspace_id"], row["category_id"], row["currency"]): (
                    row["n"],
                    row["mean"],
                    row["m2"],
                )
                for row in await cur.fetchall()
            }
            for key in missing:
                self.spending[key] = found.get(key, (0, ZERO, ZERO))
        told: list[tuple[Transaction.Recorded, int, str]] = []
        for event, position in expenses:
            size = -event.amount
            unusual = event.category_id is not None and self._unusual(event, size)
            if event.import_id is not None:  # a statement is history, not news
                continue
            kind = (
                "LARGE_TRANSACTION" if size >= LARGE else "UNUSUAL_TRANSACTION" if unusual else ""
            )
            if kind:
                told.append((event, position, kind))
        members: dict[Any, list[UUID]] = {}
        for event, position, kind in told:
            if event.workspace_id not in members:
                members[event.workspace_id] = await self._members(cur, event.workspace_id)
            size = -event.amount
            what = "A large expense" if size >= LARGE else "An unusual expense for its category"
            await self._tell(
                cur,
                event,
                position,
                members[event.workspace_id],
                kind,
                f"{what}: {size} {event.currency}",
                event.description,
                {"transaction_id": str(event.originator_id), "amount": str(event.amount)},
            )

    def _unusual(self, event: Transaction.Recorded, size: Decimal) -> bool:
        """Whether the expense is far above the category's usual ones; then counts it in."""
        key = (event.workspace_id, event.category_id, event.currency)
        n, mean, m2 = self.spending[key]
        deviation = (m2 / (n - 1)).sqrt() if n > 1 else ZERO
        unusual = n >= UNUSUAL_AFTER and size > mean + UNUSUAL_DEVIATIONS * deviation
        delta = size - mean
        mean += delta / (n + 1)
        m2 += delta * (size - mean)
        self.spending[key] = (n + 1, mean, m2)
        return unusual

    @handles(Inbox.Read)
    async def on_read(self, cur: Cursor, event: Inbox.Read, position: int) -> None:
        await cur.execute(
            "UPDATE notifications SET read_at = %s WHERE user_id = %s AND id = ANY(%s) "
            "AND read_at IS NULL",
            (event.timestamp, event.actor_id, list(event.notification_ids)),
        )

    @handles(Inbox.AllRead)
    async def on_all_read(self, cur: Cursor, event: Inbox.AllRead, position: int) -> None:
        await cur.execute(
            "UPDATE notifications SET read_at = %s WHERE user_id = %s AND position < %s "
            "AND read_at IS NULL AND (kind <> 'ALERT_DIGEST' OR created_at <= %s)",
            # A digest not yet due was not there to be read.
            (event.timestamp, event.actor_id, position, event.timestamp),
        )

    @handles(Inbox.Dismissed)
    async def on_dismissed(self, cur: Cursor, event: Inbox.Dismissed, position: int) -> None:
        await cur.execute(
            "UPDATE notifications SET dismissed_at = %s WHERE user_id = %s AND id = ANY(%s)",
            (event.timestamp, event.actor_id, list(event.notification_ids)),
        )

    async def _members(self, cur: Cursor, workspace_id: UUID | None) -> list[UUID]:
        await cur.execute(
            "SELECT user_id FROM notifications_members WHERE workspace_id = %s", (workspace_id,)
        )
        return [row["user_id"] for row in await cur.fetchall()]

    async def _tell(
        self,
        cur: Cursor,
        event: Any,
        position: int,
        users: list[UUID],
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any],
    ) -> None:
        source = UUID(event_id(event))
        await cur.executemany(
            "INSERT INTO notifications (id, user_id, workspace_id, kind, title, body, data, "
            "position, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            [
                (
                    notification_id(source, user),
                    user,
                    event.workspace_id,
                    kind,
                    title,
                    body,
                    json.dumps(data),
                    position,
                    event.timestamp,
                )
                for user in users
            ],
        )


def notification_id(source_event: UUID, user_id: UUID) -> UUID:
    return uuid5(source_event, str(user_id))
