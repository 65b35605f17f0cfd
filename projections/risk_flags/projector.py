"""Risk flags as they stand: the risk watch's flags and members' reviews of them."""

from __future__ import annotations

import json

from domain.risk.review import RiskReview
from projections.risk_flags.view import TABLES
from projections.runtime import Cursor, Projection, handles


class RiskFlagsProjection(Projection):
    name = "risk_flags"
    tables = TABLES

    @handles(RiskReview.Flagged)
    async def on_transaction_flagged(
        self, cur: Cursor, event: RiskReview.Flagged, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO risk_flags (transaction_id, review_id, workspace_id, score, reasons, "
            "status, flagged_at, version) VALUES (%s, %s, %s, %s, %s, 'PENDING', %s, %s) "
            "ON CONFLICT (transaction_id) DO NOTHING",
            (
                event.transaction_id,
                event.originator_id,
                event.workspace_id,
                event.score,
                json.dumps(list(event.reasons)),
                event.timestamp,
                event.originator_version,
            ),
        )

    @handles(RiskReview.Reviewed)
    async def on_risk_reviewed(
        self, cur: Cursor, event: RiskReview.Reviewed, position: int
    ) -> None:
        await cur.execute(
            "UPDATE risk_flags SET status = %s, note = %s, reviewed_at = %s, version = %s "
            "WHERE review_id = %s",
            (
                event.status,
                event.note,
                event.timestamp,
                event.originator_version,
                event.originator_id,
            ),
        )
