"""A report's period: a month, a quarter, a year, or a range of days; and the periods a
schedule reports on (a day, a week from the workspace's first weekday, a month)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.base import DomainError, InvalidInputError, check_supported_date
from domain.budgeting.periods import MONTHS, PeriodKind, add_months, parse_period

MAX_DAYS = 3 * 366  # a range longer than three years is a 400 on ``period``
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def frequency_of(text: str) -> Frequency | None:
    """What a stored event names, read leniently (None for what no schedule writes)."""
    try:
        return Frequency(text.lower())
    except ValueError:
        return None


@dataclass(frozen=True)
class ReportPeriod:
    label: str  # 2026-10, Q3-2026, 2026, or 2026-10-05..2026-10-11 (2026-10-05 for one day)
    start: date
    end: date  # included

    @property
    def title(self) -> str:
        """How the period reads in a title: October 2026, Q3 2026, 2026, 5 Oct 2026 to …"""
        if self.label.startswith("Q"):
            return self.label.replace("-", " ")
        if len(self.label) == 4:
            return self.label
        if len(self.label) == 7:
            return f"{_MONTH_NAMES[self.start.month - 1]} {self.start.year}"
        if self.start == self.end:
            return _day(self.start)
        return f"{_day(self.start)} to {_day(self.end)}"

    @property
    def months(self) -> list[date]:
        """The first day of each month the period touches, oldest first."""
        found, month = [], self.start.replace(day=1)
        while month <= self.end:
            found.append(month)
            month = add_months(month, 1)
        return found


def _day(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1][:3]} {day.year}"


def named_period(text: str) -> ReportPeriod:
    """``2026-10``, ``Q3-2026`` or ``2026``; anything else is a 400 on ``period``."""
    try:
        kind, first = parse_period(text)
    except (DomainError, ValueError):  # a budget's bad period is a 422; a report's is bad input
        raise InvalidInputError(
            "a month (2026-10), a quarter (Q3-2026), a year (2026) or {from, to}", "period"
        ) from None
    end = add_months(first, MONTHS[kind]) - timedelta(days=1)
    check_supported_date(end, "period")
    return ReportPeriod(text, first, end)


def range_period(start: date, end: date) -> ReportPeriod:
    """``{from, to}``, both included; ``to`` before ``from`` or over three years is a 400."""
    check_supported_date(start, "period.from")
    check_supported_date(end, "period.to")
    if end < start:
        raise InvalidInputError("must not be before from", "period.to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInputError(f"a range of at most {MAX_DAYS} days", "period.to")
    label = start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"
    return ReportPeriod(label, start, end)


def week_start_of(day: date, week_start: str) -> date:
    first = WEEKDAYS.index(week_start) if week_start in WEEKDAYS else 0
    return day - timedelta(days=(day.weekday() - first) % 7)


def period_holding(frequency: Frequency, day: date, week_start: str = "MONDAY") -> ReportPeriod:
    """The day, the week (from ``week_start``) or the month holding ``day``."""
    if frequency is Frequency.DAILY:
        return range_period(day, day)
    if frequency is Frequency.WEEKLY:
        first = week_start_of(day, week_start)
        return range_period(first, first + timedelta(days=6))
    first = day.replace(day=1)
    return ReportPeriod(
        f"{first:%Y-%m}", first, add_months(first, MONTHS[PeriodKind.MONTHLY]) - timedelta(days=1)
    )


def last_complete(frequency: Frequency, today: date, week_start: str = "MONDAY") -> ReportPeriod:
    """The latest period of this frequency that is over by ``today`` (a local date)."""
    current = period_holding(frequency, today, week_start)
    return period_holding(frequency, current.start - timedelta(days=1), week_start)


def next_run_at(
    frequency: Frequency, now: datetime, zone: str, week_start: str = "MONDAY"
) -> datetime:
    """When the period holding ``now`` (in the workspace's time zone) is over: local midnight
    after its last day, in UTC. A schedule reports on that period then."""
    tz = _zone(zone)
    current = period_holding(frequency, now.astimezone(tz).date(), week_start)
    after = current.end + timedelta(days=1)
    return datetime.combine(after, time(0), tzinfo=tz).astimezone(UTC)


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(_zone(zone)).date()


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine's tz data lacks
        return ZoneInfo("UTC")
