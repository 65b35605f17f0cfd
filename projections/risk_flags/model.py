"""What the read API returns about risk flags."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from domain.risk.review import ReviewStatus as ReviewStatus  # re-exported for the read API
from projections.pages import PageMeta


class RiskReason(msgspec.Struct, kw_only=True):
    code: str  # LARGE_FOR_CATEGORY, NEW_MERCHANT, LATE_NIGHT, MERCHANT_BURST, UNUSUAL_CURRENCY
    weight: int
    detail: str


class RiskFlag(msgspec.Struct, kw_only=True):
    transaction_id: UUID
    score: int  # 0 to 100, the sum of the reasons' weights
    reasons: list[RiskReason]
    status: ReviewStatus
    note: str | None
    amount: str | None  # the transaction as it stands; None once it is gone from the ledger
    currency: str | None
    date: date | None
    description: str | None
    merchant: str | None
    flagged_at: datetime
    reviewed_at: datetime | None
    version: int


class RiskTotals(msgspec.Struct, kw_only=True):
    PENDING: int
    CONFIRMED: int
    DISMISSED: int


class RiskFlagPage(msgspec.Struct, kw_only=True):
    data: list[RiskFlag]
    meta: PageMeta
    totals: RiskTotals  # every flag of the workspace by status, whatever the filter
