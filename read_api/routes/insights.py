"""Serves insights: month statistics, trends, top categories, cash flow, periods, anomalies,
recurring series and the health score.

The lines each answer is computed from are cached in Redis under the workspace's last changing
position (as the dashboard's figures are); rates, names and the statistics themselves are
worked out at each read, so a rate or a rename shows at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
import redis.asyncio as redis
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter

from infra.settings import Settings
from projections.insights import (
    anomalies,
    briefing,
    health,
    health_rows,
    opportunities,
    overview,
    patterns,
    recurring,
    rows,
    stats,
)
from projections.insights.model import (
    Anomalies,
    Briefing,
    CashFlow,
    HealthHistory,
    HealthScore,
    Line,
    MonthStats,
    Occurrence,
    Overview,
    Periods,
    Recurring,
    SavingsOpportunities,
    SpendingPatterns,
    TopCategories,
    Trends,
)
from projections.ledger import view as ledger_view
from projections.risk_flags import view as risk_flags_view
from projections.risk_flags.model import ReviewStatus
from read_api.access import read_access
from read_api.cache import cache_get, cache_put
from read_api.routes.dashboard import MONTH

SERVING = ("transactions", "ledger", "dashboard")
Month = Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM")]
From = Annotated[date | None, QueryParameter(name="from")]
To = Annotated[date | None, QueryParameter(name="to")]
Interval = Literal["day", "week", "month", "year"]
Timeframe = Literal["week", "month", "quarter", "year"]
OverviewTimeframe = Literal["today", "this-week", "this-month", "this-year", "all-time"]
Threshold = Annotated[
    str,
    QueryParameter(
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$",
        description="standard deviations above the mean (0 to 999.99)",
    ),
]
_LINES = msgspec.json.Decoder(list[Line])
_MONTHS = msgspec.json.Decoder(list[date])
_TIMES = msgspec.json.Decoder(dict[UUID, time])
_OCCURRENCES = msgspec.json.Decoder(list[Occurrence])


class Reading:
    """One request's connection, cache key version and conversion into the base currency."""

    def __init__(self, request: Request[Any, Any, State], conn: Any, workspace_id: UUID) -> None:
        self.request = request
        self.conn = conn
        self.workspace_id = workspace_id
        self.hit = True

    async def start(self) -> tuple[date, str, ledger_view.Conversion, dict[UUID, str]]:
        """Today and the week start of the workspace, a fresh conversion, category names."""
        conn, workspace_id = self.conn, self.workspace_id
        self.position, self.version = await rows.cache_version(conn, workspace_id)
        today, week_start = await rows.settings(conn, workspace_id)
        base = await ledger_view.base_currency(conn, workspace_id)
        rates = await ledger_view.Rates.load(conn, workspace_id)
        names = await rows.category_names(conn, workspace_id)
        return today, week_start, ledger_view.Conversion(rates, base), names

    async def lines(self, start: date, end: date) -> list[Line]:
        return _LINES.decode(
            await self._cached(
                f"lines:{start}:{end}", lambda: rows.lines(self.conn, self.workspace_id, start, end)
            )
        )

    async def months(self) -> list[date]:
        return _MONTHS.decode(
            await self._cached("months", lambda: rows.months(self.conn, self.workspace_id))
        )

    async def occurrences(self, start: date, end: date) -> list[Occurrence]:
        return _OCCURRENCES.decode(
            await self._cached(
                f"occurrences:{start}:{end}",
                lambda: rows.occurrences(self.conn, self.workspace_id, start, end),
            )
        )

    async def times(self, start: date, end: date) -> dict[UUID, time]:
        return _TIMES.decode(
            await self._cached(
                f"times:{start}:{end}", lambda: rows.times(self.conn, self.workspace_id, start, end)
            )
        )

    async def _cached(self, what: str, fetch: Callable[[], Awaitable[Any]]) -> bytes:
        request = self.request
        settings: Settings = request.app.state.settings
        cache: redis.Redis = request.app.state.cache
        key = f"insights:{settings.database_schema}:{self.workspace_id}:{what}:{self.version}"
        cached = await cache_get(cache, key)
        request.app.state.metrics.count_cache("insights", hit=cached is not None)
        if cached is not None:
            return cached
        self.hit = False
        value = msgspec.json.encode(await fetch())
        # Only what every read model had reached the workspace's last change when it was read
        # may be kept under that change's position; a lagging one's answer is served, not kept.
        if request.scope["state"].get("projection_position", 0) >= self.position:
            await cache_put(cache, key, value)
        return value

    def respond(self, body: Any) -> Response[Any]:
        return Response(body, headers={"X-Cache": "hit" if self.hit else "miss"})


def _range(start: date | None, end: date | None, default: tuple[date, date]) -> tuple[date, date]:
    start, end = start or default[0], end or default[1]
    if start > end:
        raise ValidationException(
            "from is after to", extra=[{"key": "from", "message": "must be on or before to"}]
        )
    return start, end


def _first_day(month: str | None, today: date) -> date:
    return date.fromisoformat(f"{month}-01") if month else today.replace(day=1)


async def _health_data(
    reading: Reading,
    conversion: ledger_view.Conversion,
    names: dict[UUID, str],
    days: list[date],
) -> health.HealthData:
    """What the health score as of each of ``days`` (oldest first) is worked out from."""
    conn, workspace_id = reading.conn, reading.workspace_id
    first, last = days[0], days[-1]
    lines = await reading.lines(health.complete_months(first, health.WINDOW_MONTHS)[0], last)
    found = await reading.occurrences(first - timedelta(days=recurring.HISTORY_DAYS), last)
    # Balances and budgets are read fresh: the cache key follows neither valuations nor budgets.
    balances = await health_rows.balances(conn, workspace_id, days)
    budget_start = health.complete_months(first, health.BUDGET_MONTHS)[0]
    periods = await health_rows.budget_periods(conn, workspace_id, budget_start, last)
    return health.HealthData(
        lines=lines,
        occurrences=found,
        balances=balances,
        budget_periods=periods,
        conversion=conversion,
        workspace_id=workspace_id,
        names=names,
    )


async def _current_budgets(
    conn: Any, workspace_id: UUID, day: date
) -> list[overview.CurrentBudget]:
    found = await health_rows.current_budget_periods(conn, workspace_id, day)
    return [overview.CurrentBudget(period=period, currency=currency) for period, currency in found]


async def _open_risk_flags(conn: Any, workspace_id: UUID) -> int:
    """How many flags still wait for a review."""
    page = await risk_flags_view.flags(conn, workspace_id, ReviewStatus.PENDING, 1, 1)
    return page.totals.PENDING


class InsightsController(Controller):
    path = "/api/workspaces/{workspace_id:uuid}"
    tags = ["insights"]

    @get("/stats")
    async def month_stats(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID], month: Month = None
    ) -> Response[MonthStats]:
        """Income, expenses, net, investments (what transfers moved into investment accounts,
        less what they took out), savings rate (net / income, %) and transaction count of the
        month (this month in the workspace's time zone by default) and of the month before,
        with the change of each as an amount and a percent. In the base currency."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, _ = await reading.start()
            first_day = _first_day(month, today)
            before = stats.previous_month(first_day)
            lines = await reading.lines(before, stats.month_end(first_day))
        return reading.respond(stats.month_stats(lines, conversion, first_day))

    @get("/stats/trends")
    async def stats_trends(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        start: From = None,
        end: To = None,
        interval: FromQuery[Interval] = "month",
    ) -> Response[Trends]:
        """One row per period from ``from`` to ``to`` (the last 12 months by default), empty
        periods as zeros: income, expenses, net and expenses per category. At most 1,000
        periods (else 400 naming ``interval``)."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, week_start, conversion, names = await reading.start()
            year_ago = stats.last_months(today.replace(day=1), 12)[0]
            start, end = _range(start, end, (year_ago, today))
            spans = stats.periods(start, end, interval, week_start)
            if spans is None:
                raise ValidationException(
                    f"at most {stats.MAX_PERIODS} periods: shorten the range or widen the interval",
                    extra=[{"key": "interval", "message": "too many periods"}],
                )
            lines = await reading.lines(start, end)
        return reading.respond(stats.trends(lines, conversion, spans, interval, names))

    @get("/stats/top-categories")
    async def top_categories(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        start: From = None,
        end: To = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
    ) -> Response[TopCategories]:
        """The categories spent most in, from ``from`` to ``to`` (this month by default): amount,
        percentage of all spending and count of expenses, biggest first."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            this_month = today.replace(day=1)
            start, end = _range(start, end, (this_month, stats.month_end(this_month)))
            lines = await reading.lines(start, end)
        return reading.respond(stats.top_categories(lines, conversion, start, end, limit, names))

    @get("/stats/cash-flow")
    async def cash_flow(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=120)] = 12,
    ) -> Response[CashFlow]:
        """Income, expenses and savings (income - expenses) of each of the last ``months``
        months, this one included, oldest first."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, _ = await reading.start()
            firsts = stats.last_months(today.replace(day=1), months)
            lines = await reading.lines(firsts[0], stats.month_end(firsts[-1]))
        return reading.respond(stats.cash_flow(lines, conversion, firsts))

    @get("/stats/periods")
    async def stats_periods(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[Periods]:
        """The years and months (newest first) that hold transactions."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            await reading.start()
            months = await reading.months()
        return reading.respond(stats.periods_held(months))

    @get("/insights/anomalies")
    async def find_anomalies(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        start: From = None,
        end: To = None,
        threshold: Threshold = "3",
    ) -> Response[Anomalies]:
        """Expenses from ``from`` to ``to`` (this month by default) more than ``threshold``
        standard deviations above the mean of their category's expenses in the 180 days
        before them (at least 5 of them), with the figures that make each one unusual."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            this_month = today.replace(day=1)
            start, end = _range(start, end, (this_month, stats.month_end(this_month)))
            window = start - timedelta(days=anomalies.WINDOW_DAYS)  # from is 1900 or later
            lines = await reading.lines(window, end)
        found = anomalies.find_anomalies(lines, conversion, start, end, Decimal(threshold), names)
        return reading.respond(found)

    @get("/insights/spending-patterns")
    async def spending_patterns(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        timeframe: FromQuery[Timeframe] = "month",
    ) -> Response[SpendingPatterns]:
        """Spending in the current week, month, quarter or year to date (in the workspace's
        time zone): the average per weekend day and per weekday (calendar days, a day without
        spending as 0), ``weekend_pct``, late-night expenses (22:00 to 05:00 local), the
        average transaction, and insights: weekend and late-night patterns, and categories
        rising in each of the three full timeframes before this one."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, week_start, conversion, names = await reading.start()
            start = patterns.timeframe_start(today, timeframe, week_start)
            lines = await reading.lines(patterns.full_periods(start, timeframe)[0][0], today)
            times = await reading.times(start, today)
        found = patterns.spending_patterns(
            lines, times, conversion, today, timeframe, names, week_start
        )
        return reading.respond(found)

    @get("/insights/recurring")
    async def find_recurring(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[Recurring]:
        """Recurring series (subscriptions, bills, salaries) in the last three years: same
        merchant, account, sign and currency, amounts within 20 % (or one price step), regular
        gaps. Each with its cadence, typical, lowest and highest amount, occurrences, first,
        last and next expected date, annual cost, confidence, status and price change, in the
        series' own currency; the most confident first."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, _, names = await reading.start()
            start = today - timedelta(days=recurring.HISTORY_DAYS)
            found = await reading.occurrences(start, today)
        series = recurring.find_recurring(found, workspace_id, today, names)
        return reading.respond(Recurring(today=today, start=start, data=series))

    @get("/insights/savings-opportunities")
    async def savings_opportunities(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[SavingsOpportunities]:
        """Ways to spend less, each with its type, title, description, potential saving per
        month (in the base currency), recommendation, confidence and evidence: price
        increases, two or more subscriptions in one category, a category's last full month
        above its 3-month average, fees in the last 90 days, and stopped series still
        budgeted. The biggest saving first; docs/insights.md gives each rule's threshold."""
        await read_access(request, workspace_id, (*SERVING, "budgets"))
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            start = today - timedelta(days=recurring.HISTORY_DAYS)
            found = await reading.occurrences(start, today)
            lines = await reading.lines(opportunities.lines_start(today), today)
            # Budgets and the category tree are read fresh: the cache key does not follow them.
            categories = await rows.category_tree(conn, workspace_id)
            budgets = await rows.active_budgets(conn, workspace_id, today)
        series = recurring.find_recurring(found, workspace_id, today, names)
        answer = opportunities.savings_opportunities(
            series, lines, conversion, today, names, categories, budgets
        )
        return reading.respond(answer)

    @get("/health-score")
    async def health_score(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[HealthScore]:
        """The financial health score today (0 to 100): savings consistency, debt ratio,
        spending discipline (budgets kept), emergency funds, investments and subscription
        management, each with its score, maximum, inputs and reason, then an explanation and
        improvements (the weakest first). docs/insights.md gives each formula."""
        await read_access(request, workspace_id, (*SERVING, "budgets"))
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            data = await _health_data(reading, conversion, names, [today])
        return reading.respond(health.health_score(data, today))

    @get("/health-score/history")
    async def health_score_history(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=24)] = 12,
    ) -> Response[HealthHistory]:
        """The health score as of the last day of each of the last ``months`` complete
        months (1 to 24), oldest first, each from what was dated up to that day."""
        await read_access(request, workspace_id, (*SERVING, "budgets"))
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            ends = [stats.month_end(m) for m in health.complete_months(today, months)]
            data = await _health_data(reading, conversion, names, ends)
        return reading.respond(health.health_history(data, ends))

    @get("/overview")
    async def overview_cards(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        timeframe: FromQuery[OverviewTimeframe] = "this-month",
    ) -> Response[Overview]:
        """Summary cards of the timeframe (to today, in the workspace's time zone): net worth
        (current, change, percent, trend UP, DOWN or FLAT under 1 %), spending against the
        active budgets, income against its 3-month average, cash flow, savings rate, health
        score, open risk flags and the last 5 transactions. docs/insights.md gives each rule."""
        await read_access(request, workspace_id, (*SERVING, "budgets", "risk_flags"))
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, week_start, conversion, names = await reading.start()
            first = await health_rows.first_date(conn, workspace_id)
            start = overview.timeframe_start(today, timeframe, week_start, first)
            lines = await reading.lines(min(start, overview.income_start(today)), today)
            # Balances, budgets and flags are read fresh: the cache key follows none of them.
            days = [start - timedelta(days=1), today]
            balances = await health_rows.balances(conn, workspace_id, days)
            budgets = await _current_budgets(conn, workspace_id, today)
            flags = await _open_risk_flags(conn, workspace_id)
            data = await _health_data(reading, conversion, names, [today])
        score = health.health_score(data, today).score
        cards = overview.OverviewData(
            lines=lines,
            balances=balances,
            budgets=budgets,
            health_score=score,
            open_risk_flags=flags,
            conversion=conversion,
        )
        return reading.respond(overview.overview(cards, timeframe, start, today))

    @get("/briefing")
    async def daily_briefing(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        day: Annotated[date | None, QueryParameter(name="date")] = None,
    ) -> Response[Briefing]:
        """A few sentences on the day (today in the workspace's time zone by default): liquid
        balance, month-to-date spending against the budgets, bills due in the next 7 days, and
        flags awaiting review or unusual expenses, with the metrics they were filled from.
        docs/insights.md lists each sentence and when it appears."""
        await read_access(request, workspace_id, (*SERVING, "budgets", "risk_flags"))
        async with request.app.state.pool.connection() as conn:
            reading = Reading(request, conn, workspace_id)
            today, _, conversion, names = await reading.start()
            day = day or today
            month = day.replace(day=1)
            lines = await reading.lines(month - timedelta(days=anomalies.WINDOW_DAYS), day)
            found = await reading.occurrences(day - timedelta(days=recurring.HISTORY_DAYS), day)
            balances = await health_rows.balances(conn, workspace_id, [day])
            budgets = await _current_budgets(conn, workspace_id, day)
            flags = await _open_risk_flags(conn, workspace_id)
        unusual = anomalies.find_anomalies(lines, conversion, month, day, Decimal(3), names)
        data = briefing.BriefingData(
            lines=lines,
            balances=balances,
            budgets=budgets,
            series=recurring.find_recurring(found, workspace_id, day, names),
            open_risk_flags=flags,
            anomalies=len(unusual.data),
            conversion=conversion,
        )
        return reading.respond(briefing.briefing(data, day))
