"""Savings opportunities: pure functions over recurring series, ``Line`` rows, categories and
budgets, each rule with its threshold, its saving per month and its confidence.

Every amount is in the base currency. A series' monthly cost is its typical amount times its
payments per year, divided by 12, converted at the latest rate on or before today:

    monthly(x) = round(x * per_year / 12 * rate(today))

A series in a currency without a rate is left out (``conversion.unconverted`` names it).

- PRICE_INCREASE: an ACTIVE or LATE expense series whose price stepped up (``new > old``);
  saving = ``monthly(new - old)``; confidence = the series' confidence.
- DUPLICATE_SUBSCRIPTIONS: two or more ACTIVE expense series paid WEEKLY, BIWEEKLY or MONTHLY
  in one category; saving = the smallest of their monthly costs (cancelling one, the cheapest);
  confidence = the lowest of their confidences.
- CATEGORY_ABOVE_AVERAGE: a category's spending in the last full month ``L`` against the mean
  ``A`` of its three full months before (a month without spending as 0), when ``A > 0``,
  ``L - A > 0.20 * A`` and ``L - A ≥ 10``; saving = ``L - A``; confidence =
  ``(m / 3) * max(0, 1 - s / A)``, ``m`` the months of the three with spending, ``s`` the
  population standard deviation of the three (a steady baseline makes the jump meaningful).
- FEES: expenses in the last 90 days (today included) in a fees category (Fees & Charges, Bank
  Fees, a user's subcategory of Fees & Charges; Interest Paid is not a fee) or whose
  description or merchant holds a fee word (``FEE_WORDS``, whole words, any case); saving =
  ``round(total / 3)``; confidence = ``(C + 0.5 * W) / (C + W)``, ``C`` what a fees category
  holds, ``W`` what only a word found.
- STOPPED_SERIES_BUDGETED: a STOPPED expense series, no ACTIVE or LATE expense series of the
  same merchant (moved to another card is not stopped), whose category (or its parent) an
  active budget names; saving = the series' monthly cost, the budget room it no longer uses;
  confidence = the series' confidence.

Confidences are two decimals in [0, 1]. The biggest saving comes first, then by type, title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.money import money_text
from projections.insights.model import (
    BudgetScope,
    CategoryNode,
    EvidenceFigure,
    Line,
    OpportunityEvidence,
    RecurringSeries,
    SavingsOpportunities,
    SavingsOpportunity,
)
from projections.insights.patterns import previous_start
from projections.insights.recurring import CADENCES
from projections.insights.stats import CENTS, conversion_of, counted, percent
from projections.ledger import view as ledger_view

PER_YEAR = {cadence.name: cadence.per_year for cadence in CADENCES}
SHORT_CADENCES = ("WEEKLY", "BIWEEKLY", "MONTHLY")  # what a subscription is paid at
ABOVE_SHARE = Decimal("0.20")  # more than 20 % above the average
ABOVE_MINIMUM = Decimal(10)  # and at least 10 in the base currency
AVERAGE_MONTHS = 3
FEE_DAYS = 90
FEE_MONTHS = Decimal(3)  # 90 days as months, for a monthly average
WORD_WEIGHT = Decimal("0.5")  # a fee found by a word alone counts half as sure
FEE_SLUGS = ("fees_and_charges", "bank_fees")
FEES_PARENT = "fees_and_charges"
FEE_WORDS = (
    "fee",
    "fees",
    "overdraft",
    "penalty",
    "commission",
    "service charge",
    "late charge",
    "atm charge",
)
_FEE_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in FEE_WORDS) + r")\b", re.I)
_ORDER = (
    "PRICE_INCREASE",
    "DUPLICATE_SUBSCRIPTIONS",
    "CATEGORY_ABOVE_AVERAGE",
    "FEES",
    "STOPPED_SERIES_BUDGETED",
)


def _two(value: Decimal) -> str:
    return f"{min(Decimal(1), max(Decimal(0), value)).quantize(CENTS, ROUND_HALF_EVEN):f}"


def monthly(
    amount: Decimal, series: RecurringSeries, conversion: ledger_view.Conversion, today: date
) -> Decimal | None:
    """``amount`` (in the series' currency, per payment) per month in the base currency:
    ``round(amount * per_year / 12 * rate(today))``; None without a rate."""
    rate = conversion.rate(series.currency, today)
    if rate is None:
        return None
    per_month = amount * PER_YEAR[series.cadence] / 12 * rate
    return ledger_view.round_money(per_month, conversion.base)


def comparison_months(today: date) -> list[tuple[date, date]]:
    """The three full months before the last full month, then the last full month, oldest
    first, each as its first and last day."""
    spans: list[tuple[date, date]] = []
    start = today.replace(day=1)
    for _ in range(AVERAGE_MONTHS + 1):
        before = previous_start(start, "month")
        spans.append((before, start - timedelta(days=1)))
        start = before
    return spans[::-1]


def lines_start(today: date) -> date:
    """The first day the lines must cover: the oldest comparison month (always before the
    90 days of fees)."""
    return min(comparison_months(today)[0][0], today - timedelta(days=FEE_DAYS - 1))


def fee_categories(categories: Iterable[CategoryNode]) -> set[UUID]:
    """Fees & Charges, Bank Fees and a user's own subcategories of Fees & Charges."""
    nodes = list(categories)
    slugs = {node.id: node.slug for node in nodes}
    return {
        node.id
        for node in nodes
        if node.slug in FEE_SLUGS
        or (
            node.slug is None
            and node.parent_id is not None
            and slugs.get(node.parent_id) == FEES_PARENT
        )
    }


def is_fee_text(text: str | None) -> bool:
    """Whether ``text`` holds a fee word as a whole word (``Coffee`` holds none)."""
    return text is not None and _FEE_PATTERN.search(text) is not None


def savings_opportunities(
    series: list[RecurringSeries],
    lines: list[Line],
    conversion: ledger_view.Conversion,
    today: date,
    names: dict[UUID, str],
    categories: list[CategoryNode],
    budgets: list[BudgetScope],
) -> SavingsOpportunities:
    """Every rule's opportunities (see the module). ``lines`` must cover ``lines_start(today)``
    to ``today``; ``series`` are those ``recurring.find_recurring`` found."""
    found = [
        *price_increases(series, conversion, today),
        *duplicate_subscriptions(series, conversion, today, names),
        *categories_above_average(lines, conversion, today, names),
        *fees(lines, conversion, today, fee_categories(categories)),
        *stopped_series_budgeted(series, conversion, today, categories, budgets),
    ]
    found.sort(key=lambda o: (-Decimal(o.potential_monthly_savings), _ORDER.index(o.type), o.title))
    return SavingsOpportunities(today=today, data=found, conversion=conversion_of(conversion))


def _evidence(
    figures: list[EvidenceFigure],
    series_ids: Iterable[UUID] = (),
    transaction_ids: Iterable[UUID] = (),
    budget_ids: Iterable[UUID] = (),
) -> OpportunityEvidence:
    return OpportunityEvidence(
        figures=figures,
        series_ids=list(series_ids),
        transaction_ids=list(transaction_ids),
        budget_ids=list(budget_ids),
    )


def price_increases(
    series: list[RecurringSeries], conversion: ledger_view.Conversion, today: date
) -> list[SavingsOpportunity]:
    """PRICE_INCREASE: saving ``monthly(new - old)``, confidence the series'."""
    base = conversion.base
    found = []
    for one in series:
        step = one.price_change
        if one.type != "expense" or one.status == "STOPPED" or step is None:
            continue
        old, new = Decimal(step.old), Decimal(step.new)
        if new <= old:
            continue
        saving = monthly(new - old, one, conversion, today)
        if saving is None:
            continue
        found.append(
            SavingsOpportunity(
                type="PRICE_INCREASE",
                title=f"{one.merchant} costs more",
                description=(
                    f"{one.merchant} went from {step.old} to {step.new} {one.currency} "
                    f"({one.cadence.lower()}) on {step.since}, {money_text(saving, base)} "
                    f"{base} more a month."
                ),
                category_id=one.category_id,
                category=one.category,
                potential_monthly_savings=money_text(saving, base),
                recommendation=(
                    f"Check whether a cheaper plan, a yearly plan or another provider would do "
                    f"instead of {one.merchant}, or whether you still need it."
                ),
                confidence=one.confidence,
                evidence=_evidence(
                    [
                        EvidenceFigure(label="old_price", start=one.first_date, amount=step.old),
                        EvidenceFigure(label="new_price", start=step.since, amount=step.new),
                    ],
                    series_ids=[one.id],
                ),
            )
        )
    return found


def duplicate_subscriptions(
    series: list[RecurringSeries],
    conversion: ledger_view.Conversion,
    today: date,
    names: dict[UUID, str],
) -> list[SavingsOpportunity]:
    """DUPLICATE_SUBSCRIPTIONS: saving the smallest monthly cost, confidence the lowest."""
    base = conversion.base
    groups: dict[UUID, list[tuple[Decimal, RecurringSeries]]] = {}
    for one in series:
        if (
            one.type != "expense"
            or one.status != "ACTIVE"
            or one.cadence not in SHORT_CADENCES
            or one.category_id is None
        ):
            continue
        cost = monthly(Decimal(one.typical_amount), one, conversion, today)
        if cost is not None:
            groups.setdefault(one.category_id, []).append((cost, one))
    found = []
    for category_id, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (-m[0], m[1].merchant.casefold(), str(m[1].id)))
        saving = members[-1][0]
        name = names.get(category_id)
        label = name or "one category"
        merchants = ", ".join(one.merchant for _, one in members)
        found.append(
            SavingsOpportunity(
                type="DUPLICATE_SUBSCRIPTIONS",
                title=f"{len(members)} subscriptions in {label}",
                description=(
                    f"You pay {len(members)} regular bills in {label} ({merchants}); the "
                    f"cheapest costs {money_text(saving, base)} {base} a month."
                ),
                category_id=category_id,
                category=name,
                potential_monthly_savings=money_text(saving, base),
                recommendation=f"Keep the one of {merchants} you use most and cancel the others.",
                confidence=_two(min(Decimal(one.confidence) for _, one in members)),
                evidence=_evidence(
                    [
                        EvidenceFigure(
                            label=one.merchant,
                            start=one.first_date,
                            end=one.last_date,
                            amount=money_text(cost, base),
                            count=one.occurrences,
                        )
                        for cost, one in members
                    ],
                    series_ids=[one.id for _, one in members],
                ),
            )
        )
    return found


def categories_above_average(
    lines: list[Line], conversion: ledger_view.Conversion, today: date, names: dict[UUID, str]
) -> list[SavingsOpportunity]:
    """CATEGORY_ABOVE_AVERAGE: the last full month against the mean of the three before."""
    base = conversion.base
    spans = comparison_months(today)
    sums: dict[UUID, list[ledger_view.BaseTotal]] = {}
    counts: dict[UUID, list[int]] = {}
    for line in counted(lines, conversion):
        if line.transfer or line.amount >= 0 or line.category_id is None:
            continue
        for index, (first, last) in enumerate(spans):
            if first <= line.date <= last:
                totals = sums.get(line.category_id)
                if totals is None:  # not setdefault: its default would be made for every line
                    totals = sums[line.category_id] = [
                        ledger_view.BaseTotal(conversion) for _ in spans
                    ]
                    counts[line.category_id] = [0] * len(spans)
                totals[index].add(-line.amount, line.currency, line.date)
                counts[line.category_id][index] += 1
    found = []
    for category_id, totals in sums.items():
        amounts = [total.total for total in totals]
        history, latest = amounts[:-1], amounts[-1]
        average = ledger_view.round_money(sum(history, Decimal(0)) / len(history), base)
        excess = latest - average
        if average <= 0 or excess <= ABOVE_SHARE * average or excess < ABOVE_MINIMUM:
            continue
        mean = sum(history, Decimal(0)) / len(history)
        spread = (sum(((a - mean) ** 2 for a in history), Decimal(0)) / len(history)).sqrt()
        months_spent = sum(1 for a in history if a > 0)
        confidence = Decimal(months_spent) / len(history) * max(Decimal(0), 1 - spread / mean)
        name = names.get(category_id)
        label = name or "a category"
        last_first, last_last = spans[-1]
        found.append(
            SavingsOpportunity(
                type="CATEGORY_ABOVE_AVERAGE",
                title=f"{label} above its 3-month average",
                description=(
                    f"You spent {money_text(latest, base)} {base} on {label} from {last_first} "
                    f"to {last_last}, {percent(excess, average)} % more than the "
                    f"{money_text(average, base)} {base} a month of the three months before."
                ),
                category_id=category_id,
                category=name,
                potential_monthly_savings=money_text(excess, base),
                recommendation=(
                    f"Look at last month's {label} purchases and set a budget of "
                    f"{money_text(average, base)} {base} for it."
                ),
                confidence=_two(confidence),
                evidence=_evidence(
                    [
                        EvidenceFigure(
                            label="month",
                            start=first,
                            end=last,
                            amount=money_text(amount, base),
                            count=count,
                        )
                        for amount, count, (first, last) in zip(
                            amounts, counts[category_id], spans, strict=True
                        )
                    ]
                    + [EvidenceFigure(label="average", amount=money_text(average, base))]
                ),
            )
        )
    return found


def fees(
    lines: list[Line], conversion: ledger_view.Conversion, today: date, fee_ids: set[UUID]
) -> list[SavingsOpportunity]:
    """FEES: the last 90 days' fees, saving their monthly average."""
    base = conversion.base
    start = today - timedelta(days=FEE_DAYS - 1)
    by_category, by_word = ledger_view.BaseTotal(conversion), ledger_view.BaseTotal(conversion)
    transactions: dict[UUID, date] = {}
    worded: dict[tuple[str, str | None], bool] = {}  # a merchant's lines share their words
    for line in counted(lines, conversion):
        if line.transfer or line.amount >= 0 or not start <= line.date <= today:
            continue
        if line.category_id in fee_ids:
            by_category.add(-line.amount, line.currency, line.date)
            transactions[line.transaction_id] = line.date
            continue
        words = (line.description, line.merchant)
        fee = worded.get(words)
        if fee is None:
            fee = worded[words] = is_fee_text(line.description) or is_fee_text(line.merchant)
        if fee:
            by_word.add(-line.amount, line.currency, line.date)
            transactions[line.transaction_id] = line.date
    total = by_category.total + by_word.total
    if total <= 0:
        return []
    saving = ledger_view.round_money(total / FEE_MONTHS, base)
    confidence = (by_category.total + WORD_WEIGHT * by_word.total) / total
    ids = sorted(transactions, key=lambda tid: (transactions[tid], str(tid)))
    return [
        SavingsOpportunity(
            type="FEES",
            title="You pay fees",
            description=(
                f"{len(ids)} fees and charges came to {money_text(total, base)} {base} from "
                f"{start} to {today}, {money_text(saving, base)} {base} a month."
            ),
            category_id=None,
            category=None,
            potential_monthly_savings=money_text(saving, base),
            recommendation=(
                "Ask your bank to waive them, switch to a fee-free account or card, and avoid "
                "overdrafts, late payments and withdrawals at other banks' machines."
            ),
            confidence=_two(confidence),
            evidence=_evidence(
                [
                    EvidenceFigure(
                        label="fees",
                        start=start,
                        end=today,
                        amount=money_text(total, base),
                        days=FEE_DAYS,
                        count=len(ids),
                    )
                ],
                transaction_ids=ids,
            ),
        )
    ]


def stopped_series_budgeted(
    series: list[RecurringSeries],
    conversion: ledger_view.Conversion,
    today: date,
    categories: list[CategoryNode],
    budgets: list[BudgetScope],
) -> list[SavingsOpportunity]:
    """STOPPED_SERIES_BUDGETED: saving the series' monthly cost, the budget room it frees."""
    base = conversion.base
    parents = {node.id: node.parent_id for node in categories}
    running = {
        one.merchant.casefold()
        for one in series
        if one.type == "expense" and one.status in ("ACTIVE", "LATE")
    }
    found = []
    for one in series:
        if (
            one.type != "expense"
            or one.status != "STOPPED"
            or one.category_id is None
            or one.merchant.casefold() in running
        ):
            continue
        under = {one.category_id, parents.get(one.category_id)}
        budgeted = [b for b in budgets if under & set(b.category_ids)]
        if not budgeted:
            continue
        cost = monthly(Decimal(one.typical_amount), one, conversion, today)
        if cost is None:
            continue
        label = one.category or "its category"
        budget_names = ", ".join(b.name for b in budgeted)
        found.append(
            SavingsOpportunity(
                type="STOPPED_SERIES_BUDGETED",
                title=f"{one.merchant} stopped but is still budgeted",
                description=(
                    f"The last {one.merchant} payment was on {one.last_date} and none came "
                    f"since, but {budget_names} still plans for {label}: "
                    f"{money_text(cost, base)} {base} a month it no longer needs."
                ),
                category_id=one.category_id,
                category=one.category,
                potential_monthly_savings=money_text(cost, base),
                recommendation=(
                    f"Lower {budget_names} by {money_text(cost, base)} {base} so the money "
                    "is saved rather than spent elsewhere."
                ),
                confidence=one.confidence,
                evidence=_evidence(
                    [
                        EvidenceFigure(
                            label="last_payment",
                            start=one.last_date,
                            amount=one.typical_amount,
                            count=one.occurrences,
                        )
                    ],
                    series_ids=[one.id],
                    budget_ids=[b.id for b in budgeted],
                ),
            )
        )
    return found
