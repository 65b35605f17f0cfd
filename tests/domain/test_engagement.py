"""Engagement's rules on hand-built inputs: local days and streaks, challenge progress,
reflection scores, instrument scoring and the coach."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import InvalidInputError
from domain.engagement.catalogue import instrument
from domain.engagement.challenges import MonthLine, computed_progress, status_of
from domain.engagement.reflections import score_reflection
from domain.engagement.research import score_responses
from domain.engagement.streaks import local_day, logging_streak, no_spend_streak
from projections.engagement import coach
from projections.engagement.model import CoachInputs


def test_a_moment_counts_for_the_local_day_of_the_workspaces_zone() -> None:
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert local_day(late, "UTC") == date(2026, 1, 31)
    assert local_day(late, "Asia/Tokyo") == date(2026, 2, 1)
    assert local_day(datetime(2026, 2, 1, 4, 59, tzinfo=UTC), "America/New_York") == date(
        2026, 1, 31
    )
    assert local_day(late, "Not/AZone") == date(2026, 1, 31)


def test_a_logging_streak_survives_until_today_ends_and_breaks_on_a_gap() -> None:
    days = [date(2026, 3, d) for d in (1, 2, 3, 5, 6, 7, 8)]
    assert logging_streak(days, date(2026, 3, 8)) == (4, 4)
    assert logging_streak(days, date(2026, 3, 9)) == (4, 4)  # today not logged yet
    assert logging_streak(days, date(2026, 3, 10)) == (0, 4)


def test_no_spend_days_run_to_yesterday_from_the_first_day() -> None:
    spent = {date(2026, 3, 2), date(2026, 3, 5)}
    assert no_spend_streak(spent, date(2026, 3, 1), date(2026, 3, 9)) == (3, 3)
    assert no_spend_streak(spent, None, date(2026, 3, 9)) == (0, 0)


def test_challenge_progress_is_computed_from_the_months_lines() -> None:
    food, dining, other = uuid4(), uuid4(), uuid4()
    parents = {dining: food, food: None, other: None}

    def line(day: int, amount: str, category: object = None, transfer: bool = False) -> MonthLine:
        return MonthLine(uuid4(), date(2026, 3, day), Decimal(amount), category, transfer)  # type: ignore[arg-type]

    lines = [
        line(2, "-10.00", dining),
        line(2, "-5.00", other),
        line(4, "12.00", dining),  # a refund
        line(6, "-30.00", food),
        line(7, "-99.00", transfer=True),
        line(8, "2000.00"),
    ]

    def progress(metric: str) -> Decimal:
        return computed_progress(
            metric, lines, "2026-03", date(2026, 3, 3), date(2026, 3, 10), food, parents
        )

    assert progress("expense_log_days") == 1  # the 6th; the 2nd is before acceptance
    assert (
        progress("no_spend_days") == 6
    )  # the 3rd to the 9th but the 6th (a refund, a transfer and income are no spending)
    assert progress("category_spend_under") == Decimal("28.00")
    assert progress("savings_amount") == Decimal("1967.00")
    assert progress("transactions_categorized") == 4
    assert status_of("category_spend_under", Decimal(28), Decimal(30), False, False) == "ACTIVE"
    assert status_of("category_spend_under", Decimal(28), Decimal(30), False, True) == "COMPLETED"
    assert status_of("savings_amount", Decimal(5), Decimal(30), False, True) == "FAILED"


def test_a_reflection_scores_by_its_stated_rules() -> None:
    full = score_reflection(
        "Groceries cost 120 this month, " + "x" * 180,
        None,
        "shop once every Saturday",
        frozenset({"Groceries"}),
    )
    assert full.quality_score == 100
    named = score_reflection("Too much on Streaming again", "Streaming", "cancel it", frozenset())
    assert named.quality_score == 10 + 20  # length 27, names the category; no figure, 2 words
    assert score_reflection("ok", None, None, frozenset()).quality_score == 0


def test_an_instrument_scores_reverse_coded_items_and_refuses_unknown_ones() -> None:
    confidence = instrument("budget_confidence")
    assert confidence is not None
    answers = {"bc1": 5, "bc2": 5, "bc3": 1, "bc4": 5, "bc5": 1}
    assert score_responses(confidence, "baseline", "COMPLETE", answers) == Decimal("5.00")
    with pytest.raises(InvalidInputError) as refused:
        score_responses(confidence, "baseline", "COMPLETE", {**answers, "bc6": 1})
    assert refused.value.field == "responses.bc6"
    with pytest.raises(InvalidInputError):
        score_responses(confidence, "baseline", "COMPLETE", {**answers, "bc2": 0})


def test_the_coach_scales_savings_by_risk_and_damps_a_repeated_change() -> None:
    inputs = CoachInputs(
        budget_used_ratio=0.5,
        needs_share=0.7,
        wants_share=0.1,
        culture_share=0.1,
        unexpected_share=0.1,
        savings_goal_progress=0.2,
        prev_s_adj=0.2,
        risk_profile=1.0,
    )
    got = coach.suggest(inputs)
    assert got.rules_fired == ["SAVINGS_BEHIND", "NEEDS_HEAVY"]
    # +0.05 x (1.5 - 1.0) x 0.5 (damped) = 0.0125 → 0.01
    assert (got.adjustments.w_adj, got.adjustments.c_adj, got.adjustments.s_adj) == (0, 0, 0.01)
