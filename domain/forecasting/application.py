"""The Forecasting application: spending forecasts, each recorded as it was made."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.base import Actor, CentsourceApplication
from domain.forecasting.forecast import History, Methodology, Period, SpendingForecast


class Forecasting(CentsourceApplication):
    def make_forecast(
        self,
        forecast_id: UUID,
        workspace_id: UUID,
        period: Period,
        methodology: Methodology,
        categories: Sequence[UUID] | None,
        history: History,
        currency: str,
        by: Actor,
    ) -> tuple[SpendingForecast, int]:
        """A retry with the same Idempotency-Key names the same id: the recorded one answers."""
        found = self.find(SpendingForecast, forecast_id)
        if found is not None and found.workspace_id == workspace_id:
            return found, 0
        forecast = SpendingForecast.make(
            forecast_id, workspace_id, period, methodology, categories, history, currency, by
        )
        return forecast, self.save_all(forecast)
