"""What the read API returns about spending forecasts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class Accuracy(msgspec.Struct, kw_only=True):
    actual: str  # what was spent in the period (as the history counts spending)
    error_percent: str | None  # (median - actual) / actual x 100; None when nothing was spent


class Forecast(msgspec.Struct, kw_only=True):
    id: UUID
    period: str
    start_date: date
    end_date: date
    methodology: str
    as_of: date
    category_ids: list[str] | None
    currency: str
    amount: str
    low: str
    median: str
    high: str
    categories: list[dict[str, Any]]
    history: dict[str, Any]
    factors: list[str]
    recommendations: list[str]
    created_at: datetime
    accuracy: Accuracy | None  # once the period is over


class ForecastList(msgspec.Struct, kw_only=True):
    data: list[Forecast]
    meta: PageMeta
