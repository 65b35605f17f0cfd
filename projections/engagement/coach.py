"""The coach: rules over normalized inputs (each 0 to 1) that suggest how to move the shares
of wants, culture and savings next period. Every rule, threshold and scaling is here and in
docs/engagement.md.

Rules, in the order they are tried (several may fire):

1. OVER_BUDGET: budget_used_ratio >= 0.90 → wants -0.10, culture -0.05.
2. WANTS_HIGH: wants_share > 0.30 → wants -0.05.
3. UNEXPECTED_HIGH: unexpected_share > 0.15 → savings +0.05 (a buffer for surprises).
4. SAVINGS_BEHIND: savings_goal_progress < 0.50 and budget_used_ratio < 0.90 → savings +0.05.
5. CULTURE_ROOM: culture_share < 0.05 and budget_used_ratio < 0.70 → culture +0.03.
6. NEEDS_HEAVY: needs_share > 0.60 → no change of shares; review fixed costs.
7. ON_TRACK: when none of the above fired → no change.

Scaling: a savings change is multiplied by (1.5 - risk_profile): a cautious profile (0) saves
half as much again, a bold one (1) half. Damping: where last period's change of a share
(prev_w_adj, prev_c_adj, prev_s_adj, as a size 0-1) was 0.10 or more, this period's change of
that share is halved, so advice does not swing. The totals add the suggestions' changes and
are held between -0.20 and +0.20, to two decimals (half to even).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from projections.engagement.model import Adjustments, CoachAnswer, CoachInputs, Suggestion

LIMIT = Decimal("0.20")
DAMP_FROM = Decimal("0.10")
CENT = Decimal("0.01")


def _d(value: float) -> Decimal:
    return Decimal(str(value))


def _adjustments(w: Decimal, c: Decimal, s: Decimal) -> Adjustments:
    def fit(value: Decimal) -> float:
        return float(min(max(value, -LIMIT), LIMIT).quantize(CENT, rounding=ROUND_HALF_EVEN))

    return Adjustments(w_adj=fit(w), c_adj=fit(c), s_adj=fit(s))


def shares_problem(inputs: CoachInputs) -> str | None:
    """The four shares of spending add up to at most 1."""
    total = sum(
        (
            _d(inputs.needs_share),
            _d(inputs.wants_share),
            _d(inputs.culture_share),
            _d(inputs.unexpected_share),
        ),
        Decimal(0),
    )
    return None if total <= 1 else f"the four shares add up to {total}, more than 1"


def suggest(inputs: CoachInputs) -> CoachAnswer:
    used = _d(inputs.budget_used_ratio)
    damp = {
        "w": Decimal("0.5") if _d(inputs.prev_w_adj) >= DAMP_FROM else Decimal(1),
        "c": Decimal("0.5") if _d(inputs.prev_c_adj) >= DAMP_FROM else Decimal(1),
        "s": Decimal("0.5") if _d(inputs.prev_s_adj) >= DAMP_FROM else Decimal(1),
    }
    caution = Decimal("1.5") - _d(inputs.risk_profile)
    fired: list[tuple[str, str, Decimal, Decimal, Decimal]] = []
    if used >= Decimal("0.90"):
        fired.append(
            (
                "OVER_BUDGET",
                f"You have used {_pct(used)} of your budgets: spend less on wants and culture.",
                Decimal("-0.10"),
                Decimal("-0.05"),
                Decimal(0),
            )
        )
    if _d(inputs.wants_share) > Decimal("0.30"):
        fired.append(
            (
                "WANTS_HIGH",
                f"Wants are {_pct(_d(inputs.wants_share))} of your spending (over 30 %).",
                Decimal("-0.05"),
                Decimal(0),
                Decimal(0),
            )
        )
    if _d(inputs.unexpected_share) > Decimal("0.15"):
        fired.append(
            (
                "UNEXPECTED_HIGH",
                f"Unexpected costs are {_pct(_d(inputs.unexpected_share))} of your spending: "
                "put more aside for surprises.",
                Decimal(0),
                Decimal(0),
                Decimal("0.05"),
            )
        )
    if _d(inputs.savings_goal_progress) < Decimal("0.50") and used < Decimal("0.90"):
        fired.append(
            (
                "SAVINGS_BEHIND",
                f"Your savings goals are {_pct(_d(inputs.savings_goal_progress))} of the way: "
                "you have room to save more.",
                Decimal(0),
                Decimal(0),
                Decimal("0.05"),
            )
        )
    if _d(inputs.culture_share) < Decimal("0.05") and used < Decimal("0.70"):
        fired.append(
            (
                "CULTURE_ROOM",
                "Your budgets have room: a little more for culture (books, courses, events).",
                Decimal(0),
                Decimal("0.03"),
                Decimal(0),
            )
        )
    if _d(inputs.needs_share) > Decimal("0.60"):
        fired.append(
            (
                "NEEDS_HEAVY",
                f"Needs take {_pct(_d(inputs.needs_share))} of your spending: review fixed "
                "costs (rent, utilities, subscriptions).",
                Decimal(0),
                Decimal(0),
                Decimal(0),
            )
        )
    if not fired:
        fired.append(
            (
                "ON_TRACK",
                "You are on track: keep your shares as they are.",
                Decimal(0),
                Decimal(0),
                Decimal(0),
            )
        )
    suggestions, totals = [], [Decimal(0), Decimal(0), Decimal(0)]
    for rule, message, w, c, s in fired:
        w, c, s = w * damp["w"], c * damp["c"], s * caution * damp["s"]
        totals = [totals[0] + w, totals[1] + c, totals[2] + s]
        suggestions.append(
            Suggestion(rule=rule, message=message, adjustments=_adjustments(w, c, s))
        )
    return CoachAnswer(
        suggestions=suggestions,
        adjustments=_adjustments(*totals),
        rules_fired=[s.rule for s in suggestions],
        inputs=inputs,
    )


def _pct(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('1'), rounding=ROUND_HALF_EVEN)} %"
