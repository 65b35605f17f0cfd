"""What the read API returns about goals and their progress."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.goals.goal import GoalType as GoalType  # re-exported for the read API


class GoalView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    type: GoalType
    target_amount: str
    currency: str
    target_date: date | None
    account_id: UUID | None  # followed from this account's balance, when set
    completed_at: datetime | None
    version: int
    created_at: datetime


class GoalListed(GoalView, kw_only=True):
    current_amount: str
    percent: float


class GoalList(msgspec.Struct, kw_only=True):
    data: list[GoalListed]


class GoalProgress(msgspec.Struct, kw_only=True):
    goal_id: UUID
    name: str
    currency: str
    current_amount: str
    target_amount: str
    percent: float
    remaining: str
    target_date: date | None
    days_remaining: int | None  # to the target date
    months_left: float | None
    monthly_contribution_needed: str | None
    current_monthly_contribution: str  # over the last 90 days
    projected_completion_date: date | None
    status: str  # ON_TRACK, BEHIND_SCHEDULE, COMPLETED
