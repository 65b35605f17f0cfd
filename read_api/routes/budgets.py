"""Serves the budgets projection: budgets, their progress and forecast, alert rules."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from projections.budgets import view
from projections.budgets.model import (
    AlertRuleList,
    BudgetForecast,
    BudgetPage,
    BudgetProgress,
    BudgetView,
)
from projections.insights import rows
from read_api.access import read_access

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
BUDGET = f"{WORKSPACE}/budgets/{{budget_id:uuid}}"
# Spending is read from these too: a write is seen once all of them have it.
SERVING = ("budgets", "transactions", "ledger")
On = Annotated[
    date | None,
    QueryParameter(name="date", description="the day whose period is shown (today by default)"),
]


@get(f"{WORKSPACE}/budgets")
async def list_budgets(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    on: On = None,
    active: FromQuery[bool | None] = None,
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> BudgetPage:
    """Every budget (or the active or inactive ones), with its current period's limit,
    spending and status."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        return await view.list_budgets(
            conn, workspace_id, on or await rows.today(conn, workspace_id), active, page, page_size
        )


@get(BUDGET)
async def get_budget(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID], budget_id: FromPath[UUID]
) -> BudgetView:
    await read_access(request, workspace_id, "budgets")
    async with request.app.state.pool.connection() as conn:
        return (await _budget(conn, workspace_id, budget_id)).view


@get(f"{BUDGET}/progress")
async def budget_progress(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    budget_id: FromPath[UUID],
    on: On = None,
) -> BudgetProgress:
    """Spent, remaining, burn rate and projection for the period, per category with status
    ON_TRACK, AT_RISK (past the first threshold, or heading over) or OVER."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        budget = await _budget(conn, workspace_id, budget_id)
        return await view.progress(conn, budget, on or await rows.today(conn, workspace_id))


@get(f"{BUDGET}/forecast")
async def budget_forecast(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    budget_id: FromPath[UUID],
    on: On = None,
) -> BudgetForecast:
    """Each category's daily average so far, carried to the period's end, with advice."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        budget = await _budget(conn, workspace_id, budget_id)
        return await view.forecast(conn, budget, on or await rows.today(conn, workspace_id))


@get(f"{WORKSPACE}/alert-rules")
async def list_alert_rules(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    on: On = None,
    active: FromQuery[bool | None] = None,
    triggered: FromQuery[bool | None] = None,
) -> AlertRuleList:
    """Each rule with where it stands on every active budget it watches: what it counts, where
    it triggers, the percent of that and what remains to it."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        rules = await view.list_alert_rules(
            conn, workspace_id, on or await rows.today(conn, workspace_id), active, triggered
        )
    return AlertRuleList(data=rules)


async def _budget(conn: Any, workspace_id: UUID, budget_id: UUID) -> view.Budget:
    budget = await view.get_budget(conn, workspace_id, budget_id)
    if budget is None:
        raise NotFoundException("no such budget")
    return budget
