"""An import's recordings: made without their aggregates, encoded as the store encodes them,
and saved in chunks, each one transaction: cut short, an import keeps whole chunks, and the
same file again adds the rest, none twice; other commands commit between chunks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.base import Actor, DomainError, build_mapper, natural_id
from domain.ledger import import_chunks
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.imports import Import, StatementLine, imported_transaction_ids
from domain.ledger.transaction import (
    Categorization,
    CategorizedBy,
    Origin,
    Transaction,
    TransactionDetails,
)
from infra import database
from infra.settings import Settings

BY = Actor(uuid4(), "import")
WORKSPACE = uuid4()
DETAILS = TransactionDetails(
    uuid4(),
    date(2026, 3, 2),
    Decimal("-3.205"),
    "EUR",
    "Café «Zoë»\tline",
    "Café Zoë",
    uuid4(),
    ("coffee", "ünïcode"),
    "two\nlines",
    time(8, 15),
)
ORIGIN = Origin(external_id="fitid:42", import_id=uuid4())
LEARNED = Categorization(CategorizedBy.LEARNED, Decimal("0.67"))


def test_a_recording_made_without_its_aggregate_is_the_event_record_makes() -> None:
    transaction_id = uuid4()
    made = Transaction.record(transaction_id, WORKSPACE, DETAILS, BY, LEARNED, ORIGIN)
    [expected] = made.pending_events
    event = Transaction.recorded(transaction_id, WORKSPACE, DETAILS, BY, LEARNED, ORIGIN)

    assert type(event) is Transaction.Recorded
    assert {**vars(event), "timestamp": None} == {**vars(expected), "timestamp": None}
    replayed = event.mutate(None)
    assert isinstance(replayed, Transaction)
    assert (replayed.id, replayed.version, replayed.details) == (made.id, 1, made.details)
    assert (replayed.origin, replayed.confidence) == (made.origin, made.confidence)


def test_a_recording_made_without_its_aggregate_is_checked_as_record_checks() -> None:
    zero = TransactionDetails(
        uuid4(), date(2026, 3, 2), Decimal(0), "EUR", "Nothing", None, None, (), None
    )
    with pytest.raises(DomainError, match="cannot be zero"):
        Transaction.recorded(uuid4(), WORKSPACE, zero, BY, None, ORIGIN)
    far = TransactionDetails(
        uuid4(), date(9999, 1, 1), Decimal(-1), "EUR", "Later", None, None, (), None
    )
    with pytest.raises(DomainError):
        Transaction.recorded(uuid4(), WORKSPACE, far, BY, None, ORIGIN)


@pytest.mark.parametrize(
    "event",
    [
        Transaction.recorded(uuid4(), WORKSPACE, DETAILS, BY, LEARNED, ORIGIN),
        Transaction.recorded(
            uuid4(),
            WORKSPACE,
            TransactionDetails(
                uuid4(), date(2026, 1, 1), Decimal(5), "JPY", "Pay", None, None, (), None
            ),
            BY,
        ),
        Import.complete(
            uuid4(),
            WORKSPACE,
            uuid4(),
            "big.csv",
            "csv",
            2,
            [{"line": 3, "transaction_id": uuid4(), "reason": "duplicate"}],
            [{"line": 4, "reason": "amount: not a number"}],
            BY,
        ).pending_events[0],
    ],
    ids=["recorded, every field", "recorded, the fewest", "an import's report"],
)
def test_an_event_encoded_the_fast_way_is_stored_byte_for_byte_as_the_mapper_stores_it(
    event: Any,
) -> None:
    mapper = build_mapper()
    fast = import_chunks.encoded(mapper, event)
    assert fast == mapper.to_stored_event(event)


def test_an_event_of_a_type_the_fast_way_does_not_know_is_encoded_by_the_mapper() -> None:
    mapper = build_mapper()
    event = Transaction.recorded(uuid4(), WORKSPACE, DETAILS, BY, LEARNED, ORIGIN)
    object.__setattr__(event, "notes", frozenset())  # no transcoding: the library says so
    with pytest.raises(TypeError, match="not serializable"):
        import_chunks.encoded(mapper, event)


@pytest.fixture
def ledger(own_schema: Settings) -> Iterator[Ledger]:
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    yield ledger
    ledger.close()


def lines(count: int) -> list[StatementLine]:
    return [
        StatementLine(n + 2, date(2026, 1, 1 + n % 28), Decimal(-1 - n), f"Shop {n}")
        for n in range(count)
    ]


def recorded_ids(settings: Settings, account_id: UUID) -> list[UUID]:
    """The transactions of the account in the log, once per recording."""
    with psycopg.connect(settings.database) as conn:
        rows = conn.execute(
            f"SELECT originator_id FROM {settings.database_schema}.centsource_events "  # noqa: S608
            "WHERE topic = %s AND convert_from(state, 'UTF8')::jsonb #>> "
            "'{account_id,_data_}' = %s",
            ("domain.ledger.transaction:Transaction.Recorded", account_id.hex),
        ).fetchall()
    return [row[0] for row in rows]


def test_an_import_cut_short_keeps_whole_chunks_and_the_same_file_again_adds_the_rest(
    ledger: Ledger, own_schema: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_chunks, "CHUNK_EVENTS", 4)
    account, _ = ledger.open_account(
        uuid4(), WORKSPACE, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    statement = lines(10)
    saved = import_chunks.save_stored
    positions: list[int] = []
    meanwhile: list[int] = []

    def save_then_crash(*args: Any) -> int:
        if len(positions) == 2:
            raise KeyboardInterrupt  # the third chunk: nothing of it is sent
        positions.append(saved(*args))
        # Between chunks the event table is free: another command commits at once.
        _, position = ledger.value_account(WORKSPACE, account.id, date(2026, 1, 1), Decimal(1), BY)
        meanwhile.append(position)
        return positions[-1]

    monkeypatch.setattr(import_chunks, "save_stored", save_then_crash)
    import_id = uuid4()
    progress: list[tuple[str, int]] = []
    with pytest.raises(KeyboardInterrupt):
        ledger.import_statement(
            import_id,
            WORKSPACE,
            account.id,
            "big.csv",
            "csv",
            statement,
            [],
            False,
            BY,
            progress=lambda stage, done, total: progress.append((stage, done)),
        )
    kept = recorded_ids(own_schema, account.id)
    assert len(kept) == 8  # two whole chunks of four, in their order
    assert positions[0] < meanwhile[0] < positions[1] < meanwhile[1]
    assert [done for stage, done in progress if stage == "kept"] == [4, 8]
    assert ledger.find(Import, import_id) is None  # the report goes with the last chunk

    monkeypatch.setattr(import_chunks, "save_stored", saved)
    again = ledger.import_statement(
        uuid4(), WORKSPACE, account.id, "big.csv", "csv", statement, [], False, BY
    )
    assert (again.imported, len(again.skipped)) == (2, 8)
    assert [row["line"] for row in again.skipped] == [line.line for line in statement[:8]]
    everything = recorded_ids(own_schema, account.id)
    assert len(everything) == len(set(everything)) == 10
    assert set(kept) < set(everything)
    report = ledger.import_statement(
        uuid4(), WORKSPACE, account.id, "big.csv", "csv", statement, [], False, BY
    )
    assert (report.imported, len(report.skipped)) == (0, 10)
    assert len(recorded_ids(own_schema, account.id)) == 10


def test_an_import_reports_its_first_transactions_and_counts_them_all(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("domain.ledger.application.KEPT_TRANSACTIONS", 3)
    monkeypatch.setattr(import_chunks, "CHUNK_EVENTS", 2)
    account, _ = ledger.open_account(
        uuid4(), WORKSPACE, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    statement = lines(7)
    report = ledger.import_statement(
        uuid4(), WORKSPACE, account.id, "s.csv", "csv", statement, [], False, BY
    )
    assert report.imported == 7
    assert [t.details.description for t in report.transactions] == ["Shop 0", "Shop 1", "Shop 2"]
    assert all(t.version == 1 for t in report.transactions)
    imported = ledger.find(Import, report.import_id)
    assert imported is not None
    assert imported.imported == 7
    assert ledger.get_transaction(WORKSPACE, report.transactions[0].id).details == (
        report.transactions[0].details
    )


@given(st.lists(st.text(max_size=40), max_size=5), st.uuids(), st.uuids())
def test_an_imports_ids_made_together_are_the_natural_ids_made_one_by_one(
    keys: list[str], workspace_id: UUID, account_id: UUID
) -> None:
    expected = [natural_id(workspace_id, account_id, "import", key) for key in keys]
    assert imported_transaction_ids(workspace_id, account_id, keys) == expected
