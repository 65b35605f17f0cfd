"""What the read API returns for a workspace's month."""

from __future__ import annotations

from uuid import UUID

import msgspec


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


class Dashboard(msgspec.Struct, kw_only=True):
    """Expenses are positive sizes of money going out; net is income minus expenses.

    Totals are per currency (no conversion yet); balances are at the end of the month.
    Transfers move balances but are neither income nor expenses.
    """

    workspace_id: UUID
    month: str
    totals: list[CurrencyTotals]
    categories: list[CategoryTotals]
    accounts: list[AccountBalance]
