"""The risk score: each reason's rule and weight, and the threshold, without a database."""

from __future__ import annotations

import statistics
from datetime import date, time
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.risk.scoring import THRESHOLD, Expense, History, Spread, mean_and_stdev, score

DAY = date(2026, 3, 14)
USUAL = tuple(Decimal(a) for a in ("40", "50", "60", "45", "55"))  # mean 50, sd ≈ 7.91


def expense(amount: str = "-50", currency: str = "EUR", at: time | None = None) -> Expense:
    return Expense(Decimal(amount), currency, DAY, at, "Shop")


def codes(found: tuple[int, tuple[object, ...]]) -> list[tuple[str, int]]:
    return [(r.code, r.weight) for r in found[1]]  # type: ignore[attr-defined]


def test_an_ordinary_expense_scores_nothing() -> None:
    assert score(expense(at=time(12)), History(category=Spread.of(USUAL))) == (0, ())


def test_size_weighs_ten_per_standard_deviation_above_the_mean_up_to_forty() -> None:
    # z = (70 - 50) / 7.906 = 2.53 → 25; far above → capped at 40.
    assert codes(score(expense("-70"), History(category=Spread.of(USUAL)))) == [
        ("LARGE_FOR_CATEGORY", 25)
    ]
    assert codes(score(expense("-900"), History(category=Spread.of(USUAL)))) == [
        ("LARGE_FOR_CATEGORY", 40)
    ]
    # Under one standard deviation above, or fewer than five before, counts nothing.
    assert score(expense("-57"), History(category=Spread.of(USUAL)))[0] == 0
    assert score(expense("-900"), History(category=Spread.of(USUAL[:4])))[0] == 0
    assert score(expense("-900"), History(category=Spread.of((Decimal(5),) * 6)))[0] == 0


def test_late_night_runs_from_ten_in_the_evening_until_five_in_the_morning() -> None:
    late = [
        t
        for t in (time(21, 59), time(22), time(3), time(4, 59), time(5))
        if score(expense(at=t), History())[0]
    ]
    assert late == [time(22), time(3), time(4, 59)]
    assert codes(score(expense(at=time(23)), History())) == [("LATE_NIGHT", 15)]


def test_a_new_merchant_a_burst_and_an_unusual_currency_weigh_20_25_and_15() -> None:
    assert codes(score(expense(), History(merchant_seen=False))) == [("NEW_MERCHANT", 20)]
    burst = History(merchant_times=(time(12, 2), time(12, 10), time(13)))
    assert codes(score(expense(at=time(12)), burst)) == [("MERCHANT_BURST", 25)]
    assert score(expense(at=time(12, 11)), burst)[0] == 25  # 12:02 is 9 min before, 12:10 after
    assert score(expense(at=time(12, 21)), burst)[0] == 0  # only 12:10 is within 10 minutes
    mostly_eur = History(account_currencies={"EUR": 2, "USD": 1})
    assert codes(score(expense(currency="EUR"), mostly_eur)) == []
    assert codes(score(expense(currency="USD"), mostly_eur)) == [("UNUSUAL_CURRENCY", 15)]
    tied = History(account_currencies={"EUR": 1, "USD": 1})
    assert score(expense(currency="USD"), tied)[0] == 0


def test_a_large_late_charge_at_a_new_merchant_passes_the_threshold_and_the_sum_caps_at_100() -> (
    None
):
    found = score(
        expense("-900", at=time(23, 30)), History(category=Spread.of(USUAL), merchant_seen=False)
    )
    assert found[0] == 75 >= THRESHOLD
    assert codes(found) == [("LARGE_FOR_CATEGORY", 40), ("NEW_MERCHANT", 20), ("LATE_NIGHT", 15)]
    everything = History(
        category=Spread.of(USUAL),
        merchant_seen=False,
        merchant_times=(time(23, 25), time(23, 28)),
        account_currencies={"EUR": 1},
    )
    assert score(expense("-900", "USD", time(23, 30)), everything)[0] == 100  # 115 capped


@given(st.lists(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False), min_size=2))
def test_the_category_s_mean_and_deviation_are_the_statistics_module_s(
    amounts: list[Decimal],
) -> None:
    """The same Decimals, digit for digit, from the exact sums as the statistics module
    gives from the amounts: a score on the edge of a weight (10·z) must not move."""
    assert [str(figure) for figure in mean_and_stdev(Spread.of(amounts))] == [
        str(statistics.mean(amounts)),
        str(statistics.stdev(amounts)),
    ]
