"""Serves the ledger projection: accounts, balance history, net worth, categories, imports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter

from projections.insights import rows
from projections.ledger import view
from projections.ledger.model import (
    AccountList,
    BalanceHistory,
    CategoryList,
    CategorySpending,
    ImportProfileList,
    ImportView,
    NetWorth,
    RuleList,
)
from read_api.access import read_access

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
From = Annotated[date | None, QueryParameter(name="from")]
To = Annotated[date | None, QueryParameter(name="to")]
Interval = Literal["day", "week", "month"]
MAX_POINTS = 1000


@get(f"{WORKSPACE}/accounts")
async def list_accounts(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> AccountList:
    """Every account with its balance today (closed ones too, marked)."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        return AccountList(
            data=await view.list_accounts(conn, workspace_id, await rows.today(conn, workspace_id))
        )


@get(f"{WORKSPACE}/accounts/{{account_id:uuid}}/balance-history")
async def balance_history(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    from_date: From = None,
    to_date: To = None,
    interval: FromQuery[Interval] = "day",
) -> BalanceHistory:
    """The balance at the end of each day, week or month (the last 30 days by default)."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        today = await rows.today(conn, workspace_id)
        points = _points(from_date, to_date or today, interval, 30)
        found = await view.balance_history(conn, workspace_id, account_id, points)
    if found is None:
        raise NotFoundException("no such account")
    currency, history = found
    return BalanceHistory(
        account_id=account_id, currency=currency, interval=interval, history=history
    )


@get(f"{WORKSPACE}/net-worth")
async def net_worth(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    from_date: From = None,
    to_date: To = None,
    interval: FromQuery[Interval] = "month",
) -> NetWorth:
    """Assets minus liabilities in the workspace's base currency, converted at the latest rate
    on or before each date (each point lists the rates it used, and any currency without one);
    monthly over the last year by default."""
    await read_access(request, workspace_id, ("ledger", "workspaces"))
    async with request.app.state.pool.connection() as conn:
        today = await rows.today(conn, workspace_id)
        points = _points(from_date, to_date or today, interval, 365)
        base = await view.base_currency(conn, workspace_id)
        history = await view.net_worth(conn, workspace_id, base, points)
    return NetWorth(currency=base, current=history[-1], history=history)


@get(f"{WORKSPACE}/categories")
async def list_categories(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> CategoryList:
    """The system set and the workspace's own, top levels first (merged ones are gone)."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        return CategoryList(data=await view.list_categories(conn, workspace_id))


@get(f"{WORKSPACE}/rules")
async def list_rules(request: Request[Any, Any, State], workspace_id: FromPath[UUID]) -> RuleList:
    """Auto-categorization rules in the order they are asked; the first that matches applies."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        return RuleList(data=await view.list_rules(conn, workspace_id))


@get(f"{WORKSPACE}/import-profiles")
async def list_import_profiles(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> ImportProfileList:
    """Saved ways to read banks' CSV files, by name."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        return ImportProfileList(data=await view.list_import_profiles(conn, workspace_id))


@get(f"{WORKSPACE}/categories/{{category_id:uuid}}/spending")
async def category_spending(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    category_id: FromPath[UUID],
    from_date: From = None,
    to_date: To = None,
) -> CategorySpending:
    await read_access(request, workspace_id, ("ledger", "transactions"))
    async with request.app.state.pool.connection() as conn:
        spending = await view.category_spending(conn, workspace_id, category_id, from_date, to_date)
    if spending is None:
        raise NotFoundException("no such category")
    return spending


@get(f"{WORKSPACE}/imports/{{import_id:uuid}}")
async def get_import(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID], import_id: FromPath[UUID]
) -> ImportView:
    """What an import did: every skipped and rejected line with its reason."""
    await read_access(request, workspace_id, "ledger")
    async with request.app.state.pool.connection() as conn:
        found = await view.get_import(conn, workspace_id, import_id)
    if found is None:
        raise NotFoundException("no such import")
    return found


def _points(start: date | None, end: date, interval: str, default_days: int) -> list[date]:
    start = start or end - timedelta(days=default_days)
    if start > end:
        raise ValidationException(
            "from is after to", extra=[{"key": "from", "message": "must be on or before to"}]
        )
    points = view.points(start, end, interval)
    if len(points) > MAX_POINTS:
        raise ValidationException(
            f"at most {MAX_POINTS} points: shorten the range or widen the interval",
            extra=[{"key": "interval", "message": "too many points"}],
        )
    return points
