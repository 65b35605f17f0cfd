"""Spending forecasts: a month's or a quarter's spending forecast from the workspace's
monthly history (read from the transactions model), recorded as an event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from command_api.access import Access
from command_api.context import new_id
from command_api.spending_history import monthly_spending
from domain.base import Actor, InvalidInputError
from domain.forecasting.application import Forecasting
from domain.forecasting.forecast import (
    CATEGORIES_MAX,
    Methodology,
    SpendingForecast,
    parse_period,
)
from domain.workspaces.application import Workspaces
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"


def provide_forecasting(request: Request[Any, Any, State]) -> Forecasting:
    forecasting: Forecasting = request.app.state.forecasting
    return forecasting


class MakeForecast(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``period``: a month (``2026-11``) or a quarter (``Q1-2027``); ``as_of``: forecast from
    the history up to that date only (today by default), to back-test a past period."""

    period: Annotated[str, Meta(max_length=7)]
    categories: Annotated[list[UUID], Meta(min_length=1, max_length=CATEGORIES_MAX)] | None = None
    methodology: Methodology = Methodology.LINEAR
    as_of: date | None = None


class ForecastOut(msgspec.Struct, kw_only=True):
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
    position: int


@post(f"{WORKSPACE}/forecasts", access=Access.EDITOR, status_code=201)
async def make_forecast(
    workspace_id: FromPath[UUID],
    data: JSONBody[MakeForecast],
    forecasting: NamedDependency[Forecasting],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ForecastOut:
    """Forecasts the period's spending (base currency) and records it; under 30 days of
    history up to ``as_of`` is 422 naming the days there are."""
    period = parse_period(data.period)
    workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
    today = datetime.now(UTC).astimezone(ZoneInfo(workspace.timezone)).date()
    as_of = data.as_of or today
    if as_of > today:
        raise InvalidInputError("must not be after today", "as_of")
    history = await monthly_spending(
        request.app.state.pool, workspace_id, workspace.base_currency, as_of
    )
    forecast, position = await asyncio.to_thread(
        forecasting.make_forecast,
        new_id(request, principal, "forecast"),
        workspace_id,
        period,
        data.methodology,
        data.categories,
        history,
        workspace.base_currency,
        actor,
    )
    return _out(forecast, position)


def _out(f: SpendingForecast, position: int) -> ForecastOut:
    return ForecastOut(
        id=f.id,
        period=f.period,
        start_date=f.start_date,
        end_date=f.end_date,
        methodology=f.methodology,
        as_of=f.as_of,
        category_ids=None if f.category_ids is None else list(f.category_ids),
        currency=f.currency,
        amount=f.amount,
        low=f.low,
        median=f.median,
        high=f.high,
        categories=list(f.categories),
        history=f.history,
        factors=list(f.factors),
        recommendations=list(f.recommendations),
        position=position,
    )
