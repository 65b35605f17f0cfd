"""Serves insights: month statistics, trends, top categories, cash flow, periods, anomalies,
recurring series and the health score.

Each answer is cached in Redis under its route and query, the workspace's today and the last
position of the workspace in the log, so any change (a transaction, a rate, a rename, a budget,
a flag) or a new day is seen at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter

from infra.tasks import both
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
    MonthStats,
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
from read_api.reading import ONE_DAY, Reading, answer
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
    # Only the months' sums are read from the lines: their day totals say the same.
    history = timedelta(days=recurring.HISTORY_DAYS)
    windows = [(day - history, day) for day in days]
    lines, found = await both(
        reading.day_totals(health.complete_months(first, health.WINDOW_MONTHS)[0], last),
        reading.aside(lambda other: other.series(first - history, last, windows)),
    )
    balances = await health_rows.balances(conn, workspace_id, days)
    budget_start = health.complete_months(first, health.BUDGET_MONTHS)[0]
    periods = await health_rows.budget_periods(conn, workspace_id, budget_start, last)
    return health.HealthData(
        lines=lines,
        grouped=found,
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

        async def compute(reading: Reading) -> MonthStats:
            today, _, conversion, _ = await reading.start()
            first_day = _first_day(month, today)
            before = stats.previous_month(first_day)
            lines = await reading.lines(before, stats.month_end(first_day))
            return stats.month_stats(lines, conversion, first_day)

        return await answer(request, workspace_id, SERVING, compute)

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

        async def compute(reading: Reading) -> Trends:
            today, week_start, conversion, names = await reading.start()
            year_ago = stats.last_months(today.replace(day=1), 12)[0]
            first, last = _range(start, end, (year_ago, today))
            spans = stats.periods(first, last, interval, week_start)
            if spans is None:
                raise ValidationException(
                    f"at most {stats.MAX_PERIODS} periods: shorten the range or widen the interval",
                    extra=[{"key": "interval", "message": "too many periods"}],
                )
            lines = await reading.day_totals(first, last, by_category=True)
            return stats.trends(lines, conversion, spans, interval, names)

        return await answer(request, workspace_id, SERVING, compute)

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

        async def compute(reading: Reading) -> TopCategories:
            today, _, conversion, names = await reading.start()
            this_month = today.replace(day=1)
            first, last = _range(start, end, (this_month, stats.month_end(this_month)))
            lines = await reading.lines(first, last)
            return stats.top_categories(lines, conversion, first, last, limit, names)

        return await answer(request, workspace_id, SERVING, compute)

    @get("/stats/cash-flow")
    async def cash_flow(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=120)] = 12,
    ) -> Response[CashFlow]:
        """Income, expenses and savings (income - expenses) of each of the last ``months``
        months, this one included, oldest first."""

        async def compute(reading: Reading) -> CashFlow:
            today, _, conversion, _ = await reading.start()
            firsts = stats.last_months(today.replace(day=1), months)
            lines = await reading.day_totals(firsts[0], stats.month_end(firsts[-1]))
            return stats.cash_flow(lines, conversion, firsts)

        return await answer(request, workspace_id, SERVING, compute)

    @get("/stats/periods")
    async def stats_periods(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[Periods]:
        """The years and months (newest first) that hold transactions."""

        async def compute(reading: Reading) -> Periods:
            return stats.periods_held(await reading.months())

        return await answer(request, workspace_id, SERVING, compute)

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

        async def compute(reading: Reading) -> Anomalies:
            today, _, conversion, names = await reading.start()
            this_month = today.replace(day=1)
            first, last = _range(start, end, (this_month, stats.month_end(this_month)))
            # ``from`` is 1900 or later, so its 180 days of history are dates there are.
            (foreign, summed), lines = await both(
                reading.anomaly_history(first, conversion.base), reading.lines(first, last)
            )
            return anomalies.find_anomalies(
                foreign + lines, conversion, first, last, Decimal(threshold), names, summed
            )

        return await answer(request, workspace_id, SERVING, compute)

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

        async def compute(reading: Reading) -> SpendingPatterns:
            today, week_start, conversion, names = await reading.start()
            start = patterns.timeframe_start(today, timeframe, week_start)
            lines = await reading.lines(patterns.full_periods(start, timeframe)[0][0], today)
            times = await reading.times(start, today)
            return patterns.spending_patterns(
                lines, times, conversion, today, timeframe, names, week_start
            )

        return await answer(request, workspace_id, SERVING, compute)

    @get("/insights/recurring")
    async def find_recurring(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[Recurring]:
        """Recurring series (subscriptions, bills, salaries) in the last three years: same
        merchant, account, sign and currency, amounts within 20 % (or one price step), regular
        gaps. Each with its cadence, typical, lowest and highest amount, occurrences, first,
        last and next expected date, annual cost, confidence, status and price change, in the
        series' own currency; the most confident first."""

        async def compute(reading: Reading) -> Recurring:
            today, _, _, names = await reading.start()
            start = today - timedelta(days=recurring.HISTORY_DAYS)
            found = await reading.series(start, today)
            series = recurring.series_in(found, workspace_id, today, names)
            return Recurring(today=today, start=start, data=series)

        return await answer(request, workspace_id, SERVING, compute)

    @get("/insights/savings-opportunities")
    async def savings_opportunities(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[SavingsOpportunities]:
        """Ways to spend less, each with its type, title, description, potential saving per
        month (in the base currency), recommendation, confidence and evidence: price
        increases, two or more subscriptions in one category, a category's last full month
        above its 3-month average, fees in the last 90 days, and stopped series still
        budgeted. The biggest saving first; docs/insights.md gives each rule's threshold."""

        async def compute(reading: Reading) -> SavingsOpportunities:
            today, _, conversion, names = await reading.start()
            history = today - timedelta(days=recurring.HISTORY_DAYS)
            found, lines = await both(
                reading.aside(lambda other: other.series(history, today)),
                reading.lines(opportunities.lines_start(today), today),
            )
            categories = await rows.category_tree(reading.conn, workspace_id)
            budgets = await rows.active_budgets(reading.conn, workspace_id, today)
            series = recurring.series_in(found, workspace_id, today, names)
            return opportunities.savings_opportunities(
                series, lines, conversion, today, names, categories, budgets
            )

        return await answer(request, workspace_id, (*SERVING, "budgets"), compute)

    @get("/health-score")
    async def health_score(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> Response[HealthScore]:
        """The financial health score today (0 to 100): savings consistency, debt ratio,
        spending discipline (budgets kept), emergency funds, investments and subscription
        management, each with its score, maximum, inputs and reason, then an explanation and
        improvements (the weakest first). docs/insights.md gives each formula."""

        async def compute(reading: Reading) -> HealthScore:
            today, _, conversion, names = await reading.start()
            data = await _health_data(reading, conversion, names, [today])
            return health.health_score(data, today)

        return await answer(request, workspace_id, (*SERVING, "budgets"), compute)

    @get("/health-score/history")
    async def health_score_history(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        months: Annotated[int, QueryParameter(ge=1, le=24)] = 12,
    ) -> Response[HealthHistory]:
        """The health score as of the last day of each of the last ``months`` complete
        months (1 to 24), oldest first, each from what was dated up to that day."""

        async def compute(reading: Reading) -> HealthHistory:
            today, _, conversion, names = await reading.start()
            ends = [stats.month_end(m) for m in health.complete_months(today, months)]
            data = await _health_data(reading, conversion, names, ends)
            return health.health_history(data, ends)

        return await answer(request, workspace_id, (*SERVING, "budgets"), compute)

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

        async def compute(reading: Reading) -> Overview:
            conn = reading.conn
            today, week_start, conversion, names = await reading.start()
            first = await health_rows.first_date(conn, workspace_id)
            start = overview.timeframe_start(today, timeframe, week_start, first)
            lines, data = await both(
                reading.lines(min(start, overview.income_start(today)), today),
                reading.aside(lambda other: _health_data(other, conversion, names, [today])),
            )
            balances = await health_rows.balances(conn, workspace_id, [start - ONE_DAY, today])
            budgets = await _current_budgets(conn, workspace_id, today)
            flags = await _open_risk_flags(conn, workspace_id)
            cards = overview.OverviewData(
                lines=lines,
                balances=balances,
                budgets=budgets,
                health_score=health.health_score(data, today).score,
                open_risk_flags=flags,
                conversion=conversion,
            )
            return overview.overview(cards, timeframe, start, today)

        serving = (*SERVING, "budgets", "risk_flags")
        return await answer(request, workspace_id, serving, compute)

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

        async def compute(reading: Reading) -> Briefing:
            conn = reading.conn
            today, _, conversion, names = await reading.start()
            on = day or today
            month = on.replace(day=1)
            history = on - timedelta(days=recurring.HISTORY_DAYS)
            # Only the anomalies' count is told: the lines need no names.
            (lines, (foreign, summed)), found = await both(
                both(
                    reading.lines(month, on, named=False),
                    reading.anomaly_history(month, conversion.base),
                ),
                reading.aside(lambda other: other.series(history, on)),
            )
            unusual = anomalies.find_anomalies(
                foreign + lines, conversion, month, on, Decimal(3), names, summed
            )
            data = briefing.BriefingData(
                lines=lines,
                balances=await health_rows.balances(conn, workspace_id, [on]),
                budgets=await _current_budgets(conn, workspace_id, on),
                series=recurring.series_in(found, workspace_id, on, names),
                open_risk_flags=await _open_risk_flags(conn, workspace_id),
                anomalies=len(unusual.data),
                conversion=conversion,
            )
            return briefing.briefing(data, on)

        serving = (*SERVING, "budgets", "risk_flags")
        return await answer(request, workspace_id, serving, compute)
