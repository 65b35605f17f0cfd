"""A risk review: one per flagged transaction, created by the risk watch, then reviewed."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, InvalidInputError, Tracked, natural_id

NOTE_MAX = 500


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


def review_id(transaction_id: UUID) -> UUID:
    """Derived from the transaction: a second flag of it cannot be appended."""
    return natural_id("risk_review", transaction_id)


class RiskReview(Tracked):
    workspace_id: UUID

    class Flagged(Tracked.Created):
        """``TransactionFlagged`` in prose: its score and each reason with its weight."""

        transaction_id: UUID
        score: int
        reasons: tuple[dict[str, Any], ...]  # {"code", "weight", "detail"}

    @event(Flagged)
    def __init__(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        score: int,
        reasons: tuple[dict[str, Any], ...],
    ) -> None:
        self.workspace_id = workspace_id
        self.transaction_id = transaction_id
        self.score = score
        self.reasons = tuple(reasons)
        self.status = ReviewStatus.PENDING
        self.note: str | None = None

    @classmethod
    def flag(
        cls,
        workspace_id: UUID,
        transaction_id: UUID,
        score: int,
        reasons: tuple[dict[str, Any], ...],
        by: Actor,
    ) -> RiskReview:
        return cls._create(
            cls.Flagged,
            id=review_id(transaction_id),
            workspace_id=workspace_id,
            transaction_id=transaction_id,
            score=score,
            reasons=reasons,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Reviewed(Tracked.Event):
        status: str
        note: str | None

    def review(self, status: ReviewStatus, note: str | None, by: Actor) -> None:
        if status is ReviewStatus.PENDING:
            raise InvalidInputError("a review CONFIRMS or DISMISSES the flag", "status")
        if note is not None and len(note) > NOTE_MAX:
            raise InvalidInputError(f"at most {NOTE_MAX} characters", "note")
        if (status, note) != (self.status, self.note):
            self._trigger(self.Reviewed, by, status=status.value, note=note)

    @event(Reviewed)
    def _reviewed(self, status: str, note: str | None) -> None:
        self.status = ReviewStatus(status)
        self.note = note
