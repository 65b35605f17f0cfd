"""Accounts and their balance per day, categories (the system set seeded with each workspace),
exchange rates and import reports.

Transactions' events, the bulk of the log, are kept in memory and written together: at the
end of the batch, or before any other event, whose handler may read what they write."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from domain.ledger.account import Account
from domain.ledger.categories import SYSTEM_CATEGORIES, Categories, system_category_id
from domain.ledger.exchange_rates import RateSheet
from domain.ledger.imports import Import, ImportProfile
from domain.ledger.rules import Rules
from domain.ledger.transaction import Transaction
from domain.workspaces.workspace import Workspace
from projections.ledger import view
from projections.ledger.view import TABLES
from projections.runtime import Cursor, Projection, columns, copy_rows, handles

# Adds each (account, date)'s change to that day's row; each pair given once (``_days``).
ADD_TO_DAYS = (
    "INSERT INTO ledger_account_days AS d (account_id, date, change) "
    "SELECT * FROM unnest(%(day_accounts)s::uuid[], %(days)s::date[], %(changes)s::numeric[]) "
    "ON CONFLICT (account_id, date) DO UPDATE SET change = d.change + excluded.change"
)
# Changes of one transaction: each reads and writes its own row only (Pending.change).
ONE_TRANSACTION = (Transaction.Amended, Transaction.Deleted, Transaction.Restored)


class Pending:
    """The batch's transactions not written yet: each one's row as the batch has left it
    (recorded in the batch, or read once for its changes), what they add to each account's
    day, and what each event moved its account's balance by."""

    def __init__(self) -> None:
        self.rows: dict[UUID, list[Any]] = {}  # id: [account_id, date, amount, counted]
        self.recorded: list[UUID] = []  # in order: copied, as the batch left them
        self.changed: list[UUID] = []  # read from the table for their changes: updated
        self.days: defaultdict[tuple[UUID, date], Decimal] = defaultdict(Decimal)
        self.moves: list[tuple[int, UUID, Decimal]] = []
        # Amendments, deletions and restorations, in order: each reads its own
        # transaction's row only, so they wait for the batch's end and read the rows of all
        # of them at once (two round trips each, before).
        self.changes: list[tuple[Any, int]] = []

    def record(self, event: Transaction.Recorded, position: int) -> None:
        self.rows[event.originator_id] = [event.account_id, event.date, event.amount, True]
        self.recorded.append(event.originator_id)
        self.days[(event.account_id, event.date)] += event.amount
        if event.amount:
            self.moves.append((position, event.account_id, event.amount))

    def change(self, event: Any, position: int) -> None:
        """An amendment, deletion or restoration of a transaction in ``rows`` (else not in
        the model: nothing to change)."""
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        account_id, day, amount, counted = row
        moves: defaultdict[UUID, Decimal] = defaultdict(Decimal)
        if isinstance(event, Transaction.Amended):
            row[:3] = [event.account_id, event.date, event.amount]
            if counted:  # a deleted one moves nothing
                self.days[(account_id, day)] -= amount
                self.days[(event.account_id, event.date)] += event.amount
                moves[account_id] -= amount
                moves[event.account_id] += event.amount
        else:
            row[3] = isinstance(event, Transaction.Restored)
            if row[3] != counted:  # it moves only what changes
                self.days[(account_id, day)] += amount if row[3] else -amount
                moves[account_id] += amount if row[3] else -amount
        self.moves.extend((position, account, move) for account, move in moves.items() if move)


class LedgerProjection(Projection):
    name = "ledger"
    tables = TABLES

    def __init__(self) -> None:
        self.pending = Pending()

    async def before_batch(self) -> None:
        self.pending = Pending()

    @handles(Workspace.Created)
    async def on_workspace_created(
        self, cur: Cursor, event: Workspace.Created, position: int
    ) -> None:
        workspace_id = event.originator_id
        await cur.executemany(
            "INSERT INTO ledger_categories (id, workspace_id, name, parent_id, slug) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            [
                (
                    system_category_id(workspace_id, slug),
                    workspace_id,
                    name,
                    None if parent is None else system_category_id(workspace_id, parent),
                    slug,
                )
                for slug, name, parent in SYSTEM_CATEGORIES
            ],
        )

    @handles(Categories.Added)
    async def on_category_added(self, cur: Cursor, event: Categories.Added, position: int) -> None:
        await cur.execute(
            "INSERT INTO ledger_categories (id, workspace_id, name, parent_id) "
            "VALUES (%s, %s, %s, %s)",
            (event.category_id, event.workspace_id, event.name, event.parent_id),
        )

    @handles(Categories.Renamed)
    async def on_category_renamed(
        self, cur: Cursor, event: Categories.Renamed, position: int
    ) -> None:
        await cur.execute(
            "UPDATE ledger_categories SET name = %s WHERE id = %s", (event.name, event.category_id)
        )

    @handles(Categories.Archived, Categories.Unarchived)
    async def on_category_archived(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE ledger_categories SET archived = %s WHERE id = %s",
            (isinstance(event, Categories.Archived), event.category_id),
        )

    @handles(Categories.Merged)
    async def on_category_merged(
        self, cur: Cursor, event: Categories.Merged, position: int
    ) -> None:
        await cur.execute(
            "UPDATE ledger_categories SET archived = true, merged_into = %s WHERE id = %s",
            (event.target_id, event.source_id),
        )

    @handles(Account.Opened)
    async def on_account_opened(self, cur: Cursor, event: Account.Opened, position: int) -> None:
        await cur.execute(
            "INSERT INTO ledger_accounts (id, workspace_id, name, type, currency, "
            "opening_balance, opened_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.name,
                event.type,
                event.currency,
                event.opening_balance,
                event.timestamp,
            ),
        )
        await _moved(cur, position, {event.originator_id: event.opening_balance})

    @handles(Account.Updated)
    async def on_account_updated(self, cur: Cursor, event: Account.Updated, position: int) -> None:
        await cur.execute(
            "UPDATE ledger_accounts SET name = %s, type = %s WHERE id = %s",
            (event.name, event.type, event.originator_id),
        )

    @handles(Account.Closed, Account.Reopened)
    async def on_account_closed(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE ledger_accounts SET closed = %s WHERE id = %s",
            (isinstance(event, Account.Closed), event.originator_id),
        )

    @handles(Account.Valued)
    async def on_account_valued(self, cur: Cursor, event: Account.Valued, position: int) -> None:
        assert event.workspace_id is not None
        found = await view.balance_history(
            cur.connection, event.workspace_id, event.originator_id, [event.date]
        )
        if found:  # the valuation moves the balance from what it was that day to its value
            await _moved(
                cur, position, {event.originator_id: event.value - Decimal(found[1][0].balance)}
            )
        await cur.execute(
            "INSERT INTO ledger_valuations (account_id, date, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (account_id, date) DO UPDATE SET value = excluded.value",
            (event.originator_id, event.date, event.value),
        )

    @handles(Transaction.Recorded)
    async def on_transaction_recorded(
        self, cur: Cursor, event: Transaction.Recorded, position: int
    ) -> None:
        """Kept in memory until the batch ends or another event needs the tables."""
        self.pending.record(event, position)

    @handles(*ONE_TRANSACTION)
    async def on_transaction_changed(self, cur: Cursor, event: Any, position: int) -> None:
        """Kept for the batch's end: see ``Pending.changes``."""
        self.pending.changes.append((event, position))

    async def process(self, cur: Cursor, event: Any, position: int) -> None:
        # Another event's handler may read what the transactions' events write.
        if not isinstance(event, (Transaction.Recorded, *ONE_TRANSACTION)):
            await self.flush(cur)
        await super().process(cur, event, position)

    async def flush(self, cur: Cursor) -> None:
        pending, self.pending = self.pending, Pending()
        if not pending.recorded and not pending.changes:
            return
        unread = list({e.originator_id for e, _ in pending.changes} - pending.rows.keys())
        if unread:  # changes of transactions from before the batch
            await cur.execute(
                "SELECT id, account_id, date, amount, counted FROM ledger_transactions "
                "WHERE id = ANY(%b::uuid[])",
                (unread,),
            )
            for found in await cur.fetchall():
                pending.rows[found["id"]] = [
                    found["account_id"], found["date"], found["amount"], found["counted"]
                ]  # fmt: skip
                pending.changed.append(found["id"])
        for event, position in pending.changes:
            pending.change(event, position)
        if pending.recorded:
            await copy_rows(
                cur,
                "ledger_transactions",
                ("id", "account_id", "date", "amount", "counted"),
                ("uuid", "uuid", "date", "numeric", "bool"),
                ((id, *pending.rows[id]) for id in pending.recorded),
            )
        if pending.changed:
            await cur.execute(
                "UPDATE ledger_transactions t SET account_id = u.account_id, date = u.date, "
                "amount = u.amount, counted = u.counted FROM unnest(%b::uuid[], %b::uuid[], "
                "%b::date[], %b::numeric[], %b::bool[]) AS u(id, account_id, date, amount, "
                "counted) WHERE t.id = u.id",
                columns([(id, *pending.rows[id]) for id in pending.changed], 5),
            )
        # One statement for every day's change (each day once, so no row is hit twice).
        if pending.days:
            await cur.execute(ADD_TO_DAYS, _days(pending.days))
        if pending.moves:
            await copy_rows(
                cur,
                "ledger_balance_moves",
                ("position", "account_id", "change"),
                ("int8", "uuid", "numeric"),
                pending.moves,
            )

    @handles(RateSheet.Recorded)
    async def on_rates_recorded(
        self, cur: Cursor, event: RateSheet.Recorded, position: int
    ) -> None:
        await cur.executemany(
            "INSERT INTO ledger_rates (workspace_id, currency, quote, date, rate) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workspace_id, currency, quote, date) "
            "DO UPDATE SET rate = excluded.rate",
            [
                (event.workspace_id, r["currency"], r["quote"], r["date"], r["rate"])
                for r in event.rates
            ],
        )

    @handles(Import.Completed)
    async def on_import_completed(
        self, cur: Cursor, event: Import.Completed, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO ledger_imports (id, workspace_id, account_id, file_name, format, "
            "imported, skipped, rejected, actor_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.account_id,
                event.file_name,
                event.format,
                event.imported,
                json.dumps(
                    [{**row, "transaction_id": str(row["transaction_id"])} for row in event.skipped]
                ),
                json.dumps(list(event.rejected)),
                event.actor_id,
                event.timestamp,
            ),
        )

    @handles(Rules.Added)
    async def on_rule_added(self, cur: Cursor, event: Rules.Added, position: int) -> None:
        await cur.execute(
            "UPDATE ledger_rules SET ord = ord + 1 WHERE workspace_id = %s AND ord >= %s",
            (event.workspace_id, event.position),
        )
        await cur.execute(
            "INSERT INTO ledger_rules (id, workspace_id, ord, rule) VALUES (%s, %s, %s, %s)",
            (event.rule["id"], event.workspace_id, event.position, _rule_json(event.rule)),
        )

    @handles(Rules.Changed)
    async def on_rule_changed(self, cur: Cursor, event: Rules.Changed, position: int) -> None:
        await cur.execute(
            "UPDATE ledger_rules SET rule = %s WHERE id = %s",
            (_rule_json(event.rule), event.rule["id"]),
        )

    @handles(Rules.Removed)
    async def on_rule_removed(self, cur: Cursor, event: Rules.Removed, position: int) -> None:
        await cur.execute(
            "WITH gone AS (DELETE FROM ledger_rules WHERE id = %s RETURNING ord) "
            "UPDATE ledger_rules SET ord = ord - 1 "
            "WHERE workspace_id = %s AND ord > (SELECT ord FROM gone)",
            (event.rule_id, event.workspace_id),
        )

    @handles(Rules.Reordered)
    async def on_rules_reordered(self, cur: Cursor, event: Rules.Reordered, position: int) -> None:
        await cur.executemany(
            "UPDATE ledger_rules SET ord = %s WHERE id = %s",
            [(order, rule_id) for order, rule_id in enumerate(event.rule_ids)],
        )

    @handles(ImportProfile.Saved, ImportProfile.Changed)
    async def on_import_profile_saved(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO ledger_import_profiles (id, workspace_id, name, settings) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
            "SET name = excluded.name, settings = excluded.settings",
            (event.originator_id, event.workspace_id, event.name, json.dumps(event.settings)),
        )

    @handles(ImportProfile.Removed)
    async def on_import_profile_removed(
        self, cur: Cursor, event: ImportProfile.Removed, position: int
    ) -> None:
        await cur.execute(
            "DELETE FROM ledger_import_profiles WHERE id = %s", (event.originator_id,)
        )


def _days(days: dict[tuple[UUID, date], Decimal]) -> dict[str, list[Any]]:
    """ADD_TO_DAYS's parameters: each (account, date) and its change."""
    accounts, dates, changes = columns([(*key, change) for key, change in days.items()], 3)
    return {"day_accounts": accounts, "days": dates, "changes": changes}


async def _moved(cur: Cursor, position: int, changes: dict[UUID, Decimal]) -> None:
    """Notes what the event at this position moved each account's balance by (not 0)."""
    for account_id, change in changes.items():
        if change:
            await cur.execute(
                "INSERT INTO ledger_balance_moves (position, account_id, change) "
                "VALUES (%s, %s, %s)",
                (position, account_id, change),
            )


def _rule_json(rule: dict[str, Any]) -> str:
    """Amounts as strings, as everywhere on the wire."""
    return msgspec.json.encode(
        {
            k: str(v) if k in ("min_amount", "max_amount") and v is not None else v
            for k, v in rule.items()
        }
    ).decode()
