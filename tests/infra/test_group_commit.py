"""Group commit: saves made at once share one transaction, a refused save fails alone, a
group that fails midway commits nothing, and an idempotent retry finds the first answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)

from domain.base import Actor, ConflictError
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import TransactionDetails
from infra import database
from infra.group_commit import GroupCommit, Save
from infra.settings import Settings

ACTOR = Actor(uuid4(), "test")


def event(originator_id: UUID, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id, version, "tests:Event", b"{}")


@pytest.fixture
def ledger(own_schema: Settings) -> Ledger:
    database.create_schema(own_schema)
    return Ledger(database.event_store_env(own_schema))


def recorder(ledger: Ledger) -> database.ChunkedApplicationRecorder:
    recorder = ledger.recorder
    assert isinstance(recorder, database.ChunkedApplicationRecorder)
    return recorder


def stored(ledger: Ledger) -> list[UUID | str]:
    return [n.originator_id for n in ledger.recorder.select_notifications(start=1, limit=1000)]


def test_saves_queued_while_a_group_is_written_are_written_together_as_the_next_group() -> None:
    groups: list[list[int]] = []
    first_group_started, release = threading.Event(), threading.Event()

    def write(group: list[Save[int]]) -> None:
        groups.append([e for save in group for e in save.events])
        if len(groups) == 1:
            first_group_started.set()
            release.wait(5)
        for save in group:
            save.positions = list(save.events)

    commit: GroupCommit[int] = GroupCommit(write)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(commit.submit, [0])
        assert first_group_started.wait(5)
        rest = [pool.submit(commit.submit, [n]) for n in range(1, 8)]
        while len(commit._queue) < 7:
            threading.Event().wait(0.001)
        release.set()
        assert first.result() == [0]
        assert [f.result() for f in rest] == [[n] for n in range(1, 8)]
    assert groups == [[0], [1, 2, 3, 4, 5, 6, 7]]


def test_an_error_out_of_a_group_s_write_fails_each_of_its_saves_and_the_next_group_goes_on() -> (
    None
):
    calls = 0

    def write(group: list[Save[int]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("the server went away")
        for save in group:
            save.positions = [1]

    commit: GroupCommit[int] = GroupCommit(write)
    with pytest.raises(OperationalError):
        commit.submit([1])
    assert commit.submit([2]) == [1]


def test_one_refused_save_in_a_group_fails_alone_and_the_others_commit(ledger: Ledger) -> None:
    taken = uuid4()
    ledger.recorder.insert_events([event(taken)])
    others = [uuid4(), uuid4(), uuid4()]
    group = [
        Save([event(others[0])]),
        Save([event(taken)]),
        *(Save([event(o)]) for o in others[1:]),
    ]

    recorder(ledger)._write_group(group)

    assert isinstance(group[1].error, IntegrityError)
    assert group[1].positions is None
    assert [s.error for s in (group[0], group[2], group[3])] == [None, None, None]
    assert stored(ledger) == [taken, *others]
    positions = [p for s in (group[0], group[2], group[3]) for p in s.positions or []]
    assert positions == sorted(positions)
    assert len(positions) == 3


def test_a_save_the_database_refuses_for_its_content_fails_alone(ledger: Ledger) -> None:
    kept = uuid4()
    refused = Save([StoredEvent(uuid4(), 1, "tests:Nul\x00Event", b"{}")])
    group = [refused, Save([event(kept)])]

    recorder(ledger)._write_group(group)

    assert isinstance(refused.error, PersistenceError)
    assert group[1].error is None
    assert stored(ledger) == [kept]


def test_a_group_that_fails_midway_commits_none_of_its_saves(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third of four events is never written: the two before it are not committed."""
    group_recorder = recorder(ledger)
    insert = group_recorder._insert
    inserted = 0

    def insert_one_by_one_and_die_at_the_third(curs: Any, events: Any) -> list[int]:
        nonlocal inserted
        positions = []
        for one in events:
            if inserted == 2:
                raise SystemExit("the process died mid-group")
            positions += insert(curs, [one])
            inserted += 1
        return positions

    monkeypatch.setattr(group_recorder, "_insert", insert_one_by_one_and_die_at_the_third)
    group: list[Save[StoredEvent]] = [Save([event(uuid4())]) for _ in range(4)]
    with pytest.raises(SystemExit):
        group_recorder._write_group(group)
    assert inserted == 2
    assert stored(ledger) == []


def test_concurrent_commands_commit_in_groups_and_a_retry_of_each_finds_its_first_answer(
    ledger: Ledger,
) -> None:
    """Each command is sent twice at once, as a client retrying with its Idempotency-Key
    (whose transaction id is derived from the key): each transaction is recorded once, and
    its twin finds it or loses the race (409), never records it again."""
    workspace_id = uuid4()
    account, _ = ledger.open_account(
        uuid4(), workspace_id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), ACTOR
    )
    _, food, _ = ledger.add_category(workspace_id, "Food", None, ACTOR)
    ids = [uuid4() for _ in range(12)]

    def record(transaction_id: UUID) -> str:
        details = TransactionDetails(
            account_id=account.id,
            date=date(2026, 3, 14),
            amount=Decimal("-5.75"),
            currency="EUR",
            description=f"Coffee {transaction_id}",
            merchant=f"Cafe {transaction_id}",
            category_id=food,
            tags=(),
            notes=None,
        )
        try:
            _, _, position = ledger.record_transaction(transaction_id, workspace_id, details, ACTOR)
        except ConflictError:
            return "conflict"
        return "recorded" if position else "found"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(record, ids + ids))
    recorded = [i for i in stored(ledger) if i in ids]
    assert sorted(recorded) == sorted(ids)
    assert outcomes.count("recorded") == len(ids)
    assert set(outcomes) <= {"recorded", "found", "conflict"}
