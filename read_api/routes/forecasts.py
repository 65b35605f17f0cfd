"""Serves forecasts: the liquid balance day by day, scenarios, a long-range projection, and a
purchase simulation (a POST that saves nothing).

Lines and occurrences are read through the insights' cache (keyed by the workspace's last
change); balances, schedules, budgets and goals are read fresh. Formulas:
``projections/insights/forecasts.py`` and docs/insights.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter

from infra.tasks import both
from projections.budgets import view as budgets_view
from projections.forecasts import view as forecasts_view
from projections.forecasts.model import ForecastList
from projections.goals import view as goals_view
from projections.insights import forecasts, recurring, rows
from projections.insights.forecasts import BudgetState, GoalState, Variable
from projections.insights.model import (
    BalanceForecast,
    FutureProjection,
    PurchaseSimulation,
    RecurringSeries,
    Scenarios,
)
from projections.ledger import view as ledger_view
from projections.schedules import view as schedules_view
from projections.schedules.model import ScheduleView
from read_api.access import read_access
from read_api.reading import Reading, answer

SERVING = ("transactions", "ledger", "dashboard", "budgets", "goals", "schedules")


class SimulatePurchase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A purchase to try: ``amount`` in the base currency, paid on ``date`` (today by
    default) from ``account_id`` (any liquid account by default), in ``installments``
    monthly payments."""

    amount: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$")]
    date: date | None = None
    category: UUID | None = None  # a category id: the budgets that count it
    merchant: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    account_id: UUID | None = None
    installments: Annotated[int, msgspec.Meta(ge=1, le=60)] = 1


class Basis:
    """What every forecast starts from: today, the liquid balance, the schedules, the
    series, ``v``."""

    today: date
    conversion: ledger_view.Conversion
    balance: Decimal
    schedules: list[ScheduleView]
    series: list[RecurringSeries]
    variable: Variable
    liquid: list[UUID]


async def _basis(reading: Reading, account_id: UUID | None = None) -> Basis:
    basis = Basis()
    today, _, conversion, names = await reading.start()
    conn, workspace_id = reading.conn, reading.workspace_id
    accounts = [
        a
        for a in await ledger_view.list_accounts(conn, workspace_id, today)
        if a.type in forecasts.LIQUID and not a.closed
    ]
    if account_id is not None and account_id not in {a.id for a in accounts}:
        raise ValidationException(
            "not an open checking, savings or cash account of this workspace",
            extra=[{"key": "account_id", "message": "unknown or not a liquid account"}],
        )
    total = ledger_view.BaseTotal(conversion)
    for account in accounts:
        total.add(Decimal(account.balance), account.currency, today)
    history = today - timedelta(days=recurring.HISTORY_DAYS)
    recent = today - timedelta(days=forecasts.VARIABLE_DAYS - 1)
    grouped, lines = await both(
        reading.aside(lambda other: other.series(history, today)), reading.lines(recent, today)
    )
    series = recurring.series_in(grouped, workspace_id, today, names)
    schedules = await _schedules(conn, workspace_id)
    members = forecasts.series_members(grouped, series, workspace_id)
    if schedules:
        members |= forecasts.schedule_members(
            await reading.occurrences(recent, today), schedules, today
        )
    # History starts at the first transaction (transfers aside) of the three years read.
    first = await rows.first_occurrence(conn, workspace_id, history, today)
    basis.today, basis.conversion, basis.balance, basis.series = (
        today,
        conversion,
        total.total,
        series,
    )
    basis.schedules = schedules
    basis.variable = forecasts.variable_spending(lines, members, conversion, today, first)
    basis.liquid = [a.id for a in accounts if account_id is None or a.id == account_id]
    return basis


class ForecastsController(Controller):
    path = "/api/workspaces/{workspace_id:uuid}"
    tags = ["forecasts"]

    @get("/forecasts/balance")
    async def balance_forecast(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        days: Annotated[int, QueryParameter(ge=1, le=365)] = 30,
    ) -> Response[BalanceForecast]:
        """The liquid accounts' balance (CHECKING, SAVINGS, CASH; base currency) today and each
        of the next ``days`` days (1 to 365): schedules, then the active recurring series no
        schedule covers, on their dates; average variable spending spread over every day, an
        80 % band and a confidence."""

        async def compute(reading: Reading) -> BalanceForecast:
            b = await _basis(reading)
            return forecasts.balance_forecast(
                b.balance, b.series, b.variable, b.conversion, b.today, days, b.schedules
            )

        return await answer(request, workspace_id, SERVING, compute)

    @get("/forecasts/scenarios")
    async def forecast_scenarios(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=24)] = 6,
    ) -> Response[Scenarios]:
        """Conservative, expected and optimistic balances at each of ``months`` month ends
        (1 to 24, this month's first), with the assumptions stated."""

        async def compute(reading: Reading) -> Scenarios:
            b = await _basis(reading)
            return forecasts.scenarios(
                b.balance, b.series, b.variable, b.conversion, b.today, months, b.schedules
            )

        return await answer(request, workspace_id, SERVING, compute)

    @get("/forecasts/future")
    async def forecast_future(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=60)] = 12,
    ) -> Response[FutureProjection]:
        """Each of ``months`` months (1 to 60, this one from tomorrow): known income, known and
        variable expenses, net and the expected balance at its end."""

        async def compute(reading: Reading) -> FutureProjection:
            b = await _basis(reading)
            return forecasts.future(
                b.balance, b.series, b.variable, b.conversion, b.today, months, b.schedules
            )

        return await answer(request, workspace_id, SERVING, compute)

    @get("/forecasts")
    async def list_forecasts(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> ForecastList:
        """The spending forecasts made (``POST …/forecasts``), newest first; once a period is
        over (before today, the workspace's) each shows its ``accuracy``: what was spent in
        it, counted as the history was, and the median's error in percent."""
        await read_access(request, workspace_id, ("forecasts", "transactions"))
        async with request.app.state.pool.connection() as conn:
            today, _ = await rows.settings(conn, workspace_id)
            return await forecasts_view.list_forecasts(conn, workspace_id, today, page, page_size)

    @post("/simulate/purchase", status_code=200)
    async def simulate_purchase(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        data: JSONBody[SimulatePurchase],
    ) -> Response[PurchaseSimulation]:
        """Today's balance and the balance 30 days on with and without the purchase, its lowest
        point, the budgets it would push over, the goals it would delay and a verdict
        (AFFORDABLE, TIGHT, NOT_ADVISED) with the reasons. Saves nothing."""
        amount = Decimal(data.amount)
        if amount <= 0:
            raise ValidationException(
                "amount must be above 0", extra=[{"key": "amount", "message": "must be above 0"}]
            )
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            await reading.open()
            b = await _basis(reading, data.account_id)
            day = max(data.date or b.today, b.today)
            budgets = await _budgets(conn, workspace_id, b, day, data.category)
            goals = await _goals(conn, workspace_id, b)
        found = forecasts.simulate_purchase(
            b.balance,
            b.series,
            b.variable,
            b.conversion,
            b.today,
            amount,
            day,
            data.installments,
            budgets,
            goals,
            b.schedules,
        )
        return Response(found)


async def _schedules(conn: Any, workspace_id: UUID) -> list[ScheduleView]:
    """The workspace's live (not deleted) schedules, oldest first."""
    rows = await (
        await conn.execute(
            f"SELECT {schedules_view.COLUMNS} FROM schedules "  # noqa: S608
            "WHERE workspace_id = %s AND NOT deleted ORDER BY created_at, id",
            (workspace_id,),
        )
    ).fetchall()
    return [msgspec.convert(row, ScheduleView) for row in rows]


async def _budgets(
    conn: Any, workspace_id: UUID, b: Basis, day: date, category: UUID | None
) -> list[BudgetState]:
    """Active budgets in the base currency whose period holds ``day`` and which count the
    category (a budget without categories counts every expense; one with a parent counts
    its subcategories)."""
    parents, _ = await budgets_view.categories(conn, workspace_id)
    found = []
    for budget in await budgets_view.workspace_budgets(conn, workspace_id):
        view = budget.view
        if not view.active or view.currency != b.conversion.base or day < view.start_date:
            continue
        if view.end_date is not None and day > view.end_date:
            continue
        counted = set(view.category_ids)
        if counted and (category is None or not {category, parents.get(category)} & counted):
            continue
        progress = await budgets_view.progress(conn, budget, day)
        limit, spent = Decimal(progress.limit), abs(Decimal(progress.spent))
        found.append(BudgetState(view.id, view.name, limit, spent))
    return found


async def _goals(conn: Any, workspace_id: UUID, b: Basis) -> list[GoalState]:
    """Open goals in the base currency the purchase's money would have gone to: savings goals
    on the paying (or any liquid) account, and net-worth goals."""
    found = []
    for goal in await goals_view.list_goals(conn, workspace_id, None, False, b.today):
        if goal.currency != b.conversion.base:
            continue
        if not (
            goal.type == "NET_WORTH" or (goal.type == "SAVINGS" and goal.account_id in b.liquid)
        ):
            continue
        progress = await goals_view.progress(conn, goal, b.today)
        found.append(
            GoalState(
                goal.id,
                goal.name,
                Decimal(progress.remaining),
                Decimal(progress.current_monthly_contribution),
            )
        )
    return found
