"""Reconciliation: a bank statement's lines matched to the transactions recorded by hand, to
find which are confirmed, which need a person to look, and which the records lack.

A line and a transaction can match when they move money the same way, their amounts differ
by at most the tolerance and their dates by at most the window. Each candidate gets a score:
half from the amount (1 when equal, 0 at the tolerance), three tenths from the date (1 on the
same day) and a fifth from the words their descriptions share. A pair is matched without
asking when the amounts are equal and each is the other's only equal-amount candidate;
otherwise a line with candidates goes to review, with its three best."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.ledger.imports import StatementLine
from domain.ledger.merchants import normalize_merchant

REVIEW_CHOICES = 3


@dataclass(frozen=True)
class Candidate:
    transaction_id: UUID
    date: date
    amount: Decimal
    description: str
    merchant: str | None


@dataclass(frozen=True)
class Match:
    line: StatementLine
    transaction_id: UUID
    score: Decimal
    amount_difference: Decimal
    days_apart: int


@dataclass(frozen=True)
class Review:
    line: StatementLine
    choices: list[Match]


@dataclass(frozen=True)
class Matching:
    matched: list[Match]
    review: list[Review]
    unmatched: list[StatementLine]


def match(
    lines: list[StatementLine],
    candidates: list[Candidate],
    tolerance: Decimal,
    window_days: int,
) -> Matching:
    possible = {
        line.line: sorted(
            (m for c in candidates if (m := _score(line, c, tolerance, window_days)) is not None),
            key=lambda m: (-m.score, m.days_apart, str(m.transaction_id)),
        )
        for line in lines
    }
    exact_lines: dict[UUID, int] = {}
    for matches in possible.values():
        for m in matches:
            if m.amount_difference == 0:
                exact_lines[m.transaction_id] = exact_lines.get(m.transaction_id, 0) + 1
    matched, review, unmatched = [], [], []
    for line in lines:
        exact = [m for m in possible[line.line] if m.amount_difference == 0]
        if len(exact) == 1 and exact_lines[exact[0].transaction_id] == 1:
            matched.append(exact[0])
        elif possible[line.line]:
            review.append(Review(line, possible[line.line][:REVIEW_CHOICES]))
        else:
            unmatched.append(line)
    return Matching(matched, review, unmatched)


def _score(
    line: StatementLine, candidate: Candidate, tolerance: Decimal, window_days: int
) -> Match | None:
    if (line.amount > 0) != (candidate.amount > 0):
        return None
    difference = abs(line.amount - candidate.amount)
    days = abs((line.date - candidate.date).days)
    if difference > tolerance or days > window_days:
        return None
    by_amount = Decimal(1) - (difference / tolerance if tolerance else Decimal(0))
    by_date = Decimal(1) - Decimal(days) / (window_days + 1)
    by_words = _shared_words(
        f"{line.description} {line.merchant or ''}",
        f"{candidate.description} {candidate.merchant or ''}",
    )
    score = by_amount / 2 + by_date * 3 / 10 + by_words / 5
    return Match(line, candidate.transaction_id, score.quantize(Decimal("0.01")), difference, days)


def _shared_words(a: str, b: str) -> Decimal:
    """The share of words two descriptions have in common (Jaccard), merchant names cleaned."""
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return Decimal(0)
    return Decimal(len(words_a & words_b)) / len(words_a | words_b)


def _words(text: str) -> set[str]:
    name = normalize_merchant(text) or ""
    return {w for w in re.findall(r"[a-z]{3,}", f"{text} {name}".casefold())}
