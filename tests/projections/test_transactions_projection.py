"""The transactions read model copies a batch's recordings in together, and still applies
what follows them in the same batch (an amendment, a deletion) to the rows they made."""

from __future__ import annotations

import asyncio
from datetime import date, time
from decimal import Decimal
from uuid import UUID, uuid4

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.imports import StatementLine
from domain.ledger.transaction import TransactionDetails
from infra import database
from infra.settings import Settings
from projections import runtime
from projections.transactions.projector import TransactionsProjection
from tests.projections.processes import query

BY = Actor(uuid4(), "tests")


def test_recordings_and_the_changes_after_them_in_one_batch_leave_each_row_as_it_stands(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    workspace_id = uuid4()
    account, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    lines = [
        StatementLine(
            n + 2,
            date(2026, 2, 1 + n),
            Decimal(f"-{n + 1}.5"),
            f"Shop\\{n}\t«{n}»",
            notes="a\nb" if n else None,
            tags=("x", "y,z") if n == 1 else (),
            time=time(9, n),
        )
        for n in range(5)
    ]
    report = ledger.import_statement(
        uuid4(), workspace_id, account.id, "s.csv", "csv", lines, [], False, BY
    )
    first, second, third = report.transactions[:3]
    changes = {"date": date(2026, 3, 1), "amount": Decimal("-9.99"), "description": "Amended"}
    ledger.amend_transaction(workspace_id, first.id, changes, None, BY)
    ledger.delete_transaction(workspace_id, second.id, None, BY)
    ledger.import_statement(  # more recordings after the changes
        uuid4(),
        workspace_id,
        account.id,
        "t.csv",
        "csv",
        [StatementLine(2, date(2026, 4, 1), Decimal(7), "Refund")],
        [],
        False,
        BY,
    )
    ledger.close()

    asyncio.run(runtime.catch_up_once(own_schema, TransactionsProjection()))  # one batch

    rows = query(
        own_schema,
        "SELECT id, date, time, amount, description, tags, notes, deleted, version "
        "FROM transactions ORDER BY date, description",
    )
    by_id = {row[0]: row[1:] for row in rows}
    assert len(rows) == 6
    assert by_id[first.id] == (
        date(2026, 3, 1),
        time(9, 0),
        Decimal("-9.99"),
        "Amended",
        [],
        None,
        False,
        2,
    )
    assert by_id[second.id][-2:] == (True, 2)
    assert by_id[second.id][4:6] == (["x", "y,z"], "a\nb")
    assert by_id[third.id] == (
        date(2026, 2, 3),
        time(9, 2),
        Decimal("-3.5"),
        "Shop\\2 «2»",
        [],
        "a\nb",
        False,
        1,
    )
    assert [row[4] for row in rows][-1] == "Refund"


DAYS = (
    "SELECT workspace_id, category_id, currency, date, count, total::text, squares::text "
    "FROM transactions_category_days ORDER BY 1, 2, 3, 4"
)
SUMMED = (
    "SELECT workspace_id, category_id, currency, date, count(*), "
    "trim_scale(sum(-amount))::text, trim_scale(sum(amount * amount))::text FROM transactions "
    "WHERE category_id IS NOT NULL AND amount < 0 AND transfer_id IS NULL AND NOT deleted "
    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)


def test_each_category_s_days_sum_its_expenses_as_they_stand_in_one_batch_or_many(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    workspace_id = uuid4()
    cash, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    bank, _ = ledger.open_account(
        uuid4(), workspace_id, "Bank", AccountType.CHECKING, "EUR", Decimal(0), BY
    )

    def record(amount: str, day: int, category: str | None = "Food", shop: str = "Shop") -> UUID:
        details = TransactionDetails(
            cash.id, date(2026, 5, day), Decimal(amount), "EUR", shop, None, None, (), None
        )
        return ledger.record_transaction(None, workspace_id, details, BY, category)[0].id

    amended, recategorized, deleted, restored = (record(f"-{n}.25", 1) for n in (1, 2, 3, 4))
    record("-10.10", 2)
    record("25", 2)  # income: not an expense
    record("-7", 3, None, "Kiosk")  # no category
    record("-3", 4)
    cents = record("-2.25", 4)
    on = date(2026, 5, 1)
    ledger.transfer(
        uuid4(), workspace_id, cash.id, bank.id, on, Decimal(50), None, "Save", None, BY
    )
    ledger.amend_transaction(workspace_id, amended, {"amount": Decimal("-99.5")}, None, BY)
    ledger.amend_transaction(workspace_id, amended, {"date": date(2026, 5, 3)}, None, BY)
    _, other, _ = ledger.add_category(workspace_id, "Ferries", None, BY)
    ledger.categorize_transactions(workspace_id, [recategorized], other, BY)
    ledger.delete_transaction(workspace_id, deleted, None, BY)
    ledger.delete_transaction(workspace_id, restored, None, BY)
    ledger.restore_transaction(workspace_id, restored, None, BY)

    asyncio.run(runtime.catch_up_once(own_schema, TransactionsProjection()))  # one batch
    days = query(own_schema, DAYS)
    assert days == query(own_schema, SUMMED)
    food = ledger.categories(workspace_id, BY).find_or_add("Food", BY)
    assert {(row[1], row[3], row[4], row[5], row[6]) for row in days} == {
        (food, date(2026, 5, 1), 1, "4.25", "18.0625"),  # restored
        (food, date(2026, 5, 2), 1, "10.1", "102.01"),
        (food, date(2026, 5, 3), 1, "99.5", "9900.25"),  # amended twice
        (other, date(2026, 5, 1), 1, "2.25", "5.0625"),  # recategorized
        (food, date(2026, 5, 4), 2, "5.25", "14.0625"),
    }

    # Then in a later batch: changes of rows the table already holds.
    ledger.amend_transaction(workspace_id, amended, {"category_id": other}, None, BY)
    ledger.delete_transaction(workspace_id, recategorized, None, BY)
    record("-1.15", 2)
    ledger.delete_transaction(workspace_id, cents, None, BY)  # leaves 3, not 3.00
    ledger.close()
    asyncio.run(runtime.catch_up_once(own_schema, TransactionsProjection()))
    assert query(own_schema, DAYS) == query(own_schema, SUMMED)

    # A table of transactions from before the days were kept: they are summed once, at start.
    summed = query(own_schema, SUMMED)
    query(own_schema, "DELETE FROM transactions_category_days RETURNING 1")

    async def start_again() -> None:
        async with await runtime.open_connection(own_schema) as conn:
            await runtime.create_tables(conn, TransactionsProjection())
            await conn.commit()

    asyncio.run(start_again())
    assert query(own_schema, DAYS) == summed
    asyncio.run(start_again())  # and only then: a second start adds nothing
    assert query(own_schema, DAYS) == summed
