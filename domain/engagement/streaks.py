"""Streaks: runs of consecutive local days, counted the same way by the watch that awards
streak badges and by the read model that shows them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ONE_DAY = timedelta(days=1)


def local_day(at: datetime, zone: str | None) -> date:
    """The calendar day ``at`` falls on in the time zone (UTC when unknown)."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    try:
        return at.astimezone(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return at.astimezone(UTC).date()


def run_ending(days: Iterable[date], last: date) -> int:
    """How many consecutive days of ``days`` end on ``last`` (0 when ``last`` is not one)."""
    held = set(days)
    count, day = 0, last
    while day in held:
        count, day = count + 1, day - ONE_DAY
    return count


def longest_run(days: Iterable[date]) -> int:
    best = current = 0
    previous: date | None = None
    for day in sorted(set(days)):
        current = current + 1 if previous is not None and day - previous == ONE_DAY else 1
        best, previous = max(best, current), day
    return best


def logging_streak(days: Iterable[date], today: date) -> tuple[int, int]:
    """``(current, longest)`` of days with a logged expense. The current streak ends today,
    or yesterday while today has nothing logged yet: the day is not over."""
    held = set(days)
    current = run_ending(held, today) or run_ending(held, today - ONE_DAY)
    return current, longest_run(held)


def no_spend_days(spent_on: Iterable[date], first: date | None, today: date) -> list[date]:
    """The finished days from ``first`` (the first day there is anything to go by) to
    yesterday on which nothing was spent."""
    if first is None or first >= today:
        return []
    spent = set(spent_on)
    days, day = [], first
    while day < today:
        if day not in spent:
            days.append(day)
        day += ONE_DAY
    return days


def no_spend_streak(spent_on: Iterable[date], first: date | None, today: date) -> tuple[int, int]:
    """``(current, longest)`` no-spend days: the current run ends yesterday."""
    free = no_spend_days(spent_on, first, today)
    return run_ending(free, today - ONE_DAY), longest_run(free)
