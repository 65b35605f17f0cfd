"""What the read API returns about reports and report schedules."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class CategoryShare(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    category: str
    amount: str
    percentage: str  # of total_expenses
    count: int  # expense lines (a split's parts each under their own category)


class Summary(msgspec.Struct, kw_only=True):
    total_income: str
    total_expenses: str
    net: str
    transaction_count: int
    expense_count: int
    budget_amount: str | None  # null: no budget period lies wholly inside the period
    budget_actual: str | None
    variance: str | None  # budget_amount - budget_actual; below 0 is over budget
    variance_percentage: str | None
    category_breakdown: list[CategoryShare]
    unconverted_currencies: list[str]


class BudgetLine(msgspec.Struct, kw_only=True):
    budget_id: UUID
    budget: str
    categories: list[str]
    start_date: date
    end_date: date
    budgeted: str
    actual: str
    variance: str
    variance_percentage: str | None
    status: str  # UNDER | OVER


class Merchant(msgspec.Struct, kw_only=True):
    merchant: str
    amount: str
    count: int
    percentage: str


class MonthLine(msgspec.Struct, kw_only=True):
    month: str
    start_date: date
    end_date: date
    income: str
    expenses: str
    net: str


class ReportInsight(msgspec.Struct, kw_only=True):
    type: str  # COMPARISON | BUDGET | PATTERN | TREND | ANOMALY
    title: str
    description: str
    impact: str  # LOW | MODERATE | HIGH
    amount: str


class Charts(msgspec.Struct, kw_only=True):
    monthly_trend: str  # the PNG's path on the read API
    category_breakdown: str


class Emailed(msgspec.Struct, kw_only=True):
    recipients: list[str]
    at: datetime


class ReportView(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    period: str
    start_date: date
    end_date: date
    format: str
    category_ids: list[UUID] | None
    include_insights: bool
    currency: str
    generated_at: datetime
    generated_by: str | None  # the member's name; null for a report the schedule sent
    generated_by_id: UUID
    schedule_id: UUID | None
    summary: Summary
    budgets: list[BudgetLine]
    top_merchants: list[Merchant]
    monthly_trend: list[MonthLine]
    insights: list[ReportInsight]
    recommendations: list[str]
    charts: Charts
    file: str  # the file's path on the read API
    media_type: str
    file_size: int
    sha256: str
    computed_at: int  # the log position the figures were computed at
    download_count: int
    last_downloaded_at: datetime | None
    expires_at: datetime
    emailed: list[Emailed]


class ReportList(msgspec.Struct, kw_only=True):
    data: list[ReportView]
    meta: PageMeta


class ReportScheduleView(msgspec.Struct, kw_only=True):
    id: UUID
    frequency: str
    format: str
    categories: list[UUID] | None
    include_insights: bool
    delivery_method: str
    recipients: list[str]
    starts_on: date
    next_run_at: datetime
    last_run_at: datetime | None
    last_report_id: UUID | None
    created_at: datetime
    version: int


class ReportScheduleList(msgspec.Struct, kw_only=True):
    data: list[ReportScheduleView]
    meta: PageMeta
