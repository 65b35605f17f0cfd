"""What the read API returns about schedules."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class OccurrenceView(msgspec.Struct, kw_only=True):
    date: date
    status: str  # PAID, DUE (paid within 3 days yet), MISSED
    transaction_id: UUID | None


class ScheduleView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    account_id: UUID
    amount: str  # negative: a bill; positive: an income
    currency: str
    category: str | None
    merchant: str | None
    cadence: str
    next_date: date  # the first date; the others follow by the cadence
    end_date: date | None
    auto_post: bool
    from_recurring: UUID | None  # the detected series it was made from
    version: int
    created_at: datetime


class ScheduleListed(ScheduleView, kw_only=True):
    upcoming: list[date]  # the next dates after today
    recent: list[OccurrenceView]  # the dates of the last 90 days up to today
    missed: int  # how many of those are MISSED


class ScheduleList(msgspec.Struct, kw_only=True):
    data: list[ScheduleListed]
    meta: PageMeta
