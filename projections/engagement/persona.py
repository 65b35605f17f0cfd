"""The persona: which of four spending styles a workspace's last three months look like.

Inputs, over the three complete calendar months before this one, in the base currency:

- ``savings_rate`` = (income - expenses) / income (none without income);
- ``budget_adherence`` = budget periods that ended within their limit / periods that ended;
- ``discretionary_share`` = (wants + culture) / everything spent;
- ``impulse_share`` = wants purchases under 50.00 / expense lines.

Each is turned into a 0-1 level: S = savings_rate / 0.30, A = budget_adherence,
D = discretionary_share / 0.50, I = impulse_share / 0.30 (each held between 0 and 1;
without budgets A is 0.5, without income S is 0). The scores, 0 to 100, rounded half to even:

- Squirrel (saver)      = 100 x (0.6 S + 0.4 (1 - D))
- Owl (planner)         = 100 x (0.6 A + 0.2 S + 0.2 (1 - I))
- Fox (opportunist)     = 100 x (0.4 I + 0.3 S + 0.3 D)
- Peacock (spender)     = 100 x (0.5 D + 0.3 I + 0.2 (1 - S))

The persona is the highest score; a tie goes to the one listed first.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from domain.engagement.persona import Persona
from projections.engagement.model import PersonaScore

IMPULSE_UNDER = Decimal(50)
ONE, ZERO = Decimal(1), Decimal(0)
ORDER = (Persona.SQUIRREL, Persona.OWL, Persona.FOX, Persona.PEACOCK)


def _level(value: Decimal | None, full: Decimal, missing: Decimal) -> Decimal:
    if value is None:
        return missing
    return min(max(value / full, ZERO), ONE)


def persona_scores(
    savings_rate: Decimal | None,
    budget_adherence: Decimal | None,
    discretionary_share: Decimal | None,
    impulse_share: Decimal | None,
) -> list[PersonaScore]:
    s = _level(savings_rate, Decimal("0.30"), ZERO)
    a = _level(budget_adherence, ONE, Decimal("0.5"))
    d = _level(discretionary_share, Decimal("0.50"), ZERO)
    i = _level(impulse_share, Decimal("0.30"), ZERO)
    raw = {
        Persona.SQUIRREL: Decimal("0.6") * s + Decimal("0.4") * (ONE - d),
        Persona.OWL: Decimal("0.6") * a + Decimal("0.2") * s + Decimal("0.2") * (ONE - i),
        Persona.FOX: Decimal("0.4") * i + Decimal("0.3") * s + Decimal("0.3") * d,
        Persona.PEACOCK: Decimal("0.5") * d + Decimal("0.3") * i + Decimal("0.2") * (ONE - s),
    }
    return [
        PersonaScore(
            persona=p.value, score=int((raw[p] * 100).quantize(ONE, rounding=ROUND_HALF_EVEN))
        )
        for p in ORDER
    ]


def leading(scores: list[PersonaScore]) -> str:
    best = max(score.score for score in scores)
    return next(score.persona for score in scores if score.score == best)


def _pct(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} %"


def reasons(
    savings_rate: Decimal | None,
    budget_adherence: Decimal | None,
    discretionary_share: Decimal | None,
    impulse_share: Decimal | None,
) -> list[str]:
    """One sentence per input, saying what it was and how it counted."""
    said = []
    if savings_rate is None:
        said.append("No income in the window: savings count as none.")
    else:
        said.append(f"You kept {_pct(savings_rate)} of your income (a saver keeps 30 % or more).")
    if budget_adherence is None:
        said.append("No budget period ended in the window: planning counts as halfway.")
    else:
        said.append(f"{_pct(budget_adherence)} of your budget periods ended within the limit.")
    if discretionary_share is None:
        said.append("Nothing was spent in the window.")
    else:
        said.append(
            f"{_pct(discretionary_share)} of your spending went to wants and culture "
            "(a spender's share is 50 % or more)."
        )
        assert impulse_share is not None
        said.append(
            f"{_pct(impulse_share)} of your expenses were small wants purchases under "
            f"{IMPULSE_UNDER} (30 % or more reads as impulsive)."
        )
    return said
