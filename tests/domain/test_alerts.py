"""An ABSOLUTE alert rule of no budget counts on its own: the budgets' reports pass it by, its
own report triggers it once a month, a report seen twice records nothing, falling under clears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor
from domain.budgeting.alerts import AlertRule, AlertTerms, Channel, ThresholdType, month_of
from domain.budgeting.application import Budgeting
from domain.budgeting.budget import BudgetTerms
from domain.budgeting.periods import Period, PeriodKind
from infra import database
from infra.settings import Settings

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
BY = Actor(uuid4(), "test")


@pytest.fixture
def budgeting(settings: Settings) -> Iterator[Budgeting]:
    database.create_schema(settings)
    app = Budgeting(database.event_store_env(settings))
    yield app
    app.close()


def test_a_month_is_the_calendar_month_holding_the_day() -> None:
    assert month_of(date(2026, 3, 14)) == MARCH
    assert month_of(date(2024, 2, 29)) == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert month_of(date(2026, 12, 31)) == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_an_absolute_rule_of_no_budget_triggers_once_on_its_own_categories(
    budgeting: Budgeting,
) -> None:
    workspace_id, fun, streaming, food = uuid4(), uuid4(), uuid4(), uuid4()
    parents = {streaming: fun}
    budget_terms = BudgetTerms("Food", PeriodKind.MONTHLY, MARCH.start, None, "EUR", Decimal(50))
    budget, _ = budgeting.create_budget(uuid4(), workspace_id, budget_terms, BY)
    terms = AlertTerms(None, ThresholdType.ABSOLUTE, Decimal(250), (Channel.IN_APP,), (fun,))
    rule, _ = budgeting.create_alert_rule(uuid4(), workspace_id, terms, BY)
    spending = {fun: Decimal(200), streaming: Decimal(190), food: Decimal(900)}

    # A budget's report passes it by: it is no budget's rule.
    budgeting.watch(budget.id, [rule.id], MARCH, spending, None, parents, "test")
    assert budgeting.get_alert_rule(workspace_id, rule.id).version == rule.version

    assert budgeting.watch_spending(rule.id, "Fun", MARCH, spending, parents, "EUR", "t") > 0
    [triggered] = _new_events(budgeting, rule)
    assert isinstance(triggered, AlertRule.Triggered)
    assert (triggered.budget_id, triggered.budget_name) == (None, "Fun")
    assert (triggered.spent, triggered.limit, triggered.currency) == (
        Decimal(390),
        Decimal(250),
        "EUR",
    )
    # The same report again (a replay) records nothing.
    assert budgeting.watch_spending(rule.id, "Fun", MARCH, spending, parents, "EUR", "t") == 0
    assert budgeting.triggered_alone(rule.id) == [MARCH.start]

    refunded = {fun: Decimal(10), food: Decimal(900)}
    assert budgeting.watch_spending(rule.id, "Fun", MARCH, refunded, parents, "EUR", "t") > 0
    assert budgeting.triggered_alone(rule.id) == []


def test_a_percent_rule_of_no_budget_still_watches_every_budget(budgeting: Budgeting) -> None:
    workspace_id = uuid4()
    terms = AlertTerms(None, ThresholdType.PERCENT, Decimal(50), (Channel.IN_APP,))
    rule, _ = budgeting.create_alert_rule(uuid4(), workspace_id, terms, BY)
    spending = {None: Decimal(900)}
    assert budgeting.watch_spending(rule.id, "All", MARCH, spending, {}, "EUR", "t") == 0
    budget_terms = BudgetTerms("All", PeriodKind.MONTHLY, MARCH.start, None, "EUR", Decimal(100))
    budget, _ = budgeting.create_budget(uuid4(), workspace_id, budget_terms, BY)
    assert budgeting.watch(budget.id, [rule.id], MARCH, spending, None, {}, "t") > 0
    [*_, triggered] = _new_events(budgeting, rule)
    assert isinstance(triggered, AlertRule.Triggered)
    assert triggered.budget_id == budget.id


def _new_events(budgeting: Budgeting, rule: AlertRule) -> list[object]:
    return [
        event
        for event in budgeting.repository.event_store.get(rule.id)
        if event.originator_version > rule.version
    ]
