"""The read models that keep a batch's transactions in memory (ledger, dashboard,
transactions) leave the same tables whether a transaction's recording and changes come in
one batch, in batches of their own, or one event a batch."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.import_chunks import ImportChunks
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings
from projections import registry, runtime
from tests.projections.processes import forget, query, snapshot

BY = Actor(uuid4(), "tests")
TABLES = {
    "ledger": ("ledger_transactions", "ledger_account_days", "ledger_balance_moves"),
    "dashboard": (
        "dashboard_transactions", "dashboard_months", "dashboard_categories",
        "dashboard_account_months", "dashboard_workspaces",
    ),
    "transactions": ("transactions", "transactions_category_days"),
}  # fmt: skip
GROCERIES, TRAVEL = uuid4(), uuid4()


def catch_up(settings: Settings, name: str) -> None:
    [projection] = registry.select(settings, [name])
    asyncio.run(runtime.catch_up_once(settings, projection))


@pytest.mark.parametrize("name", list(TABLES))
def test_changes_read_together_leave_the_tables_of_one_event_a_batch(
    own_schema: Settings, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    workspace_id = uuid4()
    cash, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    card, _ = ledger.open_account(
        uuid4(), workspace_id, "Card", AccountType.CHECKING, "EUR", Decimal(0), BY
    )

    def record(chunk: ImportChunks, n: int) -> tuple[Transaction, TransactionDetails]:
        details = TransactionDetails(
            cash.id, date(2026, 2, 1), Decimal(f"-{n}"), "EUR", f"Shop {n}", None, None, (), None
        )
        recorded = Transaction.recorded(uuid4(), workspace_id, details, BY)
        chunk.add(recorded)
        return recorded.mutate(None), details

    chunk = ImportChunks(ledger)
    earlier = [record(chunk, n) for n in (1, 2, 3, 4)]
    chunk.save()
    catch_up(own_schema, name)  # the recordings, in a batch of their own

    chunk = ImportChunks(ledger)
    (first, details), (second, _), (third, third_details), (fourth, _) = earlier
    first.amend(replace(details, account_id=card.id, amount=Decimal("-7")), BY)
    first.delete(BY)
    first.restore(BY)
    first.amend(replace(details, account_id=card.id, amount=Decimal("-8")), BY)
    first.categorize(GROCERIES, BY)
    second.delete(BY)
    third.amend(replace(third_details, date=date(2026, 3, 2)), BY)
    fourth.categorize(TRAVEL, BY)
    fourth.delete(BY)
    fourth.restore(BY)
    fifth, _ = record(chunk, 5)  # recorded and changed in the same batch
    fifth.categorize(GROCERIES, BY)
    for transaction in (first, second, third, fourth, fifth):
        for event in transaction.collect_events():
            chunk.add(event)
    chunk.save()
    ledger.close()
    catch_up(own_schema, name)  # the changes, read together
    together = snapshot(own_schema, TABLES[name])
    forget(own_schema, name)
    monkeypatch.setattr(runtime, "BATCH_SIZE", 1)
    catch_up(own_schema, name)

    assert snapshot(own_schema, TABLES[name]) == together
    # Counted: the first (-8, on the card), third (-3, in March), fourth (-4), fifth (-5).
    if name == "ledger":
        [(cash_balance,)] = query(
            own_schema,
            "SELECT sum(change) FROM ledger_balance_moves WHERE account_id = %s",
            cash.id,
        )
        assert cash_balance == Decimal(-12)
    if name == "dashboard":
        expenses = query(own_schema, "SELECT month, expenses FROM dashboard_months ORDER BY month")
        assert expenses == [(date(2026, 2, 1), Decimal(17)), (date(2026, 3, 1), Decimal(3))]
        categories = query(
            own_schema,
            "SELECT category, expenses FROM dashboard_categories WHERE expenses > 0 ORDER BY 2",
        )
        assert categories == [("", 3), (str(TRAVEL), 4), (str(GROCERIES), 13)]
    if name == "transactions":
        days = query(
            own_schema,
            "SELECT category_id, count, total FROM transactions_category_days ORDER BY total",
        )
        assert days == [(TRAVEL, 1, Decimal(4)), (GROCERIES, 2, Decimal(13))]
