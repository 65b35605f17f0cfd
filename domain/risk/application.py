"""The Risk application: flags the risk watch records, and members' reviews of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Actor, CentsourceApplication, NotFoundError, natural_id
from domain.risk.review import ReviewStatus, RiskReview, review_id

# The risk_watch process is the actor of the flags it records.
RISK_WATCH_ACTOR_ID = natural_id("process", "risk_watch")


class Risk(CentsourceApplication):
    def flag(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        score: int,
        reasons: tuple[dict[str, Any], ...],
        correlation_id: str,
    ) -> int:
        """Records the flag unless the transaction has one: 0 when nothing was recorded."""
        if self.find(RiskReview, review_id(transaction_id)) is not None:
            return 0
        review = RiskReview.flag(
            workspace_id,
            transaction_id,
            score,
            reasons,
            Actor(RISK_WATCH_ACTOR_ID, correlation_id),
        )
        return self.save_all(review)

    def get_review(self, workspace_id: UUID, transaction_id: UUID) -> RiskReview:
        review = self.find(RiskReview, review_id(transaction_id))
        if review is None or review.workspace_id != workspace_id:
            raise NotFoundError("no risk flag on this transaction")
        return review

    def review(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        status: ReviewStatus,
        note: str | None,
        by: Actor,
    ) -> tuple[RiskReview, int]:
        review = self.get_review(workspace_id, transaction_id)
        review.review(status, note, by)
        return review, self.save_all(review)
