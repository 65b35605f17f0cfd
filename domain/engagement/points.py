"""The points ledger and badges: each award is an aggregate of its own whose id derives from
what earned it, so the event store refuses a second award for the same cause."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id


def points_id(workspace_id: UUID, user_id: UUID, reason: str, source_id: UUID) -> UUID:
    return natural_id("points", workspace_id, user_id, reason, source_id)


def badge_award_id(workspace_id: UUID, user_id: UUID, slug: str) -> UUID:
    """One per user, workspace and badge: a badge is earned once."""
    return natural_id("badge", workspace_id, user_id, slug)


class Points(Tracked):
    """``PointsAwarded``: ``amount`` points to ``user_id`` for ``reason``, caused by
    ``source_id`` (a transaction, a badge award, a challenge)."""

    class Awarded(Tracked.Created):
        user_id: UUID
        amount: int
        reason: str
        source_id: UUID

    @event(Awarded)
    def __init__(
        self, workspace_id: UUID, user_id: UUID, amount: int, reason: str, source_id: UUID
    ) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.amount = amount
        self.reason = reason
        self.source_id = source_id

    @classmethod
    def award(
        cls,
        workspace_id: UUID,
        user_id: UUID,
        amount: int,
        reason: str,
        source_id: UUID,
        by: Actor,
    ) -> Points:
        return cls._create(
            cls.Awarded,
            id=points_id(workspace_id, user_id, reason, source_id),
            workspace_id=workspace_id,
            user_id=user_id,
            amount=amount,
            reason=reason,
            source_id=source_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )


class Badge(Tracked):
    """``BadgeEarned``: a badge of the catalogue, with why (``reason``) and what caused it."""

    class Earned(Tracked.Created):
        user_id: UUID
        badge_id: UUID
        slug: str
        points: int
        reason: str
        source_id: UUID | None

    @event(Earned)
    def __init__(
        self,
        workspace_id: UUID,
        user_id: UUID,
        badge_id: UUID,
        slug: str,
        points: int,
        reason: str,
        source_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.badge_id = badge_id
        self.slug = slug
        self.points = points
        self.reason = reason
        self.source_id = source_id

    @classmethod
    def earn(
        cls,
        workspace_id: UUID,
        user_id: UUID,
        badge_id: UUID,
        slug: str,
        points: int,
        reason: str,
        source_id: UUID | None,
        by: Actor,
    ) -> Badge:
        return cls._create(
            cls.Earned,
            id=badge_award_id(workspace_id, user_id, slug),
            workspace_id=workspace_id,
            user_id=user_id,
            badge_id=badge_id,
            slug=slug,
            points=points,
            reason=reason,
            source_id=source_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )
