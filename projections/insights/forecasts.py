"""Balance forecasts, scenarios and a purchase simulation: pure functions over insights rows.

All amounts are in the workspace's base currency (``Conversion``, today's rates). With
``B₀`` the balance of the liquid accounts (CHECKING, SAVINGS, CASH, not closed) today:

    known items    schedules first: each live schedule on its dates in today+1 … the horizon
                   (and its end date), for its amount (signed: + income, - bill); then each
                   ACTIVE recurring series no schedule covers, on its next expected date and
                   every cadence after it up to the horizon, for its typical amount; a
                   series' date on or before today (due, not yet seen) counts tomorrow.
                   A schedule covers a series made from it (``from_recurring`` = the
                   series' id) and one on the same account, currency, sign and cadence
                   whose typical amount is within 5 % of the schedule's amount, so a bill
                   is counted once whether or not it was scheduled from its series
    variable       v = the expenses of the last n = min(90, days since the first transaction)
                   days, transfers, every recurring series' transactions and every
                   schedule's past payments left out, / n;
                   s = the population standard deviation of those n daily totals
    balance        B(t) = B₀ + (known items dated today+1 … today+t) - v * t
    a schedule's   a transaction it posted, or an expense on its account, in its currency,
    payment        within 5 % of its amount and dated within 3 days of one of its dates
                   (counted back from its first date by its cadence), the closest one per date
    band           B(t) ± k * s * √t, with k = 1.28 (an 80 % band of a normal day-sum)
    confidence     n / 90, two decimals (0 without history)

Scenarios (month ends, the current month's end first):

    expected       B₀ + known - v * t
    conservative   B₀ + 0.9 * known income + known expenses - 1.2 * v * t
    optimistic     B₀ + known - 0.8 * v * t

A purchase of ``A`` in ``m`` installments pays ``A / m`` (the last one the rest) on its date and
the same day of each following month. Its verdict:

    NOT_ADVISED  the lowest balance in the 30 days with it is below 0
    TIGHT        that lowest balance is below one month of expenses (30 * v + the known
                 expenses of the 30 days), or it pushes a budget over its limit
    AFFORDABLE   otherwise
"""

from __future__ import annotations

import calendar
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.base import natural_id
from domain.ledger.schedules import Cadence, nth_occurrence, occurrence_transaction_id
from domain.money import money_text
from projections.insights import recurring
from projections.insights.model import (
    BalanceForecast,
    BudgetImpact,
    ForecastPoint,
    FutureMonth,
    FutureProjection,
    GoalImpact,
    KnownItem,
    Line,
    Occurrence,
    PurchaseSimulation,
    RecurringSeries,
    ScenarioMonth,
    Scenarios,
)
from projections.insights.recurring import CADENCES, add_periods
from projections.ledger import view as ledger_view
from projections.schedules.model import ScheduleView

VARIABLE_DAYS = 90  # variable spending is averaged over this many days at most
K = Decimal("1.28")  # the band: ± k s √t, 80 % of a normal distribution
CONSERVATIVE_SPENDING = Decimal("1.2")
CONSERVATIVE_INCOME = Decimal("0.9")
OPTIMISTIC_SPENDING = Decimal("0.8")
SIMULATION_DAYS = 30
COVERED = Decimal("0.05")  # a series within 5 % of a schedule's amount is that schedule
PAYMENT_SLACK = 3  # a schedule's payment is dated within this many days of one of its dates
DAYS_A_MONTH = Decimal("30.436875")  # as goals count a month
LIQUID = ("CHECKING", "SAVINGS", "CASH")
_CADENCES = {cadence.name: cadence for cadence in CADENCES}


@dataclass(frozen=True)
class Item:
    """One known amount (signed, base currency) on one date."""

    date: date
    amount: Decimal
    label: str
    source: str  # SCHEDULE, RECURRING or PURCHASE
    income: bool


@dataclass(frozen=True)
class Variable:
    daily: Decimal  # v
    deviation: Decimal  # s
    days: int  # n

    @property
    def confidence(self) -> Decimal:
        return (Decimal(self.days) / VARIABLE_DAYS).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def series_members(
    grouped: recurring.Grouped, series: Iterable[RecurringSeries], workspace_id: UUID
) -> set[UUID]:
    """The transactions that belong to a series (the id recurring detection gives a group)."""
    ids = {s.id for s in series}
    members = set()
    for (key, account_id, income, currency), group in grouped.groups.items():
        sign = "income" if income else "expense"
        if natural_id(workspace_id, "recurring", key, account_id, sign, currency) in ids:
            members.update(group.ids)
    return members


def schedule_members(
    occurrences: Iterable[Occurrence], schedules: Iterable[ScheduleView], today: date
) -> set[UUID]:
    """The past payments of ``schedules`` in the last ``VARIABLE_DAYS`` days (see the module)."""
    start = today - timedelta(days=VARIABLE_DAYS - 1)
    by_id: dict[UUID, Occurrence] = {}
    by_account: dict[tuple[UUID, str], list[Occurrence]] = {}
    for o in sorted(occurrences, key=lambda o: o.date):
        if start <= o.date <= today:
            by_id[o.transaction_id] = o
            by_account.setdefault((o.account_id, o.currency), []).append(o)
    slack = timedelta(days=PAYMENT_SLACK)
    members: set[UUID] = set()
    for schedule in schedules:
        amount, cadence = Decimal(schedule.amount), Cadence(schedule.cadence)
        same = by_account.get((schedule.account_id, schedule.currency), [])
        dates = [d.date for d in same]
        n = 0
        while nth_occurrence(schedule.next_date, cadence, n) >= start - slack:
            n -= 1
        while (day := nth_occurrence(schedule.next_date, cadence, n := n + 1)) <= today:
            if schedule.end_date is not None and day > schedule.end_date:
                break
            posted = by_id.get(occurrence_transaction_id(schedule.id, day))
            near = (
                [posted]
                if posted is not None and posted.transaction_id not in members
                else [
                    o
                    for o in same[
                        bisect_left(dates, day - slack) : bisect_right(dates, day + slack)
                    ]
                    if o.transaction_id not in members
                    and abs(o.amount - amount) <= COVERED * abs(amount)
                ]
            )
            if near and amount != 0:
                members.add(min(near, key=lambda o: abs((o.date - day).days)).transaction_id)
    return members


def variable_spending(
    lines: Sequence[Line],
    members: set[UUID],
    conversion: ledger_view.Conversion,
    today: date,
    first_day: date | None,
) -> Variable:
    """``v``, ``s`` and ``n`` (see the module): expenses that are no transfer and no series'
    member, per day over the last n days; ``first_day`` is the workspace's first transaction."""
    if first_day is None or first_day > today:
        return Variable(Decimal(0), Decimal(0), 0)
    n = min(VARIABLE_DAYS, (today - first_day).days + 1)
    start = today - timedelta(days=n - 1)
    daily = [Decimal(0)] * n
    for line in lines:
        if line.transfer or line.transaction_id in members or line.amount >= 0:
            continue
        if not start <= line.date <= today:
            continue
        rate = conversion.rate(line.currency, line.date)
        if rate is not None:
            daily[(line.date - start).days] += -line.amount * rate
    mean = sum(daily, Decimal(0)) / n
    variance = sum(((d - mean) ** 2 for d in daily), Decimal(0)) / n
    return Variable(mean, variance.sqrt(), n)


def covers(schedule: ScheduleView, series: RecurringSeries) -> bool:
    """Whether ``schedule`` already stands for ``series`` (see the module)."""
    if schedule.from_recurring == series.id:
        return True
    amount = Decimal(schedule.amount)
    if amount == 0 or (amount > 0) != (series.type == "income"):
        return False
    return (
        schedule.account_id == series.account_id
        and schedule.currency == series.currency
        and schedule.cadence == series.cadence
        and abs(Decimal(series.typical_amount) - abs(amount)) <= COVERED * abs(amount)
    )


def placed_series(
    series: Iterable[RecurringSeries], schedules: Sequence[ScheduleView]
) -> list[RecurringSeries]:
    """The ACTIVE series no schedule covers: the ones placed after the schedules."""
    return [s for s in series if s.status == "ACTIVE" and not any(covers(x, s) for x in schedules)]


def schedule_items(
    schedules: Iterable[ScheduleView], conversion: ledger_view.Conversion, today: date, end: date
) -> list[Item]:
    """Each schedule on its dates in today+1 … end (and its end date), for its amount."""
    items = []
    for x in schedules:
        rate = conversion.rate(x.currency, today)
        if rate is None:
            continue
        amount = ledger_view.round_money(Decimal(x.amount) * rate, conversion.base)
        last = end if x.end_date is None else min(end, x.end_date)
        cadence, n = Cadence(x.cadence), 0
        while (day := nth_occurrence(x.next_date, cadence, n)) <= last:
            if day > today:
                items.append(Item(day, amount, x.name, "SCHEDULE", amount > 0))
            n += 1
    return items


def known_items(
    series: Iterable[RecurringSeries],
    conversion: ledger_view.Conversion,
    today: date,
    end: date,
    schedules: Sequence[ScheduleView] = (),
) -> list[Item]:
    """The schedules, then each ACTIVE series no schedule covers, on their dates in
    today+1 … end, oldest first (see the module)."""
    items = schedule_items(schedules, conversion, today, end)
    for s in placed_series(series, schedules):
        rate = conversion.rate(s.currency, today)
        if rate is None:
            continue
        income = s.type == "income"
        size = ledger_view.round_money(Decimal(s.typical_amount) * rate, conversion.base)
        cadence, count, day = _CADENCES[s.cadence], 0, s.next_expected_date
        while day <= end:
            items.append(
                Item(
                    max(day, today + timedelta(days=1)),
                    size if income else -size,
                    s.merchant,
                    "RECURRING",
                    income,
                )
            )
            count += 1
            day = add_periods(s.next_expected_date, cadence, count)
    items.sort(key=lambda i: (i.date, i.label))
    return items


def _money(amount: Decimal, base: str) -> str:
    return money_text(ledger_view.round_money(amount, base), base)


def _path(
    balance: Decimal, items: Sequence[Item], v: Decimal, today: date, days: int
) -> list[Decimal]:
    """B(0) … B(days) (see the module)."""
    by_day: dict[date, Decimal] = {}
    for item in items:
        by_day[item.date] = by_day.get(item.date, Decimal(0)) + item.amount
    path, known = [balance], Decimal(0)
    for t in range(1, days + 1):
        known += by_day.get(today + timedelta(days=t), Decimal(0))
        path.append(balance + known - v * t)
    return path


def _known_item(item: Item, base: str) -> KnownItem:
    return KnownItem(
        date=item.date, amount=money_text(item.amount, base), label=item.label, source=item.source
    )


def balance_forecast(
    balance: Decimal,
    series: Sequence[RecurringSeries],
    variable: Variable,
    conversion: ledger_view.Conversion,
    today: date,
    days: int,
    schedules: Sequence[ScheduleView] = (),
) -> BalanceForecast:
    """One point a day for ``days`` days, with its band, and the known items placed."""
    base = conversion.base
    end = today + timedelta(days=days)
    items = known_items(series, conversion, today, end, schedules)
    path = _path(balance, items, variable.daily, today, days)
    points = []
    for t in range(1, days + 1):
        spread = K * variable.deviation * Decimal(t).sqrt()
        points.append(
            ForecastPoint(
                date=today + timedelta(days=t),
                balance=_money(path[t], base),
                low=_money(path[t] - spread, base),
                high=_money(path[t] + spread, base),
            )
        )
    return BalanceForecast(
        currency=base,
        today=today,
        days=days,
        current_balance=_money(balance, base),
        predicted_balance=_money(path[-1], base),
        daily_variable_spending=_money(variable.daily, base),
        daily_standard_deviation=_money(variable.deviation, base),
        band_k=f"{K:f}",
        history_days=variable.days,
        confidence=f"{variable.confidence:f}",
        known_items=[_known_item(item, base) for item in items],
        points=points,
    )


def month_ends(today: date, months: int) -> list[date]:
    """The current month's last day and that of each of the ``months - 1`` following."""
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def _scenario(
    balance: Decimal,
    items: Sequence[Item],
    v: Decimal,
    today: date,
    end: date,
    income: Decimal,
    spending: Decimal,
) -> Decimal:
    known = sum(
        (i.amount * (income if i.income else 1) for i in items if i.date <= end), Decimal(0)
    )
    return balance + known - v * spending * (end - today).days


def scenarios(
    balance: Decimal,
    series: Sequence[RecurringSeries],
    variable: Variable,
    conversion: ledger_view.Conversion,
    today: date,
    months: int,
    schedules: Sequence[ScheduleView] = (),
) -> Scenarios:
    """Conservative, expected and optimistic balances at each month end (see the module)."""
    base, ends = conversion.base, month_ends(today, months)
    items = known_items(series, conversion, today, ends[-1], schedules)
    v = variable.daily
    data = [
        ScenarioMonth(
            month=end.strftime("%Y-%m"),
            date=end,
            conservative=_money(
                _scenario(
                    balance, items, v, today, end, CONSERVATIVE_INCOME, CONSERVATIVE_SPENDING
                ),
                base,
            ),
            expected=_money(_scenario(balance, items, v, today, end, Decimal(1), Decimal(1)), base),
            optimistic=_money(
                _scenario(balance, items, v, today, end, Decimal(1), OPTIMISTIC_SPENDING), base
            ),
        )
        for end in ends
    ]
    assumptions = [
        f"known items: {len(schedules)} schedules on their dates, then "
        f"{len(placed_series(series, schedules))} active recurring series no schedule covers "
        "on their expected dates",
        f"variable spending {_money(v, base)} {base} a day (the last {variable.days} days, "
        "transfers and recurring series left out)",
        "conservative: variable spending x 1.2 and recurring income x 0.9",
        "expected: variable spending x 1 and recurring items as they are",
        "optimistic: variable spending x 0.8",
    ]
    return Scenarios(
        currency=base,
        today=today,
        current_balance=_money(balance, base),
        confidence=f"{variable.confidence:f}",
        assumptions=assumptions,
        data=data,
    )


def future(
    balance: Decimal,
    series: Sequence[RecurringSeries],
    variable: Variable,
    conversion: ledger_view.Conversion,
    today: date,
    months: int,
    schedules: Sequence[ScheduleView] = (),
) -> FutureProjection:
    """Each month to its end (the current one from tomorrow): known income, known and
    variable expenses, net, and the expected balance at its end."""
    base, ends = conversion.base, month_ends(today, months)
    items = known_items(series, conversion, today, ends[-1], schedules)
    data, start, running = [], today, balance
    for end in ends:
        inside = [i for i in items if start < i.date <= end]
        income = sum((i.amount for i in inside if i.income), Decimal(0))
        known = -sum((i.amount for i in inside if not i.income), Decimal(0))
        spent = variable.daily * (end - start).days
        running += income - known - spent
        data.append(
            FutureMonth(
                month=end.strftime("%Y-%m"),
                income=_money(income, base),
                known_expenses=_money(known, base),
                variable_expenses=_money(spent, base),
                net=_money(income - known - spent, base),
                balance=_money(running, base),
            )
        )
        start = end
    return FutureProjection(
        currency=base,
        today=today,
        current_balance=_money(balance, base),
        confidence=f"{variable.confidence:f}",
        data=data,
    )


def installments(amount: Decimal, day: date, count: int, base: str) -> list[Item]:
    """``count`` monthly payments of ``amount / count`` from ``day``, the last one the rest."""
    part = ledger_view.round_money(amount / count, base)
    monthly = _CADENCES["MONTHLY"]
    return [
        Item(
            add_periods(day, monthly, i),
            -(part if i < count - 1 else amount - part * (count - 1)),
            "purchase",
            "PURCHASE",
            False,
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class BudgetState:
    """A budget whose period holds the purchase's date and which counts its category."""

    budget_id: UUID
    name: str
    limit: Decimal
    spent: Decimal


@dataclass(frozen=True)
class GoalState:
    """A goal the purchase's money would have gone to, at its current monthly contribution."""

    goal_id: UUID
    name: str
    remaining: Decimal
    monthly: Decimal


def simulate_purchase(
    balance: Decimal,
    series: Sequence[RecurringSeries],
    variable: Variable,
    conversion: ledger_view.Conversion,
    today: date,
    amount: Decimal,
    day: date,
    count: int,
    budgets: Sequence[BudgetState],
    goals: Sequence[GoalState],
    schedules: Sequence[ScheduleView] = (),
) -> PurchaseSimulation:
    """Thirty days with and without the purchase, what it does to budgets and goals, and the
    verdict with its reasons (see the module)."""
    base = conversion.base
    end = today + timedelta(days=SIMULATION_DAYS)
    items = known_items(series, conversion, today, end, schedules)
    paid = installments(amount, max(day, today), count, base)
    # A payment dated today leaves today's balance: the path's point 0 is today after it.
    now = sum((p.amount for p in paid if p.date == today), Decimal(0))
    later = [p for p in paid if today < p.date <= end]
    without = _path(balance, items, variable.daily, today, SIMULATION_DAYS)
    with_it = _path(balance + now, [*items, *later], variable.daily, today, SIMULATION_DAYS)
    lowest = min(range(len(with_it)), key=lambda t: (with_it[t], t))
    first = -paid[0].amount
    pushed = [
        BudgetImpact(
            budget_id=b.budget_id,
            name=b.name,
            limit=_money(b.limit, base),
            spent=_money(b.spent, base),
            percent_after=f"{(b.spent + first) * 100 / b.limit:.1f}",
        )
        for b in budgets
        if b.limit > 0 and b.spent <= b.limit < b.spent + first
    ]
    delayed = [
        GoalImpact(
            goal_id=g.goal_id, name=g.name, days=math.ceil(amount * DAYS_A_MONTH / g.monthly)
        )
        for g in goals
        if g.remaining > 0 and g.monthly > 0
    ]
    known_out = -sum((i.amount for i in items if not i.income), Decimal(0))
    month = variable.daily * SIMULATION_DAYS + known_out
    reasons = []
    if with_it[lowest] < 0:
        verdict = "NOT_ADVISED"
        reasons.append(
            f"the balance would fall to {_money(with_it[lowest], base)} {base} "
            f"on {today + timedelta(days=lowest)}"
        )
    elif with_it[lowest] < month or pushed:
        verdict = "TIGHT"
        if with_it[lowest] < month:
            reasons.append(
                f"the lowest balance, {_money(with_it[lowest], base)} {base}, is below "
                f"one month of expenses ({_money(month, base)} {base})"
            )
    else:
        verdict = "AFFORDABLE"
        reasons.append(
            f"the lowest balance, {_money(with_it[lowest], base)} {base}, stays above "
            f"one month of expenses ({_money(month, base)} {base})"
        )
    reasons += [f"it pushes the budget {b.name} to {b.percent_after} %" for b in pushed]
    reasons += [f"it delays the goal {g.name} by {g.days} days" for g in delayed]
    return PurchaseSimulation(
        currency=base,
        today=today,
        amount=money_text(amount, base),
        purchase_date=max(day, today),
        installments=[_known_item(p, base) for p in paid],
        balance_today_without=_money(without[0], base),
        balance_today_with=_money(with_it[0], base),
        projected_without=_money(without[-1], base),
        projected_with=_money(with_it[-1], base),
        lowest_balance=_money(with_it[lowest], base),
        lowest_balance_date=today + timedelta(days=lowest),
        budgets_exceeded=pushed,
        goals_delayed=delayed,
        verdict=verdict,
        reasons=reasons,
        confidence=f"{variable.confidence:f}",
    )
