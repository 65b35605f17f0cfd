"""The transactions read model copies a batch's recordings in together, and still applies
what follows them in the same batch (an amendment, a deletion) to the rows they made."""

from __future__ import annotations

import asyncio
from datetime import date, time
from decimal import Decimal
from uuid import uuid4

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.imports import StatementLine
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
