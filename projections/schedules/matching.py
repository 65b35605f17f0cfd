"""Which of a schedule's dates a transaction paid, and which came and went unpaid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

# A payment counts for an occurrence within this many days either side of its date ...
WINDOW = timedelta(days=3)
# ... and within this share of its amount either way (same sign: the share is under 1).
TOLERANCE = Decimal("0.05")


@dataclass(frozen=True)
class Payment:
    """A live transaction of the schedule's account."""

    id: UUID
    date: date
    amount: Decimal


@dataclass(frozen=True)
class Outcome:
    date: date
    status: str  # PAID, DUE (its window is still open), MISSED
    transaction_id: UUID | None


def matches(amount: Decimal, payment: Payment, day: date) -> bool:
    return (
        abs(payment.date - day) <= WINDOW
        and abs(payment.amount - amount) <= abs(amount) * TOLERANCE
    )


def outcomes(
    dates: list[date], amount: Decimal, payments: list[Payment], today: date
) -> list[Outcome]:
    """Each date up to ``today``, in order: PAID by the nearest payment in date (the earlier
    on a tie) that matches it (|payment date - date| <= 3 days and |payment amount - amount|
    <= 5 % of |amount|) and paid no earlier date; else MISSED once its window has closed
    (date + 3 days < today); else DUE."""
    used: set[UUID] = set()
    found = []
    for day in sorted(d for d in dates if d <= today):
        candidates = [p for p in payments if p.id not in used and matches(amount, p, day)]
        best = min(candidates, key=lambda p: (abs(p.date - day), p.date, p.id), default=None)
        if best is not None:
            used.add(best.id)
            found.append(Outcome(day, "PAID", best.id))
        else:
            found.append(Outcome(day, "MISSED" if day + WINDOW < today else "DUE", None))
    return found
