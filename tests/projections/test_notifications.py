"""Digests of alerts in the app: which day or week an alert falls in, and the digest's id."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from projections.notifications.view import digest_id, digest_period, digest_title

WEDNESDAY = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)


def test_a_daily_digest_holds_its_utc_day_and_a_weekly_one_monday_to_sunday() -> None:
    assert digest_period("DAILY", WEDNESDAY) == (
        datetime(2026, 3, 11, tzinfo=UTC),
        datetime(2026, 3, 12, tzinfo=UTC),
    )
    week = (datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC))
    assert digest_period("WEEKLY", WEDNESDAY) == week
    assert digest_period("WEEKLY", datetime(2026, 3, 15, 23, 59, tzinfo=UTC)) == week
    assert digest_period("WEEKLY", datetime(2026, 3, 16, tzinfo=UTC))[0] == week[1]


def test_a_digest_is_one_per_workspace_member_frequency_and_period() -> None:
    workspace, member, other = uuid4(), uuid4(), uuid4()
    day, _ = digest_period("DAILY", WEDNESDAY)
    next_day, _ = digest_period("DAILY", datetime(2026, 3, 12, 9, tzinfo=UTC))
    same = digest_id(workspace, member, "DAILY", day)
    assert same == digest_id(workspace, member, "DAILY", digest_period("DAILY", WEDNESDAY)[0])
    assert (
        len(
            {
                same,
                digest_id(workspace, other, "DAILY", day),
                digest_id(uuid4(), member, "DAILY", day),
                digest_id(workspace, member, "WEEKLY", day),
                digest_id(workspace, member, "DAILY", next_day),
            }
        )
        == 5
    )
    assert digest_title("DAILY", day, 1) == "1 alert on 2026-03-11"
    assert digest_title("WEEKLY", day, 3) == "3 alerts in the week of 2026-03-11"
