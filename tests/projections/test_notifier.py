"""When a digest of alerts is due: the end of the alert's day, or of its week (Sunday)."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.notifier.projector import due_at


def test_a_daily_digest_is_due_at_the_end_of_the_day_and_a_weekly_one_on_monday() -> None:
    wednesday = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)
    assert due_at("DAILY", wednesday) == datetime(2026, 3, 12, tzinfo=UTC)
    assert due_at("WEEKLY", wednesday) == datetime(2026, 3, 16, tzinfo=UTC)
    sunday = datetime(2026, 3, 15, 23, 59, tzinfo=UTC)
    assert due_at("WEEKLY", sunday) == datetime(2026, 3, 16, tzinfo=UTC)
