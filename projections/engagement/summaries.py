"""Bucket summaries: a week's or a month's spending as needs, wants, culture and unexpected.

Computed from the lines every insight reads (``projections/insights/rows.py``): an expense
line (money out, not a transfer; a split part under its own category) counts its size in the
base currency, converted at the latest rate on or before its date (as the anomalies do) and
put in its category's bucket (``domain/engagement/buckets.py``). A refund is not spending
and is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.engagement.buckets import UNASSIGNED, Bucket, bucket_of
from domain.money import money_text
from projections.engagement.model import BucketSums, Summary
from projections.insights.anomalies import expenses
from projections.insights.model import CategoryNode, Line
from projections.ledger import view as ledger_view

BUCKETS = (*(b.value for b in Bucket), UNASSIGNED)


def bucket_sums(
    lines: Iterable[Line],
    conversion: ledger_view.Conversion,
    categories: Iterable[CategoryNode],
    overrides: Mapping[UUID, str],
    start: date,
    end: date,
) -> tuple[dict[str, Decimal], int]:
    """Spent per bucket from ``start`` to ``end``, and how many expense lines."""
    nodes = list(categories)
    parents = {c.id: c.parent_id for c in nodes}
    slugs = {c.id: c.slug for c in nodes}
    sums = dict.fromkeys(BUCKETS, Decimal(0))
    count = 0
    for expense in expenses((ln for ln in lines if start <= ln.date <= end), conversion):
        bucket = bucket_of(expense.line.category_id, parents, slugs, overrides)
        sums[bucket] += expense.size
        count += 1
    return sums, count


def summary(
    period: str,
    lines: list[Line],
    conversion: ledger_view.Conversion,
    categories: Iterable[CategoryNode],
    overrides: Mapping[UUID, str],
    start: date,
    end: date,
) -> Summary:
    """``total_spent`` is the sum of the buckets; ``logging_days`` the days from ``start`` to
    ``end`` holding a transaction that is not a transfer."""
    sums, count = bucket_sums(lines, conversion, categories, overrides, start, end)
    base = conversion.base
    days = {ln.date for ln in lines if start <= ln.date <= end and not ln.transfer}
    return Summary(
        period=period,
        start=start,
        end=end,
        currency=base,
        total_spent=money_text(sum(sums.values(), Decimal(0)), base),
        buckets=BucketSums(**{name: money_text(value, base) for name, value in sums.items()}),
        expenses=count,
        logging_days=len(days),
        unconverted=sorted(conversion.unconverted),
    )
