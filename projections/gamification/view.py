"""Tables of the gamification projection, and the queries the read API asks of them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from domain.engagement.catalogue import badge, level_of
from domain.engagement.streaks import logging_streak, no_spend_streak
from projections.gamification.model import (
    EarnedBadge,
    Gamification,
    LeaderboardEntry,
    LevelOut,
    NextLevel,
    PointsEntry,
    Streak,
    Streaks,
)
from projections.insights import health_rows, rows

Conn = psycopg.AsyncConnection[dict[str, Any]]
NO_SPEND_DAYS = 366  # how far back a no-spend streak is looked for

TABLES = (
    """CREATE TABLE IF NOT EXISTS gamification_points (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        amount integer NOT NULL,
        reason text NOT NULL,
        source_id uuid NOT NULL,
        awarded_at timestamptz NOT NULL,
        position bigint NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS gamification_points_by_member "
    "ON gamification_points (workspace_id, user_id, position)",
    """CREATE TABLE IF NOT EXISTS gamification_badges (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        slug text NOT NULL,
        points integer NOT NULL,
        reason text NOT NULL,
        source_id uuid,
        earned_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS gamification_badges_by_member "
    "ON gamification_badges (workspace_id, user_id)",
    """CREATE TABLE IF NOT EXISTS gamification_zones (
        workspace_id uuid PRIMARY KEY,
        timezone text NOT NULL
    )""",
    # The local days (in the workspace's time zone then) a member typed in an expense.
    """CREATE TABLE IF NOT EXISTS gamification_log_days (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        day date NOT NULL,
        PRIMARY KEY (workspace_id, user_id, day)
    )""",
)


async def gamification(conn: Conn, workspace_id: UUID, user_id: UUID) -> Gamification:
    today, _ = await rows.settings(conn, workspace_id)
    points = await _points_of(conn, workspace_id)
    mine = points.get(user_id, 0)
    level, after = level_of(mine)
    log_days = [
        row["day"]
        for row in await (
            await conn.execute(
                "SELECT day FROM gamification_log_days WHERE workspace_id = %s AND user_id = %s",
                (workspace_id, user_id),
            )
        ).fetchall()
    ]
    current, longest = logging_streak(log_days, today)
    first = await health_rows.first_date(conn, workspace_id)
    since = max(first, date.fromordinal(today.toordinal() - NO_SPEND_DAYS)) if first else None
    lines = await rows.lines(conn, workspace_id, since, today) if since else []
    spent_on = {line.date for line in lines if line.amount < 0 and not line.transfer}
    free_current, free_longest = no_spend_streak(spent_on, since, today)
    return Gamification(
        workspace_id=workspace_id,
        user_id=user_id,
        today=today,
        points=mine,
        level=LevelOut(level=level.level, title=level.title, min_points=level.min_points),
        next_level=None
        if after is None
        else NextLevel(
            level=after.level,
            title=after.title,
            min_points=after.min_points,
            points_needed=after.min_points - mine,
        ),
        streaks=Streaks(
            logging=Streak(current=current, longest=longest),
            no_spend=Streak(current=free_current, longest=free_longest),
        ),
        badges=await _badges(conn, workspace_id, user_id),
        recent_points=await _recent(conn, workspace_id, user_id),
        leaderboard=await _leaderboard(conn, workspace_id, points),
    )


async def _points_of(conn: Conn, workspace_id: UUID) -> dict[UUID, int]:
    found = await (
        await conn.execute(
            "SELECT user_id, sum(amount)::integer AS points FROM gamification_points "
            "WHERE workspace_id = %s GROUP BY user_id",
            (workspace_id,),
        )
    ).fetchall()
    return {row["user_id"]: row["points"] for row in found}


async def _badges(conn: Conn, workspace_id: UUID, user_id: UUID) -> list[EarnedBadge]:
    found = await (
        await conn.execute(
            "SELECT slug, points, reason, source_id, earned_at FROM gamification_badges "
            "WHERE workspace_id = %s AND user_id = %s ORDER BY earned_at, slug",
            (workspace_id, user_id),
        )
    ).fetchall()
    earned = []
    for row in found:
        definition = badge(row["slug"])
        earned.append(
            EarnedBadge(
                id=definition.id,
                slug=row["slug"],
                title=definition.title,
                points=row["points"],
                earned_at=row["earned_at"],
                reason=row["reason"],
                source_id=row["source_id"],
            )
        )
    return earned


async def _recent(conn: Conn, workspace_id: UUID, user_id: UUID) -> list[PointsEntry]:
    found = await (
        await conn.execute(
            "SELECT amount, reason, source_id, awarded_at FROM gamification_points "
            "WHERE workspace_id = %s AND user_id = %s ORDER BY position DESC LIMIT 20",
            (workspace_id, user_id),
        )
    ).fetchall()
    return [PointsEntry(**row) for row in found]


async def _leaderboard(
    conn: Conn, workspace_id: UUID, points: dict[UUID, int]
) -> list[LeaderboardEntry]:
    """Every member, most points first (ties by name, then id); rank 1 is the most."""
    members = await (
        await conn.execute(
            "SELECT m.user_id, u.name FROM workspaces_members m "
            "LEFT JOIN users u ON u.id = m.user_id WHERE m.workspace_id = %s",
            (workspace_id,),
        )
    ).fetchall()
    ordered = sorted(
        members,
        key=lambda m: (-points.get(m["user_id"], 0), (m["name"] or "").casefold(), m["user_id"]),
    )
    board, rank, previous = [], 0, None
    for index, member in enumerate(ordered, start=1):
        score = points.get(member["user_id"], 0)
        rank = rank if score == previous else index
        previous = score
        board.append(
            LeaderboardEntry(
                rank=rank,
                user_id=member["user_id"],
                name=member["name"],
                points=score,
                level=level_of(score)[0].level,
            )
        )
    return board
