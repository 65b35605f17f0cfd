"""A report's figures: pure functions over the lines, budgets and series the insights read.

Everything is in the workspace's base currency and counted as ``projections/insights/stats.py``
counts it (a transfer leg is neither income nor expense; a split's parts count under their own
category; a line no rate converts is left out and its currency named). With ``categories``,
only lines under those categories and their subcategories count, everywhere.

    total_income, total_expenses   Σ income, Σ |expense| dated in the period
    net                            total_income - total_expenses
    transaction_count              transactions (not transfers) dated in the period
    expense_count                  those with an expense line
    category_breakdown             per category: amount = Σ |expense|, percentage = amount /
                                   total_expenses x 100 (two decimals), biggest first
    budget_amount                  Σ limit (rollover included) of the periods of active budgets
                                   in the base currency lying wholly inside the report's period
                                   (with ``categories``: budgets naming one of them)
    budget_actual                  Σ spent in those periods, as budget progress counts it
    variance                       budget_amount - budget_actual (below 0: over budget)
    variance_percentage            variance / budget_amount x 100 (null without a budget)
    top_merchants                  the 10 merchants (else descriptions) spent most at
    monthly_trend                  income, expenses, net per calendar month of the period

Insights come from the insights' own rules, as of the period's last day: spending patterns
(``patterns.py``, over the month, quarter or year ending then), unusual expenses
(``anomalies.py``, 3 standard deviations), budgets gone over, the change against the period of
the same length before; recommendations from the patterns, the savings opportunities
(``opportunities.py``) and the budgets gone over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.money import money_text
from domain.reporting.periods import ReportPeriod
from projections.insights import anomalies, opportunities, patterns, recurring, stats
from projections.insights.model import BudgetScope, CategoryNode, Line
from projections.ledger import view as ledger_view

TOP_MERCHANTS = 10
MAX_ANOMALIES = 5
MAX_RECOMMENDATIONS = 10
ANOMALY_THRESHOLD = Decimal(3)
ALL = 10_000  # every category in the breakdown


@dataclass(frozen=True)
class BudgetRow:
    """One budget period inside the report's period, in the budget's currency."""

    budget_id: UUID
    name: str
    currency: str
    category_ids: tuple[UUID, ...]
    start: date
    end: date
    limit: Decimal
    spent: Decimal


@dataclass
class ReportData:
    period: ReportPeriod
    lines: list[Line]  # from ``lines_start`` to the period's end
    times: dict[UUID, time]
    grouped: recurring.Grouped  # the occurrences from ``occurrences_start`` to the period's end
    conversion: ledger_view.Conversion
    names: dict[UUID, str]
    tree: list[CategoryNode]
    active_budgets: list[BudgetScope]
    budgets: list[BudgetRow]
    workspace_id: UUID
    categories: list[UUID] | None = None
    include_insights: bool = True
    week_start: str = "MONDAY"


def timeframe_of(period: ReportPeriod) -> str:
    """The insights' timeframe a period reads as: its own length, or the nearest above."""
    days = (period.end - period.start).days + 1
    if days <= 7:
        return "week"
    if days <= 31:
        return "month"
    if days <= 92:
        return "quarter"
    return "year"


def lines_start(period: ReportPeriod, week_start: str = "MONDAY") -> date:
    """How far back the lines must reach: 180 days before the period (unusual expenses), the
    three timeframes before the insights' (trends), the savings opportunities' months, and
    the period of the same length before (the comparison)."""
    timeframe = timeframe_of(period)
    pattern_start = patterns.timeframe_start(period.end, timeframe, week_start)
    return min(
        period.start - timedelta(days=anomalies.WINDOW_DAYS),
        patterns.full_periods(pattern_start, timeframe)[0][0],
        opportunities.lines_start(period.end),
        previous_period(period)[0],
    )


def occurrences_start(period: ReportPeriod) -> date:
    return period.end - timedelta(days=recurring.HISTORY_DAYS)


def previous_period(period: ReportPeriod) -> tuple[date, date]:
    days = (period.end - period.start).days + 1
    return period.start - timedelta(days=days), period.start - timedelta(days=1)


def scope(categories: Iterable[UUID] | None, tree: list[CategoryNode]) -> set[UUID] | None:
    """The categories named and every category under them; None: all."""
    if categories is None:
        return None
    children: dict[UUID, list[UUID]] = {}
    for node in tree:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.id)
    found: set[UUID] = set()
    todo = list(categories)
    while todo:
        category = todo.pop()
        if category not in found:
            found.add(category)
            todo.extend(children.get(category, ()))
    return found


def report_figures(data: ReportData) -> dict[str, Any]:
    """currency, summary, budgets, top_merchants, monthly_trend, insights, recommendations."""
    period, conversion = data.period, data.conversion
    base = conversion.base
    kept = scope(data.categories, data.tree)
    lines = data.lines if kept is None else [x for x in data.lines if x.category_id in kept]
    # The summary reads the period's lines only; the insights also the months before it
    # (with insights the lines reach back a year: four times a quarter's).
    within = [x for x in lines if period.start <= x.date <= period.end]
    total = stats.sums(within, conversion, period.start, period.end)
    expense_ids = {
        x.transaction_id
        for x in stats.counted(within, conversion)
        if not x.transfer and x.amount < 0
    }
    breakdown = stats.top_categories(within, conversion, period.start, period.end, ALL, data.names)
    budgets = [
        b
        for b in data.budgets
        if b.currency == base
        and period.start <= b.start
        and b.end <= period.end
        and (kept is None or kept.intersection(b.category_ids))
    ]
    budget_amount = sum((b.limit for b in budgets), Decimal(0))
    budget_actual = sum((b.spent for b in budgets), Decimal(0))
    variance = budget_amount - budget_actual
    summary = {
        "total_income": money_text(total.income.total, base),
        "total_expenses": money_text(total.expenses.total, base),
        "net": money_text(total.net, base),
        "transaction_count": len(total.transactions),
        "expense_count": len(expense_ids),
        "budget_amount": money_text(budget_amount, base) if budgets else None,
        "budget_actual": money_text(budget_actual, base) if budgets else None,
        "variance": money_text(variance, base) if budgets else None,
        "variance_percentage": stats.percent(variance, budget_amount) if budgets else None,
        "category_breakdown": [
            {
                "category_id": None if c.category_id is None else str(c.category_id),
                "category": c.category or "Uncategorized",
                "amount": c.amount,
                "percentage": c.percentage,
                "count": c.count,
            }
            for c in breakdown.data
        ],
        "unconverted_currencies": sorted(conversion.unconverted),
    }
    budget_rows = _budget_rows(budgets, data.names, base)
    found: dict[str, Any] = {
        "currency": base,
        "summary": summary,
        "budgets": budget_rows,
        "top_merchants": _top_merchants(within, conversion, period, total.expenses.total),
        "monthly_trend": _monthly_trend(within, conversion, period, data.names),
        "insights": [],
        "recommendations": [],
    }
    if data.include_insights:
        insights, recommendations = _insights(data, lines, kept, budget_rows, total)
        found["insights"], found["recommendations"] = insights, recommendations
    summary["unconverted_currencies"] = sorted(conversion.unconverted)
    return found


def _budget_rows(budgets: list[BudgetRow], names: dict[UUID, str], base: str) -> list[Any]:
    rows = []
    for b in sorted(budgets, key=lambda b: (b.name.lower(), b.start, str(b.budget_id))):
        variance = b.limit - b.spent
        rows.append(
            {
                "budget_id": str(b.budget_id),
                "budget": b.name,
                "categories": [names.get(c, "?") for c in b.category_ids] or ["All spending"],
                "start_date": b.start.isoformat(),
                "end_date": b.end.isoformat(),
                "budgeted": money_text(b.limit, base),
                "actual": money_text(b.spent, base),
                "variance": money_text(variance, base),
                "variance_percentage": stats.percent(variance, b.limit),
                "status": "OVER" if variance < 0 else "UNDER",
            }
        )
    return rows


def _top_merchants(
    lines: list[Line], conversion: ledger_view.Conversion, period: ReportPeriod, spent: Decimal
) -> list[Any]:
    """Expenses by merchant (the description where none), biggest first, ties by name."""
    base = conversion.base
    totals: dict[str, ledger_view.BaseTotal] = {}
    counts: dict[str, set[UUID]] = {}
    for x in stats.counted(lines, conversion):
        if x.transfer or x.amount >= 0 or not period.start <= x.date <= period.end:
            continue
        name = (x.merchant or x.description or "?").strip() or "?"
        totals.setdefault(name, ledger_view.BaseTotal(conversion)).add(
            -x.amount, x.currency, x.date
        )
        counts.setdefault(name, set()).add(x.transaction_id)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1].total, kv[0].lower(), kv[0]))
    return [
        {
            "merchant": name,
            "amount": money_text(amount.total, base),
            "count": len(counts[name]),
            "percentage": stats.percent(amount.total, spent) or "0.00",
        }
        for name, amount in ranked[:TOP_MERCHANTS]
    ]


def _monthly_trend(
    lines: list[Line],
    conversion: ledger_view.Conversion,
    period: ReportPeriod,
    names: dict[UUID, str],
) -> list[Any]:
    spans = stats.periods(period.start, period.end, "month")
    assert spans is not None  # three years are 37 months at most
    found = stats.trends(lines, conversion, spans, "month", names)
    return [
        {
            "month": f"{row.start:%Y-%m}",
            "start_date": row.start.isoformat(),
            "end_date": row.end.isoformat(),
            "income": row.income,
            "expenses": row.expenses,
            "net": row.net,
        }
        for row in found.data
    ]


def _insights(
    data: ReportData,
    lines: list[Line],
    kept: set[UUID] | None,
    budget_rows: list[Any],
    total: stats.Sums,
) -> tuple[list[Any], list[str]]:
    period, conversion, base = data.period, data.conversion, data.conversion.base
    insights: list[Any] = []
    recommendations: list[str] = []
    before_start, before_end = previous_period(period)
    before = stats.sums(lines, conversion, before_start, before_end)
    now_spent, then_spent = total.expenses.total, before.expenses.total
    change = stats.percent(now_spent - then_spent, then_spent)
    if change is not None:
        more = now_spent >= then_spent
        insights.append(
            {
                "type": "COMPARISON",
                "title": f"Spending {'rose' if more else 'fell'} {abs(Decimal(change))} % "
                "against the period before",
                "description": f"{money_text(now_spent, base)} {base} from {period.start} to "
                f"{period.end} against {money_text(then_spent, base)} {base} from "
                f"{before_start} to {before_end}",
                "impact": "MODERATE" if abs(Decimal(change)) >= 20 else "LOW",
                "amount": money_text(now_spent - then_spent, base),
            }
        )
    for row in budget_rows:
        if row["status"] == "OVER":
            over = money_text(-Decimal(row["variance"]), base)
            insights.append(
                {
                    "type": "BUDGET",
                    "title": f"{row['budget']} went over budget",
                    "description": f"{row['actual']} {base} spent against {row['budgeted']} "
                    f"{base} from {row['start_date']} to {row['end_date']}",
                    "impact": "HIGH",
                    "amount": over,
                }
            )
            recommendations.append(
                f"{row['budget']} went {over} {base} over: raise its limit or cut back on "
                f"{', '.join(row['categories'])}"
            )
    found = patterns.spending_patterns(
        lines,
        data.times,
        conversion,
        period.end,
        timeframe_of(period),
        data.names,
        data.week_start,
    )
    for p in found.insights:
        insights.append(
            {
                "type": p.type,
                "title": p.title,
                "description": p.description,
                "impact": p.impact,
                "amount": p.amount,
            }
        )
        recommendations.append(p.recommendation)
    unusual = anomalies.find_anomalies(
        lines, conversion, period.start, period.end, ANOMALY_THRESHOLD, data.names
    )
    for a in unusual.data[:MAX_ANOMALIES]:
        insights.append(
            {
                "type": "ANOMALY",
                "title": f"Unusual expense: {a.merchant or a.description} on {a.date}",
                "description": a.reason,
                "impact": "MODERATE",
                "amount": a.amount,
            }
        )
    grouped = data.grouped if kept is None else data.grouped.only(kept)
    series = recurring.series_in(grouped, data.workspace_id, period.end, data.names)
    chances = opportunities.savings_opportunities(
        series, lines, conversion, period.end, data.names, data.tree, data.active_budgets
    )
    recommendations.extend(o.recommendation for o in chances.data)
    unique = list(dict.fromkeys(recommendations))[:MAX_RECOMMENDATIONS]
    return insights, unique
