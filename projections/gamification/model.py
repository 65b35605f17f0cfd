"""What the read API returns about points, levels, streaks, badges and the leaderboard."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec


class BadgeOut(msgspec.Struct, kw_only=True):
    id: UUID
    slug: str
    title: str
    description: str
    criteria: str
    points: int


class BadgeList(msgspec.Struct, kw_only=True):
    data: list[BadgeOut]


class LevelOut(msgspec.Struct, kw_only=True):
    level: int
    title: str
    min_points: int


class NextLevel(LevelOut, kw_only=True):
    points_needed: int


class Streak(msgspec.Struct, kw_only=True):
    current: int
    longest: int


class Streaks(msgspec.Struct, kw_only=True):
    logging: Streak  # local days in a row with an expense typed in
    no_spend: Streak  # finished days in a row without an expense


class EarnedBadge(msgspec.Struct, kw_only=True):
    id: UUID  # the badge's catalogue id
    slug: str
    title: str
    points: int
    earned_at: datetime
    reason: str
    source_id: UUID | None


class PointsEntry(msgspec.Struct, kw_only=True):
    amount: int
    reason: str
    source_id: UUID
    awarded_at: datetime


class LeaderboardEntry(msgspec.Struct, kw_only=True):
    rank: int
    user_id: UUID
    name: str | None
    points: int
    level: int


class Gamification(msgspec.Struct, kw_only=True):
    workspace_id: UUID
    user_id: UUID
    today: date
    points: int
    level: LevelOut
    next_level: NextLevel | None
    streaks: Streaks
    badges: list[EarnedBadge]
    recent_points: list[PointsEntry]  # the latest 20
    leaderboard: list[LeaderboardEntry]
