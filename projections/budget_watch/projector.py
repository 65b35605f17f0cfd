"""Follows transactions, budgets and alert rules, and records each threshold crossing once;
and completes goals that follow balances when their balances reach the target.

This is a process manager, not a read model: it is never rebuilt. After a batch it waits until
the transactions, ledger and budgets projections have reached the batch, reads each touched
budget's spending there, and reports it to the Budgeting application. The budget and the alert
rules remember what they announced, so a batch handled twice (a crash before the position
commits, a replay) records nothing new, and a crossing from an edit, an import or a deletion
counts like one from a new expense. It keeps the date it last saw of each transaction, so a
change asks the periods the transaction left and entered, and no others; a change of a budget
or of an alert rule asks the period that holds today and those it crossed before.

An ABSOLUTE alert rule that names no budget watches no budget: it counts what went out under
its categories (all, when none named) in the workspace's base currency each calendar month,
and triggers once a month, on that; "today" is the workspace's, by the watch's clock.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.budgeting.alerts import AlertRule, month_of, terms_from
from domain.budgeting.application import Budgeting
from domain.budgeting.budget import Budget
from domain.budgeting.periods import Period
from domain.goals.application import Goals
from domain.goals.goal import Goal
from domain.ledger.account import Account
from domain.ledger.transaction import Transaction
from infra.database import event_store_env
from infra.settings import Settings
from projections.budgets import view
from projections.goals import view as goals_view
from projections.runtime import (
    Cursor,
    Projection,
    handles,
    open_connection,
    wait_for_projections,
)

WAITED_FOR = ("transactions", "ledger", "budgets", "goals", "workspaces")
TABLES = (
    # The date of each transaction when the watch last saw it: a change of date takes spending
    # out of one period as it adds it to another.
    """CREATE TABLE IF NOT EXISTS budget_watch_dates (
        transaction_id uuid PRIMARY KEY,
        date date NOT NULL
    )""",
)


class BudgetWatch(Projection):
    name = "budget_watch"
    tables = TABLES

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.budgeting: Budgeting | None = None
        self.goals: Goals | None = None
        self.workspaces: set[UUID] = set()  # touched by the batch
        self.days: dict[UUID, set[date]] = defaultdict(set)  # workspace → days spending moved
        self.undated: dict[UUID, set[UUID]] = defaultdict(set)  # workspace → transaction ids
        self.budgets: dict[UUID, set[UUID]] = defaultdict(set)  # workspace → budget ids
        self.everything: set[UUID] = set()  # workspaces whose every budget is asked again
        # Transactions' dates the batch has seen (its own written in flush, once each).
        self.dates: dict[UUID, date | None] = {}
        self.written: dict[UUID, date] = {}
        self.until = 0
        self.conn: Any = None

    async def before_batch(self) -> None:
        for touched in (
            self.workspaces,
            self.days,
            self.undated,
            self.budgets,
            self.everything,
            self.dates,
            self.written,
        ):
            touched.clear()
        # Made off the loop: making the event store waits for its lock, and the other
        # runners of this process must go on meanwhile.
        if self.budgeting is None:
            self.budgeting = await asyncio.to_thread(Budgeting, event_store_env(self.settings))
        if self.goals is None:
            self.goals = await asyncio.to_thread(Goals, event_store_env(self.settings))

    async def flush(self, cur: Cursor) -> None:
        await cur.executemany(
            "INSERT INTO budget_watch_dates (transaction_id, date) VALUES (%s, %s) "
            "ON CONFLICT (transaction_id) DO UPDATE SET date = excluded.date",
            sorted(self.written.items()),  # one order for every writer
        )
        self.written.clear()

    async def _date_seen(self, cur: Cursor, transaction_id: UUID) -> date | None:
        """The transaction's date when the watch last saw it (read once a batch)."""
        if transaction_id not in self.dates:
            await cur.execute(
                "SELECT date FROM budget_watch_dates WHERE transaction_id = %s",
                (transaction_id,),
            )
            row = await cur.fetchone()
            self.dates[transaction_id] = None if row is None else row["date"]
        return self.dates[transaction_id]

    @handles(
        Transaction.Recorded,
        Transaction.Amended,
        Transaction.Categorized,
        Transaction.Split,
        Transaction.Deleted,
        Transaction.Restored,
    )
    async def on_transaction_changed(self, cur: Cursor, event: Any, position: int) -> None:
        """The days whose spending moved: the transaction's date before, and after."""
        workspace_id = event.workspace_id
        self.workspaces.add(workspace_id)
        if isinstance(event, Transaction.Recorded):
            # A transaction is recorded once (its id is new to the log): no date before.
            seen = self.dates.get(event.originator_id)
        else:
            seen = await self._date_seen(cur, event.originator_id)
        if isinstance(event, Transaction.Recorded | Transaction.Amended):
            # The new date kept (written in flush), the one before given back.
            self.days[workspace_id].add(event.date)
            self.dates[event.originator_id] = self.written[event.originator_id] = event.date
        if seen is not None:
            self.days[workspace_id].add(seen)
        elif not isinstance(event, Transaction.Recorded):
            # Recorded before the watch kept dates: where it was is not known, so every
            # period that may have lost it (those crossed before) is asked again.
            self.undated[workspace_id].add(event.originator_id)
            self.everything.add(workspace_id)
        self.until = position

    @handles(Budget.Created, Budget.Changed)
    async def on_budget_saved(self, cur: Cursor, event: Any, position: int) -> None:
        self.workspaces.add(event.workspace_id)
        self.budgets[event.workspace_id].add(event.originator_id)
        self.until = position

    @handles(Account.Valued, Goal.Created, Goal.Changed)
    async def on_balance_or_goal(self, cur: Cursor, event: Any, position: int) -> None:
        self.workspaces.add(event.workspace_id)  # its tracked goals are asked again
        self.until = position

    @handles(AlertRule.Created, AlertRule.Changed)
    async def on_alert_rule_saved(self, cur: Cursor, event: Any, position: int) -> None:
        self.workspaces.add(event.workspace_id)
        budget_id = event.terms["budget_id"]
        if budget_id is None:  # it watches every budget: all of them are asked again
            self.everything.add(event.workspace_id)
        else:
            self.budgets[event.workspace_id].add(UUID(str(budget_id)))
        self.until = position

    async def after_batch(self) -> None:
        if not self.workspaces:
            return
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each query sees what the others committed.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
        await wait_for_projections(self.conn, WAITED_FOR, self.until)
        for workspace_id in self.workspaces:
            await self._watch(self.conn, workspace_id)

    async def _watch_goals(self, conn: Any, workspace_id: UUID) -> None:
        """Tracked goals: where their balances stand now, for GoalCompleted (once)."""
        assert self.goals is not None
        for goal in await goals_view.tracked_goals(conn, workspace_id):
            current = await goals_view.amount_on(conn, goal, date.today())
            await asyncio.to_thread(
                self.goals.observe, goal.id, current, f"budget_watch:{self.until}"
            )

    async def _watch(self, conn: Any, workspace_id: UUID) -> None:
        await self._watch_goals(conn, workspace_id)
        days = self.days[workspace_id] | await _days(conn, list(self.undated[workspace_id]))
        changed = self.budgets[workspace_id]
        parents, names = await view.categories(conn, workspace_id)
        for budget in await view.workspace_budgets(conn, workspace_id):
            periods = {budget.period_of(day) for day in days}
            if budget.view.id in changed or workspace_id in self.everything:
                # New terms count in the period that holds today, and may clear old crossings.
                periods.add(budget.period_of(date.today()))
                periods |= await _crossed_periods(conn, budget)
            if not periods:
                continue
            rules = await view.alert_rule_ids(conn, workspace_id, budget.view.id)
            for period in sorted(periods):
                now, before = await view.period_spending(conn, budget, period)
                assert self.budgeting is not None
                await asyncio.to_thread(
                    self.budgeting.watch,
                    budget.view.id,
                    rules,
                    period,
                    now,
                    before,
                    parents,
                    f"budget_watch:{self.until}",
                )
        await self._watch_alone(conn, workspace_id, days, parents, names)

    async def _watch_alone(
        self,
        conn: Any,
        workspace_id: UUID,
        days: set[date],
        parents: dict[UUID, UUID],
        names: dict[UUID, str],
    ) -> None:
        """Alert rules of no budget: each month spending moved in, and when a rule changed,
        the workspace's current month and those where it stands triggered."""
        rules = await _rules_alone(conn, workspace_id)
        workspace = await _workspace(conn, workspace_id) if rules else None
        if workspace is None:
            return
        currency, zone = workspace
        assert self.budgeting is not None
        months = {month_of(day) for day in days}
        spent_in: dict[date, Any] = {}  # read once a month
        for rule_id, category_ids in rules:
            periods = set(months)
            if workspace_id in self.everything:
                periods.add(month_of(self.clock().astimezone(zone).date()))
                triggered = await asyncio.to_thread(self.budgeting.triggered_alone, rule_id)
                periods |= {month_of(start) for start in triggered}
            label = ", ".join(names[c] for c in category_ids if c in names) or "All spending"
            for period in sorted(periods):
                if period.start not in spent_in:
                    spent_in[period.start] = await view.spending(
                        conn, workspace_id, currency, period
                    )
                await asyncio.to_thread(
                    self.budgeting.watch_spending,
                    rule_id,
                    label,
                    period,
                    spent_in[period.start],
                    parents,
                    currency,
                    f"budget_watch:{self.until}",
                )

    async def close(self) -> None:
        if self.budgeting is not None:
            self.budgeting.close()
            self.budgeting = None
        if self.goals is not None:
            self.goals.close()
            self.goals = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None


async def _days(conn: Any, transaction_ids: list[UUID]) -> set[date]:
    if not transaction_ids:
        return set()
    rows = await (
        await conn.execute(
            "SELECT DISTINCT date FROM transactions WHERE id = ANY(%s)", (transaction_ids,)
        )
    ).fetchall()
    return {row["date"] for row in rows}


async def _rules_alone(conn: Any, workspace_id: UUID) -> list[tuple[UUID, tuple[UUID, ...]]]:
    """The live alert rules of no budget that count on their own, with their categories."""
    rows = await (
        await conn.execute(
            "SELECT id, terms FROM budgets_alert_rules "
            "WHERE workspace_id = %s AND NOT deleted AND budget_id IS NULL ORDER BY id",
            (workspace_id,),
        )
    ).fetchall()
    found = [(row["id"], terms_from(row["terms"])) for row in rows]
    return [(i, terms.category_ids) for i, terms in found if not terms.watches_budgets]


async def _workspace(conn: Any, workspace_id: UUID) -> tuple[str, ZoneInfo] | None:
    """The workspace's base currency and time zone."""
    row = await (
        await conn.execute(
            "SELECT base_currency, timezone FROM workspaces WHERE id = %s", (workspace_id,)
        )
    ).fetchone()
    return None if row is None else (row["base_currency"], ZoneInfo(row["timezone"]))


async def _crossed_periods(conn: Any, budget: view.Budget) -> set[Period]:
    """Periods where the budget announced a crossing: spending there may have fallen back."""
    rows = await (
        await conn.execute(
            "SELECT DISTINCT period_start FROM budgets_crossings WHERE budget_id = %s",
            (budget.view.id,),
        )
    ).fetchall()
    return {budget.period_of(row["period_start"]) for row in rows}
