"""Risk reviews: a member confirms or dismisses the risk watch's flag on a transaction."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from command_api.access import Access
from domain.base import Actor
from domain.risk.application import Risk
from domain.risk.review import NOTE_MAX, ReviewStatus, RiskReview

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"


def provide_risk(request: Request[Any, Any, State]) -> Risk:
    risk: Risk = request.app.state.risk
    return risk


class ReviewRisk(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ReviewStatus  # CONFIRMED or DISMISSED
    note: Annotated[str, Meta(max_length=NOTE_MAX)] | None = None


class RiskReviewOut(msgspec.Struct, kw_only=True):
    transaction_id: UUID
    score: int
    status: str
    note: str | None
    version: int
    position: int


@post(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/risk-review",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def review_risk(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    data: JSONBody[ReviewRisk],
    risk: NamedDependency[Risk],
    actor: NamedDependency[Actor],
) -> RiskReviewOut:
    """Confirms or dismisses the transaction's risk flag, with a note; 404 when the
    transaction has no flag (or is another workspace's)."""
    review, position = risk.review(workspace_id, transaction_id, data.status, data.note, actor)
    return _out(review, position)


def _out(review: RiskReview, position: int) -> RiskReviewOut:
    return RiskReviewOut(
        transaction_id=review.transaction_id,
        score=review.score,
        status=review.status.value,
        note=review.note,
        version=review.version,
        position=position,
    )
