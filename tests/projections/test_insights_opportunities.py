"""Savings opportunities on hand-built series, lines, categories and budgets, without a
database: each rule fires at its threshold and stays quiet below it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from projections.insights import opportunities
from projections.insights.model import (
    BudgetScope,
    CategoryNode,
    Line,
    PriceChange,
    RecurringSeries,
    SavingsOpportunity,
)
from projections.ledger.view import Conversion, Rates

TODAY = date(2026, 5, 20)  # last full month April; the three before January to March
STREAMING, GROCERIES, FEES, BANK_FEES, INTEREST, MY_FEES, ENTERTAINMENT = (
    uuid4() for _ in range(7)
)
NAMES = {STREAMING: "Streaming", GROCERIES: "Groceries", ENTERTAINMENT: "Entertainment"}
CATEGORIES = [
    CategoryNode(id=ENTERTAINMENT, parent_id=None, slug="entertainment"),
    CategoryNode(id=STREAMING, parent_id=ENTERTAINMENT, slug=None),
    CategoryNode(id=GROCERIES, parent_id=None, slug="groceries"),
    CategoryNode(id=FEES, parent_id=None, slug="fees_and_charges"),
    CategoryNode(id=BANK_FEES, parent_id=FEES, slug="bank_fees"),
    CategoryNode(id=INTEREST, parent_id=FEES, slug="interest_paid"),
    CategoryNode(id=MY_FEES, parent_id=FEES, slug=None),
]


def _euros(*rates: tuple[str, date, str]) -> Conversion:
    rows = [{"currency": c, "quote": "EUR", "date": d, "rate": Decimal(r)} for c, d, r in rates]
    return Conversion(Rates(rows), "EUR")


def _series(
    merchant: str,
    typical: str,
    cadence: str = "MONTHLY",
    status: str = "ACTIVE",
    category: UUID | None = STREAMING,
    price_change: PriceChange | None = None,
    confidence: str = "1.00",
    currency: str = "EUR",
    kind: str = "expense",
) -> RecurringSeries:
    return RecurringSeries(
        id=uuid4(),
        merchant=merchant,
        type=kind,
        category_id=category,
        category=None if category is None else NAMES.get(category),
        account_id=uuid4(),
        currency=currency,
        cadence=cadence,
        typical_amount=typical,
        min_amount=typical,
        max_amount=typical,
        occurrences=6,
        first_date=date(2025, 11, 1),
        last_date=date(2026, 5, 1),
        next_expected_date=date(2026, 6, 1),
        annual_cost=typical,
        confidence=confidence,
        status=status,
        price_change=price_change,
    )


def _line(
    day: date,
    amount: str,
    category: UUID | None = GROCERIES,
    description: str = "Market",
    merchant: str | None = None,
    transfer: bool = False,
    currency: str = "EUR",
) -> Line:
    return Line(
        transaction_id=uuid4(),
        date=day,
        amount=Decimal(amount),
        currency=currency,
        category_id=category,
        merchant=merchant,
        description=description,
        transfer=transfer,
        investment=False,
    )


def _find(
    series: Sequence[RecurringSeries] = (),
    lines: Sequence[Line] = (),
    budgets: Sequence[BudgetScope] = (),
    conversion: Conversion | None = None,
) -> list[SavingsOpportunity]:
    return opportunities.savings_opportunities(
        list(series),
        list(lines),
        conversion or _euros(),
        TODAY,
        NAMES,
        CATEGORIES,
        list(budgets),
    ).data


def test_an_empty_workspace_has_no_opportunities() -> None:
    answer = opportunities.savings_opportunities([], [], _euros(), TODAY, {}, [], [])
    assert (answer.today, answer.data, answer.conversion.currency) == (TODAY, [], "EUR")


def test_a_weekly_price_step_saves_the_difference_per_month() -> None:
    step = PriceChange(old="5.00", new="6.00", since=date(2026, 4, 1))
    gym = _series("Gym", "6.00", cadence="WEEKLY", price_change=step, confidence="0.90")
    [found] = _find([gym])
    assert found.type == "PRICE_INCREASE"
    assert found.potential_monthly_savings == "4.33"  # 1.00 * 52 / 12
    assert (found.confidence, found.evidence.series_ids) == ("0.90", [gym.id])
    assert [(f.label, f.amount) for f in found.evidence.figures] == [
        ("old_price", "5.00"),
        ("new_price", "6.00"),
    ]


def test_a_price_drop_or_a_stopped_series_is_no_price_increase() -> None:
    cheaper = PriceChange(old="12.99", new="9.99", since=date(2026, 4, 1))
    dearer = PriceChange(old="9.99", new="12.99", since=date(2026, 4, 1))
    assert _find([_series("A", "9.99", price_change=cheaper, category=None)]) == []
    assert (
        _find([_series("B", "12.99", price_change=dearer, status="STOPPED", category=None)]) == []
    )
    assert _find([_series("C", "12.99", price_change=dearer, kind="income", category=None)]) == []


def test_a_price_in_dollars_is_converted_at_todays_rate_or_left_out_without_one() -> None:
    step = PriceChange(old="10.00", new="12.00", since=date(2026, 4, 1))
    cloud = _series("Cloud", "12.00", price_change=step, currency="USD", category=None)
    [found] = _find([cloud], conversion=_euros(("USD", date(2026, 1, 1), "0.90")))
    assert found.potential_monthly_savings == "1.80"
    answer = opportunities.savings_opportunities([cloud], [], _euros(), TODAY, {}, [], [])
    assert (answer.data, answer.conversion.unconverted) == ([], ["USD"])


def test_two_monthly_subscriptions_in_one_category_save_the_cheaper_one() -> None:
    netflix = _series("Netflix", "12.99", confidence="0.95")
    disney = _series("Disney+", "8.99", confidence="0.80")
    [found] = _find([netflix, disney])
    assert (found.type, found.title) == ("DUPLICATE_SUBSCRIPTIONS", "2 subscriptions in Streaming")
    assert (found.potential_monthly_savings, found.confidence) == ("8.99", "0.80")
    assert found.evidence.series_ids == [netflix.id, disney.id]  # dearest first
    assert found.category_id == STREAMING


def test_one_subscription_a_yearly_one_or_a_stopped_one_is_no_duplicate() -> None:
    netflix = _series("Netflix", "12.99")
    assert _find([netflix]) == []
    assert _find([netflix, _series("Disney+", "89.90", cadence="YEARLY")]) == []
    assert _find([netflix, _series("Disney+", "8.99", status="LATE")]) == []
    assert _find([netflix, _series("Disney+", "8.99", category=GROCERIES)]) == []


def _months(amounts: tuple[str, str, str, str], category: UUID = GROCERIES) -> list[Line]:
    """One expense on the 10th of January to April 2026."""
    return [
        _line(date(2026, month, 10), f"-{amount}", category)
        for month, amount in zip((1, 2, 3, 4), amounts, strict=True)
        if Decimal(amount)
    ]


def test_last_month_more_than_20_percent_and_10_above_the_average_saves_the_excess() -> None:
    lines = _months(("100.00", "100.00", "100.00", "130.00"))
    lines.append(_line(date(2026, 5, 2), "-500.00"))  # this month is not compared
    lines.append(_line(date(2026, 4, 2), "-500.00", transfer=True))
    [found] = _find(lines=lines)
    assert (found.type, found.category) == ("CATEGORY_ABOVE_AVERAGE", "Groceries")
    assert (found.potential_monthly_savings, found.confidence) == ("30.00", "1.00")
    assert [(f.start, f.amount, f.count) for f in found.evidence.figures[:4]] == [
        (date(2026, 1, 1), "100.00", 1),
        (date(2026, 2, 1), "100.00", 1),
        (date(2026, 3, 1), "100.00", 1),
        (date(2026, 4, 1), "130.00", 1),
    ]
    assert found.evidence.figures[4].amount == "100.00"


def test_a_month_20_percent_above_or_less_than_10_above_is_not_flagged() -> None:
    assert _find(lines=_months(("100.00", "100.00", "100.00", "120.00"))) == []  # exactly 20 %
    assert _find(lines=_months(("30.00", "30.00", "30.00", "39.99"))) == []  # 33 %, under 10
    assert _find(lines=_months(("0", "0", "0", "500.00"))) == []  # no average to compare


def test_an_uneven_baseline_lowers_the_confidence() -> None:
    # months 0, 150, 150: mean 100, s = 70.71, m = 2 → 2/3 * (1 - 0.7071) = 0.20
    [found] = _find(lines=_months(("0", "150.00", "150.00", "200.00")))
    assert (found.potential_monthly_savings, found.confidence) == ("100.00", "0.20")


def test_fees_in_a_fees_category_or_named_so_in_90_days_save_their_monthly_average() -> None:
    bank = _line(date(2026, 5, 1), "-6.00", BANK_FEES, description="Monthly account")
    own = _line(date(2026, 4, 1), "-3.00", MY_FEES, description="Card")
    overdraft = _line(date(2026, 3, 15), "-6.00", None, description="OVERDRAFT FEE")
    old = _line(date(2026, 2, 19), "-50.00", BANK_FEES)  # 90 days ago: outside
    interest = _line(date(2026, 5, 1), "-40.00", INTEREST, description="Loan interest")
    coffee = _line(date(2026, 5, 1), "-3.50", None, description="Coffee", merchant="Coffee bar")
    refund = _line(date(2026, 5, 2), "6.00", BANK_FEES, description="Fee refund")
    [found] = _find(lines=[bank, own, overdraft, old, interest, coffee, refund])
    assert found.type == "FEES"
    assert found.potential_monthly_savings == "5.00"  # 15.00 / 3
    assert found.confidence == "0.80"  # (9 + 0.5 * 6) / 15
    assert found.evidence.transaction_ids == [
        overdraft.transaction_id,
        own.transaction_id,
        bank.transaction_id,
    ]
    assert (found.evidence.figures[0].amount, found.evidence.figures[0].count) == ("15.00", 3)


def test_no_fee_without_a_fees_category_or_a_fee_word() -> None:
    assert opportunities.is_fee_text("ATM fee")
    assert opportunities.is_fee_text("Late Charge")
    assert not opportunities.is_fee_text("Coffee")
    assert not opportunities.is_fee_text(None)
    assert opportunities.fee_categories(CATEGORIES) == {FEES, BANK_FEES, MY_FEES}
    assert _find(lines=[_line(date(2026, 5, 1), "-3.50", None, description="Coffee")]) == []


def test_a_stopped_series_whose_category_a_budget_names_frees_its_monthly_cost() -> None:
    gone = _series("Hulu", "10.00", status="STOPPED", confidence="0.75")
    parent_budget = BudgetScope(id=uuid4(), name="Fun", category_ids=[ENTERTAINMENT])
    other = BudgetScope(id=uuid4(), name="Food", category_ids=[GROCERIES])
    everything = BudgetScope(id=uuid4(), name="All", category_ids=[])
    [found] = _find([gone], budgets=[parent_budget, other, everything])
    assert (found.type, found.potential_monthly_savings) == ("STOPPED_SERIES_BUDGETED", "10.00")
    assert (found.confidence, found.evidence.budget_ids) == ("0.75", [parent_budget.id])
    assert found.evidence.series_ids == [gone.id]


def test_a_stopped_series_without_a_budget_or_paid_on_elsewhere_is_not_flagged() -> None:
    gone = _series("Hulu", "10.00", status="STOPPED")
    budget = BudgetScope(id=uuid4(), name="Fun", category_ids=[STREAMING])
    assert _find([gone]) == []
    moved = _series("HULU", "10.00", category=None)  # the same merchant, another card
    assert _find([gone, moved], budgets=[budget]) == []


def test_opportunities_come_biggest_saving_first() -> None:
    step = PriceChange(old="5.00", new="6.00", since=date(2026, 4, 1))
    found = _find(
        [_series("Gym", "6.00", price_change=step, category=None)],
        lines=[
            *_months(("100.00", "100.00", "100.00", "200.00")),
            _line(date(2026, 5, 1), "-3.00", BANK_FEES),
        ],
    )
    assert [(o.type, o.potential_monthly_savings) for o in found] == [
        ("CATEGORY_ABOVE_AVERAGE", "100.00"),
        ("PRICE_INCREASE", "1.00"),
        ("FEES", "1.00"),
    ]
