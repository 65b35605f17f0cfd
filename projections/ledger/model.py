"""What the read API returns about accounts, net worth, categories and imports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec


class AccountView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    type: str
    currency: str
    opening_balance: str
    balance: str
    closed: bool
    opened_at: datetime


class AccountList(msgspec.Struct, kw_only=True):
    data: list[AccountView]


class BalancePoint(msgspec.Struct, kw_only=True):
    date: date
    balance: str


class BalanceHistory(msgspec.Struct, kw_only=True):
    account_id: UUID
    currency: str
    interval: str
    history: list[BalancePoint]


class RateUsed(msgspec.Struct, kw_only=True):
    currency: str
    quote: str
    rate: str
    rate_date: date  # the day the rate is for: the latest on or before the point's date


class NetWorthPoint(msgspec.Struct, kw_only=True):
    """Assets are what asset accounts hold; liabilities are what is owed, as a positive sum."""

    date: date
    assets: str
    liabilities: str
    net_worth: str
    rates: list[RateUsed]
    unconverted: list[str]  # currencies with no rate on or before the date: left out


class NetWorth(msgspec.Struct, kw_only=True):
    currency: str
    current: NetWorthPoint
    history: list[NetWorthPoint]


class CategoryView(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    parent_id: UUID | None
    slug: str | None
    system: bool
    archived: bool
    merged_into: UUID | None


class CategoryList(msgspec.Struct, kw_only=True):
    data: list[CategoryView]


class CurrencySpending(msgspec.Struct, kw_only=True):
    """Expenses as a positive size; split parts count in their own category."""

    currency: str
    expenses: str
    income: str
    transaction_count: int


class CategorySpending(msgspec.Struct, kw_only=True):
    category_id: UUID
    name: str
    from_date: date | None
    to_date: date | None
    totals: list[CurrencySpending]


class ImportView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    account_id: UUID
    file_name: str
    format: str
    imported: int
    skipped_duplicates: int
    rejected_rows: int
    skipped: list[dict[str, Any]]
    rejected: list[dict[str, Any]]
    actor_id: UUID
    created_at: datetime


class RuleView(msgspec.Struct, kw_only=True):
    """An auto-categorization rule; ``order`` 0 is asked first."""

    id: UUID
    name: str
    order: int
    contains: str | None
    pattern: str | None
    min_amount: str | None
    max_amount: str | None
    account_id: UUID | None
    category_id: UUID | None
    tags: list[str]
    merchant: str | None


class RuleList(msgspec.Struct, kw_only=True):
    data: list[RuleView]


class ImportProfileView(msgspec.Struct, kw_only=True):
    """A saved way to read a bank's CSV; ``settings`` holds only what was set."""

    id: UUID
    name: str
    settings: dict[str, Any]


class ImportProfileList(msgspec.Struct, kw_only=True):
    data: list[ImportProfileView]
