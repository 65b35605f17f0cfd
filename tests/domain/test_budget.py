"""A budget announces each threshold once per crossing, whatever way spending moves; an alert
rule triggers once each time spending reaches its limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.base import Actor
from domain.budgeting.alerts import AlertRule, AlertTerms, Channel, ThresholdType
from domain.budgeting.budget import EXCEEDED, TOTAL, Budget, BudgetTerms
from domain.budgeting.periods import Period, PeriodKind

LIMIT = Decimal("100.00")
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
BY = Actor(uuid4(), "test")

spending = st.lists(
    st.decimals(min_value=0, max_value=250, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
)
thresholds = st.sets(st.integers(min_value=1, max_value=99), max_size=5)


def announced(budget: Budget) -> list[tuple[str, int]]:
    """What the budget recorded: each crossing and the threshold it names."""
    names = []
    for event in budget.collect_events():
        if isinstance(event, Budget.ThresholdReached):
            names.append(("reached", event.threshold))
        elif isinstance(event, Budget.Exceeded):
            names.append(("reached", EXCEEDED))
        elif isinstance(event, Budget.ThresholdCleared):
            names.append(("cleared", event.level))
    return names


@settings(max_examples=300, deadline=None)
@given(reports=spending, marks=thresholds)
def test_each_line_crossed_upward_is_announced_once_and_a_report_seen_twice_adds_nothing(
    reports: list[Decimal], marks: set[int]
) -> None:
    terms = BudgetTerms(
        "Food", PeriodKind.MONTHLY, MARCH.start, None, "EUR", LIMIT, thresholds=tuple(sorted(marks))
    )
    budget = Budget.create(uuid4(), uuid4(), terms, BY)
    budget.collect_events()
    lines = sorted({*marks, EXCEEDED})
    before = Decimal(0)
    for spent in reports:
        budget.observe(MARCH, TOTAL, spent, LIMIT, BY)
        crossings = announced(budget)
        budget.observe(MARCH, TOTAL, spent, LIMIT, BY)  # the same report again: a replay
        assert announced(budget) == []
        # Every line the spending went up across is announced once, lowest first.
        went_up = [t for t in lines if before * 100 < LIMIT * t <= spent * 100]
        assert [t for kind, t in crossings if kind == "reached"] == went_up
        # Falling back across a line announced before clears down to the highest still crossed.
        under = [t for t in lines if spent * 100 < LIMIT * t <= before * 100]
        still = max((t for t in lines if LIMIT * t <= spent * 100), default=0)
        assert [t for kind, t in crossings if kind == "cleared"] == ([still] if under else [])
        before = spent


@settings(max_examples=200, deadline=None)
@given(reports=spending)
def test_an_alert_rule_triggers_once_each_time_spending_reaches_its_limit(
    reports: list[Decimal],
) -> None:
    terms = AlertTerms(None, ThresholdType.ABSOLUTE, Decimal(50), (Channel.IN_APP,))
    rule = AlertRule.create(uuid4(), uuid4(), terms, BY)
    rule.collect_events()
    budget_id = uuid4()
    before = Decimal(0)
    for spent in reports:
        for _ in range(2):  # the second time, a replay of the same report
            rule.observe(budget_id, "Food", MARCH, spent, terms.limit(LIMIT), "EUR", BY)
        kinds = [type(event).__name__ for event in rule.collect_events()]
        if before < 50 <= spent:
            assert kinds == ["Triggered"]
        elif spent < 50 <= before:
            assert kinds == ["Cleared"]
        else:
            assert kinds == []
        before = spent
