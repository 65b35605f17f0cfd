"""Tables of the ledger projection, and the queries the read API asks of them."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from domain.ledger.account import AccountType
from domain.money import in_minor_units, minor_units, money_text
from projections.ledger.model import (
    AccountView,
    BalancePoint,
    CategorySpending,
    CategoryView,
    CurrencySpending,
    ImportProfileView,
    ImportView,
    NetWorthPoint,
    RateUsed,
    RuleView,
)

TABLES = (
    """CREATE TABLE IF NOT EXISTS ledger_accounts (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        currency text NOT NULL,
        opening_balance numeric NOT NULL,
        closed boolean NOT NULL DEFAULT false,
        opened_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_accounts_by_workspace ON ledger_accounts (workspace_id)",
    # What each transaction adds to its account's day now, so a change can take it back.
    """CREATE TABLE IF NOT EXISTS ledger_transactions (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        date date NOT NULL,
        amount numeric NOT NULL,
        counted boolean NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_account_days (
        account_id uuid NOT NULL,
        date date NOT NULL,
        change numeric NOT NULL,
        PRIMARY KEY (account_id, date)
    )""",
    # What each event moved each account's balance by: account.balance_updated goes by it.
    """CREATE TABLE IF NOT EXISTS ledger_balance_moves (
        position bigint NOT NULL,
        account_id uuid NOT NULL,
        change numeric NOT NULL,
        PRIMARY KEY (position, account_id)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_valuations (
        account_id uuid NOT NULL,
        date date NOT NULL,
        value numeric NOT NULL,
        PRIMARY KEY (account_id, date)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_categories (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        parent_id uuid,
        slug text,
        archived boolean NOT NULL DEFAULT false,
        merged_into uuid
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_categories_by_workspace ON ledger_categories (workspace_id)",
    """CREATE TABLE IF NOT EXISTS ledger_rates (
        workspace_id uuid NOT NULL,
        currency text NOT NULL,
        quote text NOT NULL,
        date date NOT NULL,
        rate numeric NOT NULL,
        PRIMARY KEY (workspace_id, currency, quote, date)
    )""",
    """CREATE TABLE IF NOT EXISTS ledger_imports (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        account_id uuid NOT NULL,
        file_name text NOT NULL,
        format text NOT NULL,
        imported integer NOT NULL,
        skipped jsonb NOT NULL,
        rejected jsonb NOT NULL,
        actor_id uuid NOT NULL,
        created_at timestamptz NOT NULL
    )""",
    # Auto-categorization rules, each with its place in the order they are asked.
    """CREATE TABLE IF NOT EXISTS ledger_rules (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        ord integer NOT NULL,
        rule jsonb NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_rules_by_workspace ON ledger_rules (workspace_id, ord)",
    """CREATE TABLE IF NOT EXISTS ledger_import_profiles (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        settings jsonb NOT NULL
    )""",
)

Conn = psycopg.AsyncConnection[dict[str, Any]]


@dataclass
class _Account:
    row: dict[str, Any]
    days: list[date]
    running: list[Decimal]  # the sum of changes up to and including days[i]
    valuations: list[tuple[date, Decimal]]

    def balance_on(self, day: date) -> Decimal:
        """The last valuation on or before the day plus what moved after it; without one,
        the opening balance plus everything up to the day."""
        moved = self._moved_until(day)
        base, since = Decimal(self.row["opening_balance"]), Decimal(0)
        for valued_on, value in self.valuations:
            if valued_on <= day:
                base, since = value, self._moved_until(valued_on)
        return base + moved - since

    def _moved_until(self, day: date) -> Decimal:
        index = bisect_right(self.days, day)
        return self.running[index - 1] if index else Decimal(0)


async def _accounts(
    conn: Conn, workspace_id: UUID, account_id: UUID | None = None
) -> list[_Account]:
    rows = await (
        await conn.execute(
            "SELECT id, workspace_id, name, type, currency, opening_balance, closed, opened_at "
            "FROM ledger_accounts WHERE workspace_id = %s AND (%s::uuid IS NULL OR id = %s) "
            "ORDER BY name, id",
            (workspace_id, account_id, account_id),
        )
    ).fetchall()
    ids = [row["id"] for row in rows]
    days = await (
        await conn.execute(
            "SELECT account_id, date, sum(change) OVER (PARTITION BY account_id ORDER BY date) "
            "AS running FROM ledger_account_days WHERE account_id = ANY(%s) ORDER BY date",
            (ids,),
        )
    ).fetchall()
    valuations = await (
        await conn.execute(
            "SELECT account_id, date, value FROM ledger_valuations WHERE account_id = ANY(%s) "
            "ORDER BY date",
            (ids,),
        )
    ).fetchall()
    accounts = {row["id"]: _Account(row, [], [], []) for row in rows}
    for day in days:
        accounts[day["account_id"]].days.append(day["date"])
        accounts[day["account_id"]].running.append(day["running"])
    for valuation in valuations:
        accounts[valuation["account_id"]].valuations.append((valuation["date"], valuation["value"]))
    return list(accounts.values())


async def list_accounts(conn: Conn, workspace_id: UUID, today: date) -> list[AccountView]:
    return [
        AccountView(
            **{k: v for k, v in a.row.items() if k != "opening_balance"},
            opening_balance=money_text(a.row["opening_balance"], a.row["currency"]),
            balance=money_text(a.balance_on(today), a.row["currency"]),
        )
        for a in await _accounts(conn, workspace_id)
    ]


@dataclass(frozen=True)
class BalanceMove:
    account_id: UUID
    change: Decimal  # what the event moved the balance by
    balance: Decimal  # the balance today, now
    currency: str


async def balance_moves(conn: Conn, position: int) -> list[BalanceMove]:
    """What the event at this position moved accounts' balances by, and where they stand."""
    rows = await (
        await conn.execute(
            "SELECT m.account_id, m.change, a.workspace_id FROM ledger_balance_moves m "
            "JOIN ledger_accounts a ON a.id = m.account_id WHERE m.position = %s "
            "ORDER BY m.account_id",
            (position,),
        )
    ).fetchall()
    moves = []
    for row in rows:
        [account] = await _accounts(conn, row["workspace_id"], row["account_id"])
        currency = account.row["currency"]
        moves.append(
            BalanceMove(
                account_id=row["account_id"],
                # Written in minor units at least, every decimal an import kept: never rounded.
                change=in_minor_units(row["change"], currency),
                balance=in_minor_units(account.balance_on(date.today()), currency),
                currency=currency,
            )
        )
    return moves


async def balance_history(
    conn: Conn, workspace_id: UUID, account_id: UUID, points: list[date]
) -> tuple[str, list[BalancePoint]] | None:
    accounts = await _accounts(conn, workspace_id, account_id)
    if not accounts:
        return None
    [account] = accounts
    currency = account.row["currency"]
    history = [
        BalancePoint(date=day, balance=money_text(account.balance_on(day), currency))
        for day in points
    ]
    return currency, history


class Rates:
    """A workspace's rates; a conversion uses the latest rate on or before the day, recorded
    either way round (currency → quote, or quote → currency and inverted)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.pairs: dict[tuple[str, str], tuple[list[date], list[Decimal]]] = {}
        for row in rows:
            days, rates = self.pairs.setdefault((row["currency"], row["quote"]), ([], []))
            days.append(row["date"])
            rates.append(row["rate"])

    @classmethod
    async def load(cls, conn: Conn, workspace_id: UUID) -> Rates:
        rows = await (
            await conn.execute(
                "SELECT currency, quote, date, rate FROM ledger_rates WHERE workspace_id = %s "
                "ORDER BY date",
                (workspace_id,),
            )
        ).fetchall()
        return cls(rows)

    def find(self, currency: str, quote: str, day: date) -> tuple[Decimal, RateUsed] | None:
        """The latest rate on or before the day, whichever way round it was recorded (the
        direct one when both are of the same day)."""
        best: tuple[Decimal, RateUsed] | None = None
        for pair, invert in (((currency, quote), False), ((quote, currency), True)):
            days, rates = self.pairs.get(pair, ([], []))
            index = bisect_right(days, day)
            if index and (best is None or days[index - 1] > best[1].rate_date):
                rate = rates[index - 1]
                used = RateUsed(
                    currency=pair[0], quote=pair[1], rate=str(rate), rate_date=days[index - 1]
                )
                best = (1 / rate if invert else rate), used
        return best


ONE = Decimal(1)


class Conversion:
    """Amounts into one currency on given days; keeps the rates it used and the currencies it
    found no rate for, so an answer can say both. Each currency and day is looked up once (a
    lookup is two binary searches, and a report asks for every line's rate some ten times)."""

    def __init__(self, rates: Rates, base: str) -> None:
        self.rates = rates
        self.base = base
        self.used: dict[tuple[str, str, date], RateUsed] = {}
        self.unconverted: set[str] = set()
        self.found: dict[tuple[str, date], Decimal | None] = {}  # each currency and day once

    def rate(self, currency: str, day: date) -> Decimal | None:
        if currency == self.base:
            return ONE
        try:
            return self.found[(currency, day)]
        except KeyError:
            pass
        found = self.rates.find(currency, self.base, day)
        if found is None:
            self.unconverted.add(currency)
            self.found[(currency, day)] = None
            return None
        rate, used = found
        self.used[(used.currency, used.quote, used.rate_date)] = used
        self.found[(currency, day)] = rate
        return rate


def round_money(amount: Decimal, currency: str) -> Decimal:
    """For what a rate or a division made: a sum of amounts as recorded is never rounded."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_EVEN)


@dataclass
class BaseTotal:
    """A sum in the base currency. What was in it already counts exactly (an imported
    115.8331 stays 115.8331); what a rate converted is rounded to its minor units, once."""

    conversion: Conversion
    exact: Decimal = Decimal(0)
    converted: Decimal = Decimal(0)

    def add(self, amount: Decimal, currency: str, day: date) -> None:
        """Leaves out an amount no rate converts (``conversion.unconverted`` names them)."""
        if currency == self.conversion.base:
            self.exact += amount
            return
        rate = self.conversion.rate(currency, day)
        if rate is not None:
            self.converted += amount * rate

    @property
    def total(self) -> Decimal:
        base = self.conversion.base
        return in_minor_units(self.exact + round_money(self.converted, base), base)


async def base_currency(conn: Conn, workspace_id: UUID) -> str:
    row = await (
        await conn.execute("SELECT base_currency FROM workspaces WHERE id = %s", (workspace_id,))
    ).fetchone()
    return "EUR" if row is None else str(row["base_currency"])


async def net_worth(
    conn: Conn, workspace_id: UUID, base: str, points: list[date]
) -> list[NetWorthPoint]:
    accounts = await _accounts(conn, workspace_id)
    rates = await Rates.load(conn, workspace_id)
    result = []
    for day in points:
        conversion = Conversion(rates, base)
        owned, owed = BaseTotal(conversion), BaseTotal(conversion)
        for account in accounts:
            balance, currency = account.balance_on(day), account.row["currency"]
            if AccountType(account.row["type"]).is_liability:
                owed.add(-balance, currency, day)
            else:
                owned.add(balance, currency, day)
        assets, liabilities = owned.total, owed.total
        result.append(
            NetWorthPoint(
                date=day,
                assets=f"{assets:f}",
                liabilities=f"{liabilities:f}",
                net_worth=f"{in_minor_units(assets - liabilities, base):f}",
                rates=list(conversion.used.values()),
                unconverted=sorted(conversion.unconverted),
            )
        )
    return result


def points(start: date, end: date, interval: str) -> list[date]:
    """The last day of each interval from start to end, and the end itself."""
    days = []
    day = start
    while day < end:
        if interval == "day":
            days.append(day)
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(days=6)
            days.append(min(day, end))
            day += timedelta(days=1)
        else:
            next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            days.append(min(next_month - timedelta(days=1), end))
            day = next_month
    if not days or days[-1] != end:
        days.append(end)
    return days


async def list_categories(conn: Conn, workspace_id: UUID) -> list[CategoryView]:
    rows = await (
        await conn.execute(
            "SELECT id, name, parent_id, slug, slug IS NOT NULL AS system, archived, merged_into "
            "FROM ledger_categories WHERE workspace_id = %s AND merged_into IS NULL "
            "ORDER BY parent_id NULLS FIRST, name",
            (workspace_id,),
        )
    ).fetchall()
    return [CategoryView(**row) for row in rows]


async def list_rules(conn: Conn, workspace_id: UUID) -> list[RuleView]:
    rows = await (
        await conn.execute(
            "SELECT ord, rule FROM ledger_rules WHERE workspace_id = %s ORDER BY ord",
            (workspace_id,),
        )
    ).fetchall()
    return [msgspec.convert({**row["rule"], "order": row["ord"]}, RuleView) for row in rows]


async def list_import_profiles(conn: Conn, workspace_id: UUID) -> list[ImportProfileView]:
    rows = await (
        await conn.execute(
            "SELECT id, name, settings FROM ledger_import_profiles WHERE workspace_id = %s "
            "ORDER BY lower(name), id",
            (workspace_id,),
        )
    ).fetchall()
    return [ImportProfileView(**row) for row in rows]


async def category_spending(
    conn: Conn, workspace_id: UUID, category_id: UUID, start: date | None, end: date | None
) -> CategorySpending | None:
    """What went out and came in under a category and its subcategories; split parts count in
    their own category, transfers nowhere."""
    category = await (
        await conn.execute(
            "SELECT id, name FROM ledger_categories WHERE workspace_id = %s AND id = %s",
            (workspace_id, category_id),
        )
    ).fetchone()
    if category is None:
        return None
    rows = await (
        await conn.execute(
            "WITH wanted AS (SELECT id FROM ledger_categories WHERE workspace_id = %s "
            "  AND (id = %s OR parent_id = %s)), "
            "lines AS (SELECT t.currency, coalesce((s->>'amount')::numeric, t.amount) AS amount, "
            "  CASE WHEN s IS NULL THEN t.category_id ELSE (s->>'category_id')::uuid END AS cat "
            "  FROM transactions t LEFT JOIN LATERAL jsonb_array_elements(t.splits) s ON true "
            "  WHERE t.workspace_id = %s AND NOT t.deleted AND t.transfer_id IS NULL "
            "  AND (%s::date IS NULL OR t.date >= %s) AND (%s::date IS NULL OR t.date <= %s)) "
            "SELECT currency, (-sum(amount) FILTER (WHERE amount < 0)) AS expenses, "
            "sum(amount) FILTER (WHERE amount > 0) AS income, count(*) AS n "
            "FROM lines WHERE cat IN (SELECT id FROM wanted) GROUP BY currency ORDER BY currency",
            (workspace_id, category_id, category_id, workspace_id, start, start, end, end),
        )
    ).fetchall()
    return CategorySpending(
        category_id=category["id"],
        name=category["name"],
        from_date=start,
        to_date=end,
        totals=[
            CurrencySpending(
                currency=row["currency"],
                expenses=str(row["expenses"] or Decimal(0)),
                income=str(row["income"] or Decimal(0)),
                transaction_count=row["n"],
            )
            for row in rows
        ],
    )


async def get_import(conn: Conn, workspace_id: UUID, import_id: UUID) -> ImportView | None:
    row = await (
        await conn.execute(
            "SELECT id, workspace_id, account_id, file_name, format, imported, skipped, "
            "rejected, jsonb_array_length(skipped) AS skipped_duplicates, "
            "jsonb_array_length(rejected) AS rejected_rows, actor_id, created_at "
            "FROM ledger_imports WHERE workspace_id = %s AND id = %s",
            (workspace_id, import_id),
        )
    ).fetchone()
    return None if row is None else msgspec.convert(row, ImportView)
