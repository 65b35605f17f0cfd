"""What the read API returns for a workspace's statistics and anomalies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec

from projections.ledger.model import RateUsed


class Conversion(msgspec.Struct, kw_only=True):
    """The base currency every amount is in, the rates that converted the rest (the latest
    on or before each transaction's date), and the currencies no rate converted (left out)."""

    currency: str
    rates_used: list[RateUsed]
    unconverted: list[str]


class Figures(msgspec.Struct, kw_only=True):
    """One period's figures. ``savings_rate`` is net / income in percent, null without income."""

    income: str
    expenses: str
    net: str
    investments: str
    savings_rate: str | None
    transaction_count: int


class Change(msgspec.Struct, kw_only=True):
    """Current minus previous, and that as a percent of the previous (null when it was 0)."""

    amount: str | None  # null when either side has no value (a savings rate without income)
    percent: str | None


class Changes(msgspec.Struct, kw_only=True):
    income: Change
    expenses: Change
    net: Change
    investments: Change
    savings_rate: Change  # in percentage points; percent is null
    transaction_count: Change


class MonthStats(msgspec.Struct, kw_only=True):
    month: str
    current: Figures
    previous_month: str
    previous: Figures
    change: Changes
    conversion: Conversion


class CategoryAmount(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    category: str | None
    amount: str


class TrendRow(msgspec.Struct, kw_only=True):
    start: date
    end: date
    income: str
    expenses: str
    net: str
    categories: list[CategoryAmount]  # expenses per category, biggest first


class Trends(msgspec.Struct, kw_only=True):
    interval: str
    start: date
    end: date
    data: list[TrendRow]
    conversion: Conversion


class TopCategory(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    category: str | None
    amount: str
    percentage: str  # of all spending in the range
    count: int


class TopCategories(msgspec.Struct, kw_only=True):
    start: date
    end: date
    total_expenses: str
    data: list[TopCategory]
    conversion: Conversion


class CashFlowMonth(msgspec.Struct, kw_only=True):
    month: str
    income: str
    expenses: str
    savings: str


class CashFlow(msgspec.Struct, kw_only=True):
    data: list[CashFlowMonth]
    conversion: Conversion


class Periods(msgspec.Struct, kw_only=True):
    years: list[int]
    months: list[str]  # YYYY-MM, newest first


class Anomaly(msgspec.Struct, kw_only=True):
    transaction_id: UUID
    merchant: str | None
    description: str
    amount: str
    category_id: UUID | None
    category: str | None
    date: date
    average_amount: str
    standard_deviation: str
    standard_deviations: str
    history_count: int
    reason: str


class Anomalies(msgspec.Struct, kw_only=True):
    start: date
    end: date
    threshold: str
    data: list[Anomaly]
    conversion: Conversion


class Line(msgspec.Struct, kw_only=True, array_like=True):
    """One transaction, or one part of a split one, as every insight reads it: the amount in
    its own currency (money out negative), the part's category, and whether it is a transfer
    leg and whether its account is an investment account."""

    transaction_id: UUID
    date: date
    amount: Decimal
    currency: str
    category_id: UUID | None
    merchant: str | None
    description: str
    transfer: bool
    investment: bool


class ExpenseDay(msgspec.Struct, kw_only=True, array_like=True):
    """A day's expense lines of one category in one currency, added up by the database: how
    many, Σ sizes and Σ sizes² (sizes are amounts without their sign, exact)."""

    date: date
    category_id: UUID | None
    count: int
    total: Decimal
    squares: Decimal


class EvidenceFigure(msgspec.Struct, kw_only=True):
    """One figure an insight rests on: what it is (``label``), and as many of a span, an
    amount, a number of calendar days and a count of transactions as it has."""

    label: str
    start: date | None = None
    end: date | None = None
    amount: str | None = None
    days: int | None = None
    count: int | None = None


class Evidence(msgspec.Struct, kw_only=True):
    figures: list[EvidenceFigure]
    transaction_ids: list[UUID]


class PatternInsight(msgspec.Struct, kw_only=True):
    type: str  # PATTERN (a habit within the timeframe) or TREND (a change across periods)
    title: str
    description: str
    category_id: UUID | None
    category: str | None
    impact: str  # LOW, MODERATE or HIGH
    recommendation: str
    amount: str
    evidence: Evidence


class SpendingPatterns(msgspec.Struct, kw_only=True):
    """Spending from ``start`` (the timeframe's first day) to ``end`` (today), per calendar
    day of each kind, late at night and per transaction, with the insights drawn from it."""

    timeframe: str
    start: date
    end: date
    weekend_days: int
    weekday_days: int
    weekend_daily_average: str | None  # null when the range holds no weekend day
    weekday_daily_average: str | None
    weekend_pct: str | None  # null without a weekday average above 0
    late_night_count: int
    total_expenses: str
    transaction_count: int
    average_transaction: str | None  # null without an expense
    insights: list[PatternInsight]
    conversion: Conversion


class Occurrence(msgspec.Struct, kw_only=True, array_like=True):
    """One transaction as recurring-series detection reads it: whole (a split one is one
    occurrence, in no single category), with its account, in its own currency (money out
    negative). Transfers and deleted transactions are never occurrences."""

    transaction_id: UUID
    account_id: UUID
    date: date
    amount: Decimal
    currency: str
    category_id: UUID | None
    merchant: str | None
    description: str


class SeriesSpan(msgspec.Struct, kw_only=True, array_like=True):
    """A series part's name, account, sign and currency (``SeriesPart`` without its columns):
    how many of its occurrences every window asked about holds, how many there are, and the
    first and last date."""

    name: str
    account_id: UUID
    income: bool
    currency: str
    inside: int
    count: int
    first: date
    last: date


class SeriesPart(msgspec.Struct, kw_only=True, array_like=True):
    """Occurrences of one series name, account, sign and currency as columns, oldest first
    (by date, then id): what the database groups for recurring-series detection. ``name`` is
    None for rows kept before series names were (``merchant`` and ``description`` then say
    it)."""

    name: str | None
    merchant: str | None
    description: str | None
    account_id: UUID
    income: bool
    currency: str
    ids: list[UUID]
    dates: list[date]
    amounts: list[Decimal]
    categories: list[UUID | None]


class PriceChange(msgspec.Struct, kw_only=True):
    """The amount stepped from ``old`` to ``new`` (sizes, the series' currency) on ``since``."""

    old: str
    new: str
    since: date


class RecurringSeries(msgspec.Struct, kw_only=True):
    """A series found in the history: same merchant, account, sign and currency, amounts
    within a tolerance, regular gaps. Amounts are sizes (no sign) in ``currency``; ``type``
    says whether money came in or went out."""

    id: UUID
    merchant: str
    type: str  # income | expense
    category_id: UUID | None
    category: str | None
    account_id: UUID
    currency: str
    cadence: str  # WEEKLY | BIWEEKLY | MONTHLY | QUARTERLY | YEARLY
    typical_amount: str
    min_amount: str
    max_amount: str
    occurrences: int
    first_date: date
    last_date: date
    next_expected_date: date
    annual_cost: str
    confidence: str
    status: str  # ACTIVE | LATE | STOPPED
    price_change: PriceChange | None


class Recurring(msgspec.Struct, kw_only=True):
    today: date
    start: date  # the history searched: start to today
    data: list[RecurringSeries]


class KnownItem(msgspec.Struct, kw_only=True):
    """An amount the forecast knows of (+ in, - out, base currency), on its date."""

    date: date
    amount: str
    label: str  # the series' merchant, or "purchase"
    source: str  # RECURRING | PURCHASE


class ForecastPoint(msgspec.Struct, kw_only=True):
    date: date
    balance: str
    low: str
    high: str


class BalanceForecast(msgspec.Struct, kw_only=True):
    """The liquid accounts' balance (CHECKING, SAVINGS, CASH) day by day, in ``currency``."""

    currency: str
    today: date
    days: int
    current_balance: str
    predicted_balance: str
    daily_variable_spending: str
    daily_standard_deviation: str
    band_k: str
    history_days: int
    confidence: str
    known_items: list[KnownItem]
    points: list[ForecastPoint]


class ScenarioMonth(msgspec.Struct, kw_only=True):
    month: str
    date: date  # the month's last day
    conservative: str
    expected: str
    optimistic: str


class Scenarios(msgspec.Struct, kw_only=True):
    currency: str
    today: date
    current_balance: str
    confidence: str
    assumptions: list[str]
    data: list[ScenarioMonth]


class FutureMonth(msgspec.Struct, kw_only=True):
    month: str
    income: str
    known_expenses: str
    variable_expenses: str
    net: str
    balance: str  # expected, at the month's end


class FutureProjection(msgspec.Struct, kw_only=True):
    currency: str
    today: date
    current_balance: str
    confidence: str
    data: list[FutureMonth]


class BudgetImpact(msgspec.Struct, kw_only=True):
    budget_id: UUID
    name: str
    limit: str
    spent: str
    percent_after: str


class GoalImpact(msgspec.Struct, kw_only=True):
    goal_id: UUID
    name: str
    days: int  # extra days at the current monthly contribution


class PurchaseSimulation(msgspec.Struct, kw_only=True):
    currency: str
    today: date
    amount: str
    purchase_date: date
    installments: list[KnownItem]
    balance_today_without: str
    balance_today_with: str
    projected_without: str  # 30 days on
    projected_with: str
    lowest_balance: str  # with it, over the 30 days
    lowest_balance_date: date
    budgets_exceeded: list[BudgetImpact]
    goals_delayed: list[GoalImpact]
    verdict: str  # AFFORDABLE | TIGHT | NOT_ADVISED
    reasons: list[str]
    confidence: str


class AccountBalance(msgspec.Struct, kw_only=True, array_like=True):
    """One account's balance on a day, in its own currency (a liability's negative while
    something is owed), as the health score reads it."""

    account_id: UUID
    type: str  # the ledger's AccountType
    currency: str
    day: date
    balance: Decimal


class BudgetPeriod(msgspec.Struct, kw_only=True, array_like=True):
    """One finished period of a budget: its limit (rollover included) and what was spent,
    both in the budget's currency."""

    budget_id: UUID
    name: str
    start: date
    end: date
    limit: Decimal
    spent: Decimal


class HealthDimension(msgspec.Struct, kw_only=True):
    """One part of the health score: ``score`` of ``max`` (two decimals), the figures it was
    worked out from (``inputs``, amounts in the base currency), and why, in one sentence."""

    name: str
    score: str
    max: int
    inputs: dict[str, str]
    reason: str


class HealthScore(msgspec.Struct, kw_only=True):
    """The financial health score (0 to 100, the sum of the six dimensions) as of a day."""

    as_of: date
    score: str
    dimensions: list[HealthDimension]
    explanation: str
    improvements: list[str]  # the weakest dimensions first
    conversion: Conversion


class HealthPoint(msgspec.Struct, kw_only=True):
    """The score as of one month's last day, with each dimension's score by name."""

    month: str
    as_of: date
    score: str
    dimensions: dict[str, str]


class HealthHistory(msgspec.Struct, kw_only=True):
    data: list[HealthPoint]  # oldest first
    conversion: Conversion


class CategoryNode(msgspec.Struct, kw_only=True, array_like=True):
    """A category's place in the tree: its parent, and its system slug (None for one a user
    made)."""

    id: UUID
    parent_id: UUID | None
    slug: str | None


class BudgetScope(msgspec.Struct, kw_only=True, array_like=True):
    """An active budget whose period holds today, and the categories it names (none: every
    category)."""

    id: UUID
    name: str
    category_ids: list[UUID]


class OpportunityEvidence(msgspec.Struct, kw_only=True):
    """What a savings opportunity rests on: figures, and the recurring series, transactions
    and budgets it names."""

    figures: list[EvidenceFigure]
    series_ids: list[UUID]
    transaction_ids: list[UUID]
    budget_ids: list[UUID]


class SavingsOpportunity(msgspec.Struct, kw_only=True):
    type: str  # PRICE_INCREASE | DUPLICATE_SUBSCRIPTIONS | CATEGORY_ABOVE_AVERAGE | FEES
    # | STOPPED_SERIES_BUDGETED
    title: str
    description: str
    category_id: UUID | None
    category: str | None
    potential_monthly_savings: str  # in the base currency
    recommendation: str
    confidence: str  # 0 to 1, two decimals
    evidence: OpportunityEvidence


class SavingsOpportunities(msgspec.Struct, kw_only=True):
    """Ways to spend less, the biggest potential monthly saving first, amounts in the base
    currency (``conversion``)."""

    today: date
    data: list[SavingsOpportunity]
    conversion: Conversion


class NetWorthCard(msgspec.Struct, kw_only=True):
    """Net worth (assets less what liabilities owe, in the base currency) at the end of the
    day before the timeframe and today, the change, its percent of the former and its trend."""

    current: str
    previous: str
    change: str
    percent: str | None
    trend: str  # UP | DOWN | FLAT (|change| < 1 % of |previous|)


class SpendingCard(msgspec.Struct, kw_only=True):
    """What was spent in the active budgets' current periods against their limits."""

    amount: str
    budgeted: str
    percent_used: str | None
    days_remaining: int | None  # to the end of the current period ending first


class IncomeCard(msgspec.Struct, kw_only=True):
    """Income in the timeframe against the average of the three complete months before this one."""

    amount: str
    three_month_average: str
    change: str
    percent: str | None


class RecentTransaction(msgspec.Struct, kw_only=True):
    transaction_id: UUID
    date: date
    amount: str
    currency: str
    merchant: str | None
    description: str


class Overview(msgspec.Struct, kw_only=True):
    """The summary cards of a timeframe (``start`` to ``end``, in the workspace's time zone)."""

    timeframe: str
    start: date
    end: date
    net_worth: NetWorthCard
    spending: SpendingCard
    income: IncomeCard
    cash_flow: str  # income - expenses in the timeframe
    savings_rate: str | None  # cash_flow / income * 100
    health_score: str
    open_risk_flags: int
    recent_transactions: list[RecentTransaction]
    conversion: Conversion


class BriefingMetrics(msgspec.Struct, kw_only=True):
    liquid_balance: str
    month_to_date_spending: str
    month_budget: str
    budget_used_percent: str | None
    upcoming_bills: int
    upcoming_bills_amount: str
    open_risk_flags: int
    anomalies: int


class Briefing(msgspec.Struct, kw_only=True):
    """A few sentences built from ``metrics`` by the templates in docs/insights.md."""

    date: date
    text: str
    sentences: list[str]
    metrics: BriefingMetrics
    conversion: Conversion
