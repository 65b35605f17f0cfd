"""Tables of the budgets projection, and the queries behind progress and forecasts.

Spending is read from the transactions and ledger projections' tables: what went out in the
budget's currency, split parts under their own category, transfers and deleted transactions
not at all, a refund (money in under a spending category) taking its amount back. The Income
categories are never spending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.budgeting.alerts import AlertTerms, month_of, terms_from
from domain.budgeting.application import Spending, spent_under
from domain.budgeting.budget import EXCEEDED, rollover
from domain.budgeting.periods import Period, PeriodKind, period_of, previous
from domain.money import minor_units, money_text
from projections.budgets.model import (
    AlertRuleStanding,
    AlertRuleView,
    BudgetForecast,
    BudgetPage,
    BudgetProgress,
    BudgetSummary,
    BudgetView,
    CategoryForecast,
    CategoryProgress,
    Crossing,
    convert,
)
from projections.pages import PageMeta

TABLES = (
    """CREATE TABLE IF NOT EXISTS budgets (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        start_date date NOT NULL,
        end_date date,
        currency text NOT NULL,
        amount numeric NOT NULL,
        category_ids uuid[] NOT NULL,
        category_limits jsonb NOT NULL,
        rollover boolean NOT NULL,
        active boolean NOT NULL,
        thresholds integer[] NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    # Not on name: a btree entry over ~2.7 kB fails the insert, and the list sorts by
    # lower(name), which this index never served.
    "DROP INDEX IF EXISTS budgets_by_workspace",
    "CREATE INDEX IF NOT EXISTS budgets_of_workspace ON budgets (workspace_id)",
    """CREATE TABLE IF NOT EXISTS budgets_crossings (
        position bigint PRIMARY KEY,
        budget_id uuid NOT NULL,
        workspace_id uuid NOT NULL,
        kind text NOT NULL,
        period_start date NOT NULL,
        category_id uuid,
        threshold integer NOT NULL,
        spent numeric NOT NULL,
        limit_amount numeric NOT NULL,
        occurred_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS budgets_crossings_by_budget "
    "ON budgets_crossings (budget_id, period_start)",
    """CREATE TABLE IF NOT EXISTS budgets_alert_rules (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        budget_id uuid,
        terms jsonb NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        triggered boolean NOT NULL DEFAULT false,
        triggered_count integer NOT NULL DEFAULT 0,
        last_triggered_at timestamptz,
        created_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS budgets_alert_rules_by_workspace "
    "ON budgets_alert_rules (workspace_id)",
)

Conn = psycopg.AsyncConnection[dict[str, Any]]
BUDGET_COLUMNS = (
    "id, workspace_id, name, kind AS period_kind, start_date, end_date, currency, amount::text, "
    "category_ids, category_limits, rollover, active, thresholds, version, created_at, updated_at"
)


@dataclass(frozen=True)
class Budget:
    """A budget row, with what its period arithmetic needs."""

    view: BudgetView

    @property
    def kind(self) -> PeriodKind:
        return PeriodKind(self.view.period_kind)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.view.amount)

    @property
    def limits(self) -> dict[UUID, Decimal]:
        return {UUID(c): Decimal(v) for c, v in self.view.category_limits.items()}

    def period_of(self, day: date) -> Period:
        """The period holding the day; the first one before the budget starts, the custom
        range after it ends."""
        view = self.view
        return period_of(
            self.kind,
            view.start_date,
            view.end_date,
            min(max(day, view.start_date), view.end_date or day),
        ) or Period(view.start_date, view.end_date or view.start_date)

    def previous_of(self, period: Period) -> Period | None:
        """The period before, where rollover counts it (it must be one of the budget's)."""
        before = previous(self.kind, period) if self.view.rollover else None
        return before if before is not None and before.start >= self.view.start_date else None


async def get_budget(conn: Conn, workspace_id: UUID, budget_id: UUID) -> Budget | None:
    row = await (
        await conn.execute(
            f"SELECT {BUDGET_COLUMNS} FROM budgets "  # noqa: S608 - our own column list
            "WHERE workspace_id = %s AND id = %s AND NOT deleted",
            (workspace_id, budget_id),
        )
    ).fetchone()
    return None if row is None else Budget(convert(row, BudgetView))


async def workspace_budgets(conn: Conn, workspace_id: UUID) -> list[Budget]:
    rows = await (
        await conn.execute(
            f"SELECT {BUDGET_COLUMNS} FROM budgets "  # noqa: S608 - our own column list
            "WHERE workspace_id = %s AND NOT deleted ORDER BY lower(name), id",
            (workspace_id,),
        )
    ).fetchall()
    return [Budget(convert(row, BudgetView)) for row in rows]


async def spending(conn: Conn, workspace_id: UUID, currency: str, period: Period) -> Spending:
    """Spent per category in the period (None: expenses nobody categorized)."""
    rows = await (
        await conn.execute(
            "WITH income AS (SELECT id FROM ledger_categories WHERE workspace_id = %(ws)s "
            "  AND (slug = 'income' OR parent_id IN (SELECT id FROM ledger_categories "
            "  WHERE workspace_id = %(ws)s AND slug = 'income'))), "
            "lines AS (SELECT coalesce((s->>'amount')::numeric, t.amount) AS amount, "
            "  CASE WHEN s IS NULL THEN t.category_id ELSE (s->>'category_id')::uuid END AS cat "
            "  FROM transactions t LEFT JOIN LATERAL jsonb_array_elements(t.splits) s ON true "
            "  WHERE t.workspace_id = %(ws)s AND NOT t.deleted AND t.transfer_id IS NULL "
            "  AND t.currency = %(currency)s AND t.date BETWEEN %(start)s AND %(end)s) "
            "SELECT cat, -sum(amount) AS spent FROM lines "
            "WHERE (cat IS NULL AND amount < 0) OR cat NOT IN (SELECT id FROM income) "
            "GROUP BY cat",
            {"ws": workspace_id, "currency": currency, "start": period.start, "end": period.end},
        )
    ).fetchall()
    return {row["cat"]: row["spent"] for row in rows}


async def categories(conn: Conn, workspace_id: UUID) -> tuple[dict[UUID, UUID], dict[UUID, str]]:
    """Each subcategory's parent, and every category's name."""
    rows = await (
        await conn.execute(
            "SELECT id, parent_id, name FROM ledger_categories WHERE workspace_id = %s",
            (workspace_id,),
        )
    ).fetchall()
    parents = {row["id"]: row["parent_id"] for row in rows if row["parent_id"] is not None}
    return parents, {row["id"]: row["name"] for row in rows}


async def period_spending(
    conn: Conn, budget: Budget, period: Period
) -> tuple[Spending, Spending | None]:
    """Spending in the period, and in the previous one where it rolls over."""
    view = budget.view
    before = budget.previous_of(period)
    now = await spending(conn, view.workspace_id, view.currency, period)
    if before is None:
        return now, None
    return now, await spending(conn, view.workspace_id, view.currency, before)


async def list_budgets(
    conn: Conn, workspace_id: UUID, on: date, active: bool | None, page: int, page_size: int
) -> BudgetPage:
    budgets = [
        b
        for b in await workspace_budgets(conn, workspace_id)
        if active is None or b.view.active == active
    ]
    parents, _ = await categories(conn, workspace_id)
    shown = budgets[(page - 1) * page_size : page * page_size]
    data = []
    for budget in shown:
        period = budget.period_of(on)
        now, before = await period_spending(conn, budget, period)
        figures = _figures(budget, None, now, before, parents, period, on)
        data.append(
            BudgetSummary(
                budget=budget.view,
                period_start=period.start,
                period_end=period.end,
                limit=_exact(figures.limit, budget),
                spent=_exact(figures.spent, budget),
                remaining=_exact(figures.limit - figures.spent, budget),
                percent_used=figures.percent,
                status=figures.status,
            )
        )
    total = len(budgets)
    return BudgetPage(
        data=data,
        meta=PageMeta.of(page, page_size, total),
    )


@dataclass(frozen=True)
class Figures:
    limit: Decimal
    rollover: Decimal
    spent: Decimal
    days: int
    elapsed: int
    burn_rate: Decimal
    projected: Decimal

    @property
    def percent(self) -> float:
        return float(round(self.spent * 100 / self.limit, 1)) if self.limit else 0.0

    @property
    def status(self) -> str:
        if self.spent > self.limit:
            return "OVER"
        return "AT_RISK" if self.projected > self.limit else "ON_TRACK"


def _figures(
    budget: Budget,
    category_id: UUID | None,
    now: Spending,
    before: Spending | None,
    parents: dict[UUID, UUID],
    period: Period,
    on: date,
) -> Figures:
    view = budget.view
    scope = view.category_ids if category_id is None else [category_id]
    base = budget.amount if category_id is None else budget.limits.get(category_id, Decimal(0))
    spent = spent_under(now, parents, tuple(scope))
    carried = rollover(base, None if before is None else spent_under(before, parents, tuple(scope)))
    elapsed = min(max((on - period.start).days + 1, 0), period.days)
    burn_rate = spent / elapsed if elapsed else Decimal(0)
    return Figures(
        limit=base + carried,
        rollover=carried,
        spent=spent,
        days=period.days,
        elapsed=elapsed,
        burn_rate=burn_rate,
        projected=spent if elapsed == period.days else burn_rate * period.days,
    )


async def progress(conn: Conn, budget: Budget, on: date) -> BudgetProgress:
    view = budget.view
    period = budget.period_of(on)
    now, before = await period_spending(conn, budget, period)
    parents, names = await categories(conn, view.workspace_id)
    total = _figures(budget, None, now, before, parents, period, on)
    at_risk = min(view.thresholds, default=EXCEEDED)
    status = total.status
    if status == "ON_TRACK" and total.percent >= at_risk:
        status = "AT_RISK"
    rows = []
    for category_id in _shown_categories(budget, now, parents):
        if category_id in budget.limits:
            figures = _figures(budget, category_id, now, before, parents, period, on)
            rows.append(
                CategoryProgress(
                    category_id=category_id,
                    name=names.get(category_id, "Uncategorized"),
                    limit=_exact(figures.limit, budget),
                    spent=_exact(figures.spent, budget),
                    remaining=_exact(figures.limit - figures.spent, budget),
                    percent_used=figures.percent,
                    status=figures.status,
                )
            )
        else:  # no limit of its own: it shares the total's status
            spent = _spent_in(now, parents, category_id)
            rows.append(
                CategoryProgress(
                    category_id=category_id,
                    name=names.get(category_id, "Uncategorized")
                    if category_id
                    else "Uncategorized",
                    limit=None,
                    spent=_exact(spent, budget),
                    remaining=None,
                    percent_used=None,
                    status=status,
                )
            )
    return BudgetProgress(
        budget_id=view.id,
        name=view.name,
        currency=view.currency,
        period_start=period.start,
        period_end=period.end,
        limit=_exact(total.limit, budget),
        rollover=_exact(total.rollover, budget),
        spent=_exact(total.spent, budget),
        remaining=_exact(total.limit - total.spent, budget),
        percent_used=total.percent,
        status=status,
        days_in_period=total.days,
        days_elapsed=total.elapsed,
        days_remaining=total.days - total.elapsed,
        burn_rate=_money(total.burn_rate, budget),
        projected_spend=_money(total.projected, budget),
        projected_overage=_money(max(Decimal(0), total.projected - total.limit), budget),
        categories=rows,
        crossings=await _crossings(conn, budget, period),
    )


async def forecast(conn: Conn, budget: Budget, on: date) -> BudgetForecast:
    """Each category's daily average so far, carried to the end of the period."""
    view = budget.view
    period = budget.period_of(on)
    now, before = await period_spending(conn, budget, period)
    parents, names = await categories(conn, view.workspace_id)
    total = _figures(budget, None, now, before, parents, period, on)
    left = total.days - total.elapsed
    allowance = max(Decimal(0), total.limit - total.spent) / left if left else Decimal(0)
    rows = []
    for category_id in _shown_categories(budget, now, parents):
        spent = _spent_in(now, parents, category_id)
        average = spent / total.elapsed if total.elapsed else Decimal(0)
        projected = spent if not left else average * total.days
        limit = None
        if category_id in budget.limits:
            limit = _figures(budget, category_id, now, before, parents, period, on).limit
        name = names.get(category_id, "Uncategorized") if category_id else "Uncategorized"
        rows.append(
            CategoryForecast(
                category_id=category_id,
                name=name,
                spent=_exact(spent, budget),
                daily_average=_money(average, budget),
                projected_total=_money(projected, budget),
                limit=None if limit is None else _exact(limit, budget),
                projected_overage=None if limit is None else _overage(projected, limit, budget),
                recommendation=_advice(name, spent, projected, limit, left, budget),
            )
        )
    return BudgetForecast(
        budget_id=view.id,
        period_start=period.start,
        period_end=period.end,
        days_elapsed=total.elapsed,
        days_remaining=left,
        limit=_exact(total.limit, budget),
        projected_total=_money(total.projected, budget),
        projected_overage=_overage(total.projected, total.limit, budget),
        daily_allowance=_money(allowance, budget),
        recommendation=_advice(
            "the budget", total.spent, total.projected, total.limit, left, budget
        ),
        categories=rows,
    )


def _overage(projected: Decimal, limit: Decimal, budget: Budget) -> str:
    return _money(max(Decimal(0), projected - limit), budget)


def _advice(
    name: str, spent: Decimal, projected: Decimal, limit: Decimal | None, left: int, budget: Budget
) -> str:
    if limit is None:
        return f"At this pace {name} ends the period at {_money(projected, budget)}."
    if spent > limit:
        return f"{name} is {_money(spent - limit, budget)} over its limit already."
    if projected > limit:
        daily = (limit - spent) / left if left else Decimal(0)
        return (
            f"At this pace {name} ends {_money(projected - limit, budget)} over; keep to "
            f"{_money(daily, budget)} a day for the {left} days left."
        )
    return f"On track: {name} ends near {_money(projected, budget)} of {_money(limit, budget)}."


def _shown_categories(budget: Budget, now: Spending, parents: dict[UUID, UUID]) -> list[Any]:
    """The budget's categories; for a budget of every category, the top ones spent in."""
    if budget.view.category_ids:
        return list(budget.view.category_ids)
    tops = {parents.get(c, c) if c is not None else None for c, spent in now.items() if spent}
    return sorted(tops, key=lambda c: (c is None, str(c)))


def _spent_in(now: Spending, parents: dict[UUID, UUID], category_id: UUID | None) -> Decimal:
    if category_id is None:
        return now.get(None, Decimal(0))
    return spent_under(now, parents, (category_id,))


async def _crossings(conn: Conn, budget: Budget, period: Period) -> list[Crossing]:
    rows = await (
        await conn.execute(
            "SELECT kind, category_id, threshold, spent, limit_amount AS limit, "
            "occurred_at, position FROM budgets_crossings "
            "WHERE budget_id = %s AND period_start = %s ORDER BY position",
            (budget.view.id, period.start),
        )
    ).fetchall()
    return [
        convert(
            {**row, "spent": _exact(row["spent"], budget), "limit": _exact(row["limit"], budget)},
            Crossing,
        )
        for row in rows
    ]


def _money(amount: Decimal, budget: Budget) -> str:
    """For what a division or a projection made (a burn rate, a daily allowance)."""
    places = Decimal(1).scaleb(-minor_units(budget.view.currency))
    return str(amount.quantize(places, rounding=ROUND_HALF_EVEN))


def _exact(amount: Decimal, budget: Budget) -> str:
    """For sums of recorded amounts, which are never rounded (an import keeps 115.8331)."""
    return money_text(amount, budget.view.currency)


async def list_alert_rules(
    conn: Conn, workspace_id: UUID, on: date, active: bool | None, triggered: bool | None
) -> list[AlertRuleView]:
    """Each with where it stands on the budgets it watches, in their periods holding ``on``."""
    rows = await (
        await conn.execute(
            "SELECT id, workspace_id, budget_id, terms, triggered, triggered_count, "
            "last_triggered_at, created_at FROM budgets_alert_rules "
            "WHERE workspace_id = %s AND NOT deleted "
            "AND (%s::boolean IS NULL OR (terms->>'active')::boolean = %s) "
            "AND (%s::boolean IS NULL OR triggered = %s) ORDER BY created_at, id",
            (workspace_id, active, active, triggered, triggered),
        )
    ).fetchall()
    if not rows:
        return []
    budgets = [b for b in await workspace_budgets(conn, workspace_id) if b.view.active]
    parents, names = await categories(conn, workspace_id)
    spent_in: dict[UUID, tuple[Period, Spending, Spending | None]] = {}  # read once a budget
    views = []
    for row in rows:
        terms = row.pop("terms")
        rule = terms_from(terms)
        if not rule.watches_budgets:
            standing = [await _standing_alone(conn, workspace_id, rule, on, parents, names)]
            views.append(convert({**terms, **row, "standing": standing}, AlertRuleView))
            continue
        standing = []
        for budget in budgets:
            if rule.budget_id not in (None, budget.view.id):
                continue
            if budget.view.id not in spent_in:
                period = budget.period_of(on)
                spent_in[budget.view.id] = (period, *await period_spending(conn, budget, period))
            period, now, before = spent_in[budget.view.id]
            total = _figures(budget, None, now, before, parents, period, on).limit
            spent = spent_under(now, parents, rule.category_ids or tuple(budget.view.category_ids))
            limit = rule.limit(total)
            standing.append(
                AlertRuleStanding(
                    budget_id=budget.view.id,
                    budget_name=budget.view.name,
                    period_start=period.start,
                    period_end=period.end,
                    spent=_exact(spent, budget),
                    limit=_exact(limit, budget),
                    percent=float(round(spent * 100 / limit, 1)) if limit else 0.0,
                    remaining=_exact(max(Decimal(0), limit - spent), budget),
                )
            )
        views.append(convert({**terms, **row, "standing": standing}, AlertRuleView))
    return views


async def _standing_alone(
    conn: Conn,
    workspace_id: UUID,
    rule: AlertTerms,
    on: date,
    parents: dict[UUID, UUID],
    names: dict[UUID, str],
) -> AlertRuleStanding:
    """An ABSOLUTE rule of no budget counts its categories (all, when none) in the workspace's
    base currency over the calendar month, as the budget watch does."""
    row = await (
        await conn.execute("SELECT base_currency FROM workspaces WHERE id = %s", (workspace_id,))
    ).fetchone()
    currency = row["base_currency"] if row else "EUR"
    period = month_of(on)
    spending_now = await spending(conn, workspace_id, currency, period)
    spent = spent_under(spending_now, parents, rule.category_ids)
    limit = rule.threshold
    return AlertRuleStanding(
        budget_id=None,
        budget_name=", ".join(names[c] for c in rule.category_ids if c in names) or "All spending",
        period_start=period.start,
        period_end=period.end,
        spent=money_text(spent, currency),
        limit=money_text(limit, currency),
        percent=float(round(spent * 100 / limit, 1)) if limit else 0.0,
        remaining=money_text(max(Decimal(0), limit - spent), currency),
    )


async def alert_rule_ids(conn: Conn, workspace_id: UUID, budget_id: UUID) -> list[UUID]:
    """The live alert rules that watch this budget (named, or watching every budget)."""
    rows = await (
        await conn.execute(
            "SELECT id FROM budgets_alert_rules WHERE workspace_id = %s AND NOT deleted "
            "AND (budget_id IS NULL OR budget_id = %s)",
            (workspace_id, budget_id),
        )
    ).fetchall()
    return [row["id"] for row in rows]
