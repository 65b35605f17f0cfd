"""What the read API returns about budgets, their progress and forecast, and alert rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class BudgetView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    period_kind: str
    start_date: date
    end_date: date | None
    currency: str
    amount: str
    category_ids: list[UUID]
    category_limits: dict[str, str]
    rollover: bool
    active: bool
    thresholds: list[int]
    version: int
    created_at: datetime
    updated_at: datetime


class BudgetSummary(msgspec.Struct, kw_only=True):
    """A budget with where its current period stands."""

    budget: BudgetView
    period_start: date | None
    period_end: date | None
    limit: str | None
    spent: str | None
    remaining: str | None
    percent_used: float | None
    status: str | None


class BudgetPage(msgspec.Struct, kw_only=True):
    data: list[BudgetSummary]
    meta: PageMeta


class CategoryProgress(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    name: str
    limit: str | None  # none: the category shares the budget's total
    spent: str
    remaining: str | None
    percent_used: float | None
    status: str  # ON_TRACK, AT_RISK, OVER


class Crossing(msgspec.Struct, kw_only=True):
    kind: str  # THRESHOLD_REACHED, EXCEEDED, CLEARED
    category_id: UUID | None
    threshold: int
    spent: str
    limit: str
    occurred_at: datetime
    position: int


class BudgetProgress(msgspec.Struct, kw_only=True):
    budget_id: UUID
    name: str
    currency: str
    period_start: date
    period_end: date
    limit: str  # with the rollover from the previous period, where the budget rolls over
    rollover: str
    spent: str
    remaining: str
    percent_used: float
    status: str
    days_in_period: int
    days_elapsed: int
    days_remaining: int
    burn_rate: str  # spent per day so far
    projected_spend: str
    projected_overage: str
    categories: list[CategoryProgress]
    crossings: list[Crossing]


class CategoryForecast(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    name: str
    spent: str
    daily_average: str
    projected_total: str
    limit: str | None
    projected_overage: str | None  # past the category's own limit, where it has one
    recommendation: str


class BudgetForecast(msgspec.Struct, kw_only=True):
    budget_id: UUID
    period_start: date
    period_end: date
    days_elapsed: int
    days_remaining: int
    limit: str
    projected_total: str
    projected_overage: str
    daily_allowance: str  # what may go out each remaining day to end within the limit
    recommendation: str
    categories: list[CategoryForecast]


class AlertRuleStanding(msgspec.Struct, kw_only=True):
    """Where a rule stands on one budget it watches, this period; or, for an ABSOLUTE rule of
    no budget, on its categories this month (``budget_id`` null, their names as the name)."""

    budget_id: UUID | None
    budget_name: str
    period_start: date
    period_end: date
    spent: str  # what the rule counts: its categories, else the budget's
    limit: str  # where it triggers
    percent: float  # of that limit
    remaining: str  # to that limit; 0 once there


class AlertRuleView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    budget_id: UUID | None
    threshold_type: str
    threshold: str
    category_ids: list[UUID]
    channels: list[str]
    frequency: str
    message: str | None
    active: bool
    triggered: bool
    triggered_count: int
    last_triggered_at: datetime | None
    created_at: datetime
    standing: list[AlertRuleStanding] = msgspec.field(default_factory=list)


class AlertRuleList(msgspec.Struct, kw_only=True):
    data: list[AlertRuleView]


def convert(row: dict[str, Any], kind: type[Any]) -> Any:
    return msgspec.convert(row, kind, from_attributes=False, strict=False)
