"""What the read API returns for a workspace's month."""

from __future__ import annotations

from uuid import UUID

import msgspec

from projections.ledger.model import RateUsed


class CurrencyTotals(msgspec.Struct, kw_only=True):
    currency: str
    income: str
    expenses: str
    net: str
    transaction_count: int


class CategoryTotals(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    category: str | None
    currency: str
    income: str
    expenses: str


class AccountBalance(msgspec.Struct, kw_only=True):
    account_id: UUID
    name: str
    type: str
    currency: str
    balance: str


class BaseTotals(msgspec.Struct, kw_only=True):
    """All currencies' totals in the workspace's base currency: each transaction at the
    latest rate on or before its date (the rates listed); currencies without one are left
    out and named."""

    currency: str
    income: str
    expenses: str
    net: str
    rates_used: list[RateUsed]
    unconverted: list[str]


class Dashboard(msgspec.Struct, kw_only=True):
    """Expenses are positive sizes of money going out; net is income minus expenses.

    Totals are per currency, and all of them together in the base currency; balances are at
    the end of the month. Transfers move balances but are neither income nor expenses.
    """

    workspace_id: UUID
    month: str
    totals: list[CurrencyTotals]
    categories: list[CategoryTotals]
    accounts: list[AccountBalance]
    base_totals: BaseTotals | None = None  # worked out at each read, never cached
