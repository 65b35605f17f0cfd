"""Spending buckets: every category's share of the month is counted as needs, wants,
culture or unexpected. The system categories have defaults; a workspace may change any."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked, natural_id

MAX_ENTRIES = 500


class Bucket(StrEnum):
    NEEDS = "needs"
    WANTS = "wants"
    CULTURE = "culture"
    UNEXPECTED = "unexpected"


UNASSIGNED = "unassigned"  # an expense without a category, or one no bucket covers

# The system categories' defaults, by slug. Income, refunds and transfers are no spending.
DEFAULT_BUCKETS: dict[str, Bucket] = {
    **dict.fromkeys(
        [
            "food_and_drink",
            "groceries",
            "transport",
            "fuel",
            "public_transport",
            "parking",
            "housing",
            "rent",
            "mortgage",
            "utilities",
            "electricity",
            "water",
            "internet_and_phone",
            "health",
            "pharmacy",
            "household",
            "personal_care",
            "taxes",
        ],
        Bucket.NEEDS,
    ),
    **dict.fromkeys(
        [
            "restaurants",
            "coffee_shops",
            "taxi_and_rideshare",
            "shopping",
            "clothing",
            "electronics",
            "entertainment",
            "streaming",
            "games",
            "travel",
            "flights",
            "lodging",
            "fitness",
        ],
        Bucket.WANTS,
    ),
    **dict.fromkeys(["education", "movies_and_events"], Bucket.CULTURE),
    **dict.fromkeys(
        [
            "home_maintenance",
            "doctor",
            "gifts_and_donations",
            "fees_and_charges",
            "bank_fees",
            "interest_paid",
        ],
        Bucket.UNEXPECTED,
    ),
}


def bucket_of(
    category_id: UUID | None,
    parents: Mapping[UUID, UUID | None],
    slugs: Mapping[UUID, str | None],
    overrides: Mapping[UUID, str],
) -> str:
    """The category's own setting, else its system default, else its parent's (setting, then
    default), else ``unassigned``."""
    seen = 0
    while category_id is not None and seen < 10:
        if category_id in overrides:
            return overrides[category_id]
        default = DEFAULT_BUCKETS.get(slugs.get(category_id) or "")
        if default is not None:
            return default.value
        category_id, seen = parents.get(category_id), seen + 1
    return UNASSIGNED


def bucket_map_id(workspace_id: UUID) -> UUID:
    return natural_id("bucket-map", workspace_id)


class BucketMap(Tracked):
    """One per workspace: the buckets its members chose for categories."""

    class Started(Tracked.Created):
        pass

    @event(Started)
    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.buckets: dict[UUID, str] = {}

    @classmethod
    def start(cls, workspace_id: UUID, by: Actor) -> BucketMap:
        return cls._create(
            cls.Started,
            id=bucket_map_id(workspace_id),
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        """``buckets``: category id (hex) to bucket; ``null`` gives a category its default
        back."""

        buckets: dict[str, str | None]

    def change(self, buckets: Mapping[UUID, Bucket | None], by: Actor) -> None:
        if not 1 <= len(buckets) <= MAX_ENTRIES:
            raise DomainError(f"name 1 to {MAX_ENTRIES} categories", "buckets")
        changed = {
            str(category): (None if bucket is None else bucket.value)
            for category, bucket in buckets.items()
            if self.buckets.get(category) != (None if bucket is None else bucket.value)
        }
        if changed:
            self._trigger(self.Changed, by, buckets=changed)

    @event(Changed)
    def _changed(self, buckets: dict[str, str | None]) -> None:
        for category, bucket in buckets.items():
            if bucket is None:
                self.buckets.pop(UUID(category), None)
            else:
                self.buckets[UUID(category)] = bucket
