"""Aggregates kept in memory: a command sees every change committed before it began, by any
process; a read that a change overtook is not kept; a save is read back as stored."""

from __future__ import annotations

import asyncio
from copy import deepcopy
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
import pytest

from domain.aggregate_cache import MISSING, LogChanges
from domain.base import Actor, _copied, changes_query
from domain.budgeting.budget import BudgetTerms
from domain.budgeting.periods import PeriodKind
from domain.ledger.account import Account, AccountType
from domain.ledger.application import Ledger
from domain.ledger.categories import Categories
from domain.ledger.rules import Rule, Rules
from domain.ledger.transaction import Transaction, TransactionDetails
from infra import database
from infra.settings import Settings
from projections import access, runtime

ACTOR = Actor(uuid4(), "test")
X, Y = uuid4(), uuid4()


class Log:
    """A log whose next answers a test decides."""

    def __init__(self) -> None:
        self.next: list[tuple[int, UUID]] = []
        self.asked = 0

    def __call__(self, position: int) -> list[tuple[int, UUID]]:
        self.asked += 1
        answer = [change for change in self.next if change[0] > position]
        self.next = []
        return answer


def test_a_kept_aggregate_is_forgotten_when_the_log_says_it_changed() -> None:
    log = Log()
    changes = LogChanges(log, lambda: 10)
    changes.keep(X, "x at 10", holds_up_to=10)
    changes.keep(Y, "y at 10", holds_up_to=10)
    log.next = [(11, Y)]
    with changes.command():
        assert changes.get(X) == "x at 10"
        assert changes.get(Y) is None
    assert changes.position == 11


def test_a_read_that_a_later_change_overtook_is_not_kept() -> None:
    log = Log()
    changes = LogChanges(log, lambda: 10)
    log.next = [(11, X)]
    changes.ask()  # the change at 11 is seen while X, read at 10, was on its way
    changes.keep(X, "x at 10", holds_up_to=10)
    assert changes.get(X) is None
    changes.keep(X, "x at 11", holds_up_to=11)
    assert changes.get(X) == "x at 11"


def test_a_command_asks_the_log_once_and_only_a_command_takes_what_is_kept(
    two_processes: tuple[Ledger, Ledger],
) -> None:
    here, elsewhere = two_processes
    changes = changes_of(here)
    workspace_id = uuid4()
    account = open_account(here, workspace_id)
    asked = 0
    ask = changes.ask

    def counted_ask() -> None:
        nonlocal asked
        asked += 1
        ask()

    changes.ask = counted_ask  # type: ignore[method-assign]
    with changes.command():
        for _ in range(3):
            here.get_account(workspace_id, account.id)
    assert asked == 1
    assert changes.get(account.id) is not None  # kept
    closing = elsewhere.get_account(workspace_id, account.id)
    closing.close(ACTOR)
    elsewhere.save_all(closing)
    assert here.get_account(workspace_id, account.id).closed  # read from the log, not kept
    assert asked == 1


def test_far_behind_everything_kept_is_forgotten_and_the_next_question_starts_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("domain.aggregate_cache.CHANGES_PER_QUERY", 2)
    log = Log()
    last = 0
    changes = LogChanges(log, lambda: last)
    changes.keep(X, "x", holds_up_to=0)
    log.next = [(1, uuid4()), (2, uuid4())]
    last = 900  # the log has gone on since: the next question starts there
    changes.ask()
    assert changes.get(X) is None
    assert changes.position == 900
    changes.keep(Y, "y", holds_up_to=2)
    assert changes.get(Y) is None
    changes.keep(Y, "y", holds_up_to=900)
    assert changes.get(Y) == "y"


@pytest.fixture
def two_processes(own_schema: Settings) -> Any:
    """Two ledgers with pools (and kept aggregates) of their own, as two processes have."""
    database.create_schema(own_schema)
    here = Ledger(database.event_store_env(own_schema))
    elsewhere_settings = msgspec.structs.replace(
        own_schema, database_url=own_schema.database.replace("127.0.0.1", "localhost")
    )
    elsewhere = Ledger(database.event_store_env(elsewhere_settings))
    assert here.repository.changes is not elsewhere.repository.changes  # type: ignore[attr-defined]
    yield here, elsewhere
    here.close()
    elsewhere.close()


def changes_of(ledger: Ledger) -> LogChanges:
    changes: LogChanges = ledger.repository.changes  # type: ignore[attr-defined]
    return changes


def open_account(ledger: Ledger, workspace_id: UUID) -> Account:
    account, _ = ledger.open_account(
        uuid4(), workspace_id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), ACTOR
    )
    return account


def test_a_command_sees_what_another_process_committed_before_it_began(
    two_processes: tuple[Ledger, Ledger],
) -> None:
    here, elsewhere = two_processes
    workspace_id = uuid4()
    account = open_account(here, workspace_id)
    changes = changes_of(here)
    with changes.command():
        assert here.get_account(workspace_id, account.id).name == "Checking"  # now kept
    closing = elsewhere.get_account(workspace_id, account.id)
    closing.close(ACTOR)
    elsewhere.save_all(closing)
    with changes.command():
        assert here.get_account(workspace_id, account.id).closed


def test_an_id_known_to_have_no_aggregate_is_found_once_another_process_made_it(
    two_processes: tuple[Ledger, Ledger],
) -> None:
    here, elsewhere = two_processes
    account_id, workspace_id = uuid4(), uuid4()
    changes = changes_of(here)
    with changes.command():
        assert here.find(Account, account_id) is None
        assert changes.get(account_id) is MISSING
    elsewhere.open_account(
        account_id, workspace_id, "Savings", AccountType.SAVINGS, "EUR", Decimal(0), ACTOR
    )
    with changes.command():
        found = here.find(Account, account_id)
    assert found is not None
    assert found.name == "Savings"


def test_what_a_command_saved_it_reads_back_as_stored(
    two_processes: tuple[Ledger, Ledger],
) -> None:
    here, _ = two_processes
    workspace_id = uuid4()
    account = open_account(here, workspace_id)
    changes = changes_of(here)
    with changes.command():
        kept = here.get_account(workspace_id, account.id)
        kept.close(ACTOR)
        here.save_all(kept)
        again = here.get_account(workspace_id, account.id)
    assert again.closed
    assert again.version == kept.version


def test_a_command_s_changes_to_its_copy_do_not_reach_what_is_kept(
    two_processes: tuple[Ledger, Ledger],
) -> None:
    here, _ = two_processes
    workspace_id = uuid4()
    account = open_account(here, workspace_id)
    changes = changes_of(here)
    with changes.command():
        copy = here.get_account(workspace_id, account.id)
        copy.close(ACTOR)  # and never saved: the command failed after this
    with changes.command():
        assert not here.get_account(workspace_id, account.id).closed


def test_a_copy_shares_immutable_values_and_copies_what_could_change() -> None:
    workspace_id = uuid4()
    rules = Rules.start(workspace_id, ACTOR)
    rules.add(
        Rule(uuid4(), "coffee", contains="COFFEE", tags=("food",), category_id=X), None, ACTOR
    )
    categories = Categories.start(workspace_id, ACTOR)
    categories.add("Bench", None, ACTOR)
    terms = BudgetTerms(
        "Food",
        PeriodKind.MONTHLY,
        date(2026, 1, 1),
        None,
        "EUR",
        Decimal(100),
        category_limits={X: Decimal(5)},
    )

    rules.collect_events(), categories.collect_events()  # as kept: saved
    rules_copy, categories_copy = deepcopy(rules), deepcopy(categories)
    # Frozen values of immutable fields (a rule's tags are a tuple) are shared …
    assert rules_copy.rules[0] is rules.rules[0]
    assert next(iter(categories_copy.categories.values())) is next(
        iter(categories.categories.values())
    )
    # … their containers are not: a command changing its copy leaves what is kept alone.
    assert rules_copy.rules is not rules.rules
    assert categories_copy.categories is not categories.categories
    rules_copy.add(Rule(uuid4(), "tea", contains="TEA", category_id=X), 0, ACTOR)
    categories_copy.add("Another", None, ACTOR)
    assert [r.name for r in rules.rules] == ["coffee"]
    assert not rules.pending_events
    assert len(categories.categories) == len(categories_copy.categories) - 1
    # A frozen dataclass holding a dict is copied, dict and all.
    terms_copy = _copied(terms)
    assert terms_copy == terms
    assert terms_copy.category_limits is not terms.category_limits


def test_asking_what_changed_reads_the_changes_not_the_whole_log(own_schema: Settings) -> None:
    """The server's estimate of the log's rows per page dates from an index made on it while
    it was tiny (as the read API makes one at its first start) and nothing has analysed it
    since: a range bounded below only was then planned as a scan of the whole log, sorted,
    for every command."""
    database.create_schema(own_schema)
    ledger = Ledger(database.event_store_env(own_schema))
    try:
        workspace_id = uuid4()
        accounts = [open_account(ledger, workspace_id) for _ in range(5)]
        asyncio.run(_narrowing_index(own_schema))
        for _ in range(6):
            ledger.save(*(_recording(workspace_id, accounts[0].id) for _ in range(500)))
        more = [open_account(ledger, workspace_id) for _ in range(3)]
        head = ledger.recorder.max_notification_id()
        assert head is not None
        # The three accounts' events, in order, and nothing past the end.
        assert ledger._changes_since(head - 3) == [
            (head - 2, more[0].id),
            (head - 1, more[1].id),
            (head, more[2].id),
        ]
        assert ledger._changes_since(head) == []
        table = ledger._table()
    finally:
        ledger.close()
    with psycopg.connect(own_schema.database, **database.connection_kwargs(own_schema)) as conn:
        [statistics] = conn.execute(
            "SELECT count(*) AS n FROM pg_stats WHERE schemaname = %s",
            (own_schema.database_schema,),
        )
        assert statistics == {"n": 0}
        plan = "\n".join(
            row["QUERY PLAN"]
            for row in conn.execute(
                f"EXPLAIN {changes_query(table, 'originator_id')}", (head - 3, 10_000)
            )  # type: ignore[arg-type]
        )
    assert "Seq Scan" not in plan, plan


async def _narrowing_index(settings: Settings) -> None:
    conn = await runtime.open_connection(settings)
    try:
        await conn.set_autocommit(True)
        assert await access.create_index(conn)
    finally:
        await conn.close()


def _recording(workspace_id: UUID, account_id: UUID) -> Transaction:
    details = TransactionDetails(
        account_id=account_id,
        date=date(2026, 1, 1),
        amount=Decimal("-1.00"),
        currency="EUR",
        description="a long description " * 40,
        merchant=None,
        category_id=None,
        tags=(),
        notes=None,
    )
    return Transaction.record(uuid4(), workspace_id, details, ACTOR)
