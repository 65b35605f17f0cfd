"""Reflections: what a member writes about a week or a month of spending, scored by stated
rules so the feedback says what would make it more useful."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked
from domain.engagement.buckets import Bucket

TEXT_MAX = 4000
ACTION_MAX = 500
_AMOUNT = re.compile(r"(?<![\w.])\d{1,9}(?:[.,]\d{1,2})?(?![\w])")
_WORD = re.compile(r"[^\W_]+")
# Words that make an intended action checkable: when, how often, how much.
_MEASURABLE = frozenset(
    [
        "daily",
        "weekly",
        "monthly",
        "every",
        "each",
        "per",
        "by",
        "before",
        "until",
        "tomorrow",
        "today",
        "week",
        "weeks",
        "month",
        "months",
        "day",
        "days",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


class Phase(StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True)
class Score:
    quality_score: int  # 0 to 100
    feedback: tuple[str, ...]


def score_reflection(
    text: str, category: str | None, intended_action: str | None, known_names: frozenset[str]
) -> Score:
    """``quality_score`` out of 100:

    - length of the text: 30 from 200 characters, 20 from 80, 10 from 20, else 0;
    - names a category (the one given, a bucket or a category of the workspace): 20;
    - names an amount (a number such as 45 or 12.50): 20;
    - has an intended action of at least 3 words: 20;
    - and that action says when, how often or how much (a number or a word like weekly,
      every, by, Friday): 10.
    """
    lines: list[str] = []
    stripped = text.strip()
    length = len(stripped)
    size = 30 if length >= 200 else 20 if length >= 80 else 10 if length >= 20 else 0
    lines.append(
        f"Length: {length} characters ({size}/30)."
        + ("" if size == 30 else " Say a little more about what happened and why.")
    )
    words = {w.casefold() for w in _WORD.findall(stripped)}
    lowered = stripped.casefold()
    names = {n.casefold() for n in known_names} | {b.value for b in Bucket}
    if category:
        names.add(category.strip().casefold())
    named = any(name and (name in words or (" " in name and name in lowered)) for name in names)
    lines.append(
        "Names a category (20/20)."
        if named
        else "Name the category you mean (groceries, wants …) (0/20)."
    )
    amount = _AMOUNT.search(stripped) is not None
    lines.append("Names an amount (20/20)." if amount else "Put a figure on it, e.g. 45.00 (0/20).")
    action = (intended_action or "").strip()
    action_words = [w.casefold() for w in _WORD.findall(action)]
    concrete = len(action_words) >= 3
    measurable = concrete and (
        any(w in _MEASURABLE for w in action_words) or _AMOUNT.search(action) is not None
    )
    if not concrete:
        lines.append("Add an intended action of a few words: what will you do next? (0/30).")
    else:
        lines.append("Has a concrete intended action (20/20).")
        lines.append(
            "The action says when or how much (10/10)."
            if measurable
            else "Say when or how much, e.g. 'every Friday' or 'under 50' (0/10)."
        )
    total = size + 20 * named + 20 * amount + 20 * concrete + 10 * measurable
    return Score(total, tuple(lines))


class Reflection(Tracked):
    class Recorded(Tracked.Created):
        user_id: UUID
        phase: str
        category: str | None
        reflection_text: str
        confidence_rating: int
        intended_action: str | None
        quality_score: int
        feedback: tuple[str, ...]

    @event(Recorded)
    def __init__(
        self,
        workspace_id: UUID,
        user_id: UUID,
        phase: str,
        category: str | None,
        reflection_text: str,
        confidence_rating: int,
        intended_action: str | None,
        quality_score: int,
        feedback: tuple[str, ...],
    ) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.phase = phase
        self.category = category
        self.reflection_text = reflection_text
        self.confidence_rating = confidence_rating
        self.intended_action = intended_action
        self.quality_score = quality_score
        self.feedback = feedback

    @classmethod
    def record(
        cls,
        reflection_id: UUID,
        workspace_id: UUID,
        user_id: UUID,
        phase: Phase,
        category: str | None,
        text: str,
        confidence_rating: int,
        intended_action: str | None,
        known_names: frozenset[str],
        by: Actor,
    ) -> Reflection:
        score = score_reflection(text, category, intended_action, known_names)
        return cls._create(
            cls.Recorded,
            id=reflection_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            user_id=user_id,
            phase=phase.value,
            category=category,
            reflection_text=text,
            confidence_rating=confidence_rating,
            intended_action=intended_action,
            quality_score=score.quality_score,
            feedback=score.feedback,
        )
