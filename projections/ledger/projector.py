"""Accounts and their balance per day, categories (the system set seeded with each workspace),
exchange rates and import reports.

Recordings, the bulk of the log, are kept in memory and written together: at the end of the
batch, or before any other event, whose handler may read what they write."""

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
# Changes of one transaction: their handlers read and write its row only.
ONE_TRANSACTION = (Transaction.Amended, Transaction.Deleted, Transaction.Restored)


class Recorded:
    """Recordings not written yet: their rows, what they add to each account's day, and
    what each moved its account's balance by."""

    def __init__(self) -> None:
        self.transactions: list[tuple[UUID, UUID, date, Decimal]] = []
        self.days: defaultdict[tuple[UUID, date], Decimal] = defaultdict(Decimal)
        self.moves: list[tuple[int, UUID, Decimal]] = []
        self.ids: set[UUID] = set()
        # Changes of these recordings, with their positions: handled once their rows are in.
        self.changes: list[tuple[Any, int]] = []


class LedgerProjection(Projection):
    name = "ledger"
    tables = TABLES

    def __init__(self) -> None:
        self.recorded = Recorded()

    async def before_batch(self) -> None:
        self.recorded = Recorded()

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
        recorded = self.recorded
        recorded.transactions.append(
            (event.originator_id, event.account_id, event.date, event.amount)
        )
        recorded.ids.add(event.originator_id)
        recorded.days[(event.account_id, event.date)] += event.amount
        if event.amount:
            recorded.moves.append((position, event.account_id, event.amount))

    async def process(self, cur: Cursor, event: Any, position: int) -> None:
        # Another event's handler may read what the recordings write; a change of one
        # transaction reads only its own row (days and moves are added to, in any order), so
        # a change of one not written yet waits for it, with the rest of the batch's.
        if isinstance(event, ONE_TRANSACTION) and event.originator_id in self.recorded.ids:
            self.recorded.changes.append((event, position))
            return
        if not isinstance(event, (Transaction.Recorded, *ONE_TRANSACTION)):
            await self.flush(cur)
        await super().process(cur, event, position)

    async def flush(self, cur: Cursor) -> None:
        recorded, self.recorded = self.recorded, Recorded()
        if not recorded.transactions:
            return
        await copy_rows(
            cur,
            "ledger_transactions",
            ("id", "account_id", "date", "amount", "counted"),
            ("uuid", "uuid", "date", "numeric", "bool"),
            ((*row, True) for row in recorded.transactions),
        )
        # One statement for every day's change (each day once, so no row is hit twice).
        await cur.execute(ADD_TO_DAYS, _days(recorded.days))
        await copy_rows(
            cur,
            "ledger_balance_moves",
            ("position", "account_id", "change"),
            ("int8", "uuid", "numeric"),
            recorded.moves,
        )
        for event, position in recorded.changes:
            await super().process(cur, event, position)

    @handles(Transaction.Amended)
    async def on_transaction_amended(
        self, cur: Cursor, event: Transaction.Amended, position: int
    ) -> None:
        row = await _row(cur, event.originator_id)
        days: dict[tuple[UUID, date], Decimal] = defaultdict(Decimal)
        moves: dict[UUID, Decimal] = defaultdict(Decimal)
        if row is not None and row["counted"]:  # a deleted one moves nothing
            days[(row["account_id"], row["date"])] -= row["amount"]
            days[(event.account_id, event.date)] += event.amount
            moves[row["account_id"]] -= row["amount"]
            moves[event.account_id] += event.amount
        await _write(
            cur,
            "UPDATE ledger_transactions SET account_id = %(account)s, date = %(date)s, "
            "amount = %(amount)s WHERE id = %(id)s",
            {"account": event.account_id, "date": event.date, "amount": event.amount},
            event.originator_id,
            days,
            position,
            moves,
        )

    @handles(Transaction.Deleted, Transaction.Restored)
    async def on_transaction_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        counted = isinstance(event, Transaction.Restored)
        row = await _row(cur, event.originator_id)
        days: dict[tuple[UUID, date], Decimal] = {}
        moves: dict[UUID, Decimal] = {}
        if row is not None and row["counted"] != counted:  # it moves only what changes
            change = row["amount"] if counted else -row["amount"]
            days[(row["account_id"], row["date"])] = change
            moves[row["account_id"]] = change
        await _write(
            cur,
            "UPDATE ledger_transactions SET counted = %(counted)s WHERE id = %(id)s",
            {"counted": counted},
            event.originator_id,
            days,
            position,
            moves,
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


async def _row(cur: Cursor, transaction_id: UUID) -> dict[str, Any] | None:
    await cur.execute(
        "SELECT account_id, date, amount, counted FROM ledger_transactions WHERE id = %s",
        (transaction_id,),
    )
    return await cur.fetchone()


async def _write(
    cur: Cursor,
    update: str,
    values: dict[str, Any],
    transaction_id: UUID,
    days: dict[tuple[UUID, date], Decimal],
    position: int,
    moves: dict[UUID, Decimal],
) -> None:
    """A change of one transaction in one statement: its row, what it adds to its accounts'
    days, and what it moved each balance by at ``position`` (a move of 0 is not noted)."""
    move_accounts, moved = columns([move for move in moves.items() if move[1]], 2)
    await cur.execute(
        f"WITH changed AS ({update} RETURNING 1), "  # noqa: S608 - the handlers' constants
        f"days AS ({ADD_TO_DAYS} RETURNING 1), "
        "moves AS (INSERT INTO ledger_balance_moves (position, account_id, change) "
        "SELECT %(position)s, * FROM unnest(%(move_accounts)s::uuid[], %(moved)s::numeric[]) "
        "RETURNING 1) "
        "SELECT 1",
        {
            **values,
            "id": transaction_id,
            **_days(days),
            "position": position,
            "move_accounts": move_accounts,
            "moved": moved,
        },
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
