"""What the read API returns about challenges, summaries, reflections, persona and coach."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from projections.pages import PageMeta


class TemplateOut(msgspec.Struct, kw_only=True):
    id: UUID
    slug: str
    title: str
    challenge_type: str
    category: str
    metric_key: str
    target_value: str
    unit: str
    reward_points: int
    difficulty: str


class TemplateList(msgspec.Struct, kw_only=True):
    data: list[TemplateOut]


class ChallengeView(msgspec.Struct, kw_only=True):
    id: UUID
    template_id: UUID
    slug: str
    title: str
    metric_key: str
    category_id: UUID | None
    month: str
    accepted_on: date
    target_value: str
    unit: str
    reward_points: int
    current_progress: str
    percent: float  # of the target, at most 100 (a spending limit: of the limit used)
    status: str  # ACTIVE, COMPLETED (claimable), CLAIMED, FAILED
    claimed_at: datetime | None
    version: int


class ChallengeList(msgspec.Struct, kw_only=True):
    data: list[ChallengeView]


class BucketEntry(msgspec.Struct, kw_only=True):
    category_id: UUID
    category: str
    bucket: str
    is_default: bool


class BucketMapView(msgspec.Struct, kw_only=True):
    data: list[BucketEntry]


class BucketSums(msgspec.Struct, kw_only=True):
    needs: str
    wants: str
    culture: str
    unexpected: str
    unassigned: str


class Summary(msgspec.Struct, kw_only=True):
    period: str  # 2026-W11 or 2026-03
    start: date
    end: date
    currency: str
    total_spent: str
    buckets: BucketSums
    expenses: int  # expense lines counted
    logging_days: int  # days of the period holding a recorded transaction
    unconverted: list[str]  # currencies without a rate, left out


class ReflectionView(msgspec.Struct, kw_only=True):
    id: UUID
    phase: str
    category: str | None
    reflection_text: str
    confidence_rating: int
    intended_action: str | None
    quality_score: int
    feedback: list[str]
    recorded_at: datetime


class ReflectionPage(msgspec.Struct, kw_only=True):
    data: list[ReflectionView]
    meta: PageMeta


class PersonaScore(msgspec.Struct, kw_only=True):
    persona: str
    score: int


class PersonaInputs(msgspec.Struct, kw_only=True):
    start: date
    end: date
    savings_rate: str | None  # (income - expenses) / income, null without income
    budget_adherence: str | None  # budget periods kept / periods, null without any
    discretionary_share: str | None  # (wants + culture) / spent, null without spending
    impulse_share: str | None  # small wants purchases / expenses, null without spending


class PersonaView(msgspec.Struct, kw_only=True):
    persona: str | None  # the override when set, else the derived one
    derived: str | None  # null when the window holds no transaction
    overridden: bool
    scores: list[PersonaScore]
    reasons: list[str]
    inputs: PersonaInputs


Ratio = Annotated[float, Meta(ge=0, le=1)]


class CoachInputs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    budget_used_ratio: Ratio
    needs_share: Ratio
    wants_share: Ratio
    culture_share: Ratio
    unexpected_share: Ratio
    savings_goal_progress: Ratio
    prev_w_adj: Ratio = 0.0
    prev_c_adj: Ratio = 0.0
    prev_s_adj: Ratio = 0.0
    risk_profile: Ratio = 0.5


class Adjustments(msgspec.Struct, kw_only=True):
    w_adj: float  # the change of the wants share to aim for (-0.10: ten points less)
    c_adj: float
    s_adj: float


class Suggestion(msgspec.Struct, kw_only=True):
    rule: str
    message: str
    adjustments: Adjustments


class CoachAnswer(msgspec.Struct, kw_only=True):
    suggestions: list[Suggestion]
    adjustments: Adjustments
    rules_fired: list[str]
    inputs: CoachInputs
