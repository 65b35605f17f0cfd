"""What engagement ships as data: levels, badges, challenge templates, research instruments.

The JSON files beside this module are the catalogue; ids derive from slugs and keys, so they
stay the same on every installation and every release that keeps the slug.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.base import natural_id

HERE = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Level:
    level: int
    title: str
    min_points: int


@dataclass(frozen=True)
class BadgeDefinition:
    id: UUID
    slug: str
    title: str
    description: str
    criteria: str
    points: int


@dataclass(frozen=True)
class ChallengeTemplate:
    id: UUID
    slug: str
    title: str
    challenge_type: str
    category: str
    metric_key: str
    target_value: Decimal
    unit: str
    reward_points: int
    difficulty: str
    category_slug: str | None  # the system category of category_spend_under

    @property
    def manual(self) -> bool:
        return self.metric_key == "manual"


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    min: int
    max: int
    reverse_coded: bool


@dataclass(frozen=True)
class Instrument:
    key: str
    title: str
    phases: tuple[str, ...]
    tracks: tuple[str, ...]
    scoring: str  # "sum" or "mean"
    items: tuple[Item, ...]


@cache
def _gamification() -> dict[str, Any]:
    data: dict[str, Any] = _load("gamification.json")
    return data


def points_rules() -> dict[str, int]:
    rules: dict[str, int] = _gamification()["points"]
    return rules


@cache
def levels() -> tuple[Level, ...]:
    return tuple(Level(**row) for row in _gamification()["levels"])


@cache
def badges() -> tuple[BadgeDefinition, ...]:
    return tuple(
        BadgeDefinition(id=natural_id("badge", row["slug"]), **row)
        for row in _gamification()["badges"]
    )


def badge(slug: str) -> BadgeDefinition:
    return next(b for b in badges() if b.slug == slug)


@cache
def challenge_templates() -> tuple[ChallengeTemplate, ...]:
    return tuple(
        ChallengeTemplate(
            id=natural_id("challenge-template", row["slug"]),
            **{**row, "target_value": Decimal(row["target_value"])},
        )
        for row in _load("challenge_templates.json")
    )


def challenge_template(template_id: UUID) -> ChallengeTemplate | None:
    return next((t for t in challenge_templates() if t.id == template_id), None)


@cache
def instruments() -> tuple[Instrument, ...]:
    return tuple(
        Instrument(
            key=row["key"],
            title=row["title"],
            phases=tuple(row["phases"]),
            tracks=tuple(row["tracks"]),
            scoring=row["scoring"],
            items=tuple(Item(**item) for item in row["items"]),
        )
        for row in _load("research_instruments.json")
    )


def instrument(key: str) -> Instrument | None:
    return next((i for i in instruments() if i.key == key), None)


def level_of(points: int) -> tuple[Level, Level | None]:
    """The level the points reach, and the next one (None at the top)."""
    reached = [lv for lv in levels() if lv.min_points <= points]
    current = reached[-1] if reached else levels()[0]
    after = [lv for lv in levels() if lv.min_points > points]
    return current, (after[0] if after else None)
