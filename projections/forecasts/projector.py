"""Spending forecasts as they were made: one row per ``SpendingForecast.Made``."""

from __future__ import annotations

import json

from domain.forecasting.forecast import SpendingForecast
from projections.forecasts.view import TABLES
from projections.runtime import Cursor, Projection, handles


class ForecastsProjection(Projection):
    name = "forecasts"
    tables = TABLES

    @handles(SpendingForecast.Made)
    async def on_forecast_made(
        self, cur: Cursor, event: SpendingForecast.Made, position: int
    ) -> None:
        body = {
            "period": event.period,
            "start_date": event.start_date.isoformat(),
            "end_date": event.end_date.isoformat(),
            "methodology": event.methodology,
            "as_of": event.as_of.isoformat(),
            "category_ids": None if event.category_ids is None else list(event.category_ids),
            "currency": event.currency,
            "amount": event.amount,
            "low": event.low,
            "median": event.median,
            "high": event.high,
            "categories": list(event.categories),
            "history": event.history,
            "factors": list(event.factors),
            "recommendations": list(event.recommendations),
        }
        await cur.execute(
            "INSERT INTO forecasts (id, workspace_id, body, created_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (event.originator_id, event.workspace_id, json.dumps(body), event.timestamp),
        )
