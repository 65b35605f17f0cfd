"""Recurring series read through ``rows.series`` (groups too dense to recur left in the
database) are the series every occurrence gives, in every window asked about; anomalies
from a history the database added up are those of every line."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID, uuid4

import msgspec
import psycopg

from domain.ledger.merchants import series_name
from infra import database
from infra.settings import Settings
from projections.insights import anomalies, recurring, rows
from projections.insights.model import Anomalies
from projections.ledger import view as ledger_view
from projections.ledger.view import Conversion, Rates
from projections.transactions import view
from read_api.reading import Reading

WORKSPACE, CHECKING, CARD = uuid4(), uuid4(), uuid4()
END = date(2026, 6, 30)
START = END - timedelta(days=recurring.HISTORY_DAYS + 365)


def _history() -> list[tuple[date, str, str, UUID]]:
    """(date, amount, merchant, account): a subscription whose two spellings are one
    merchant (one spelling twice in two days: dense on its own, not merged), a shop visited
    twice a day for 300 days and then monthly, weekly groceries, a salary, and daily noise."""
    pick = random.Random(7)
    found = []
    for month in range(30):
        day = date(2024 + month // 12, month % 12 + 1, 3)
        found.append((day, "-9.99", "SPOTIFY" if month % 2 else "Spotify", CARD))
        found.append((day, "3100.00", "ACME PAYROLL", CHECKING))
    found += [
        (date(2025, 2, 4), "-9.99", "SPOTIFY", CARD),
        (date(2025, 2, 5), "-9.99", "SPOTIFY", CARD),
    ]
    for n in range(600):  # twice a day: too dense to recur over the whole four years
        day = date(2022, 7, 1) + timedelta(days=n // 2)
        found.append((day, f"-{pick.randint(3, 9)}.50", "KIOSK", CARD))
    for month in range(36):
        day = date(2023 + (month + 7) // 12, (month + 7) % 12 + 1, 15)
        found.append((day, "-20.00", "KIOSK", CARD))
    for week in range(120):
        found.append(
            (
                date(2024, 1, 6) + timedelta(weeks=week),
                f"-{pick.randint(60, 70)}.00",
                "TESCO",
                CHECKING,
            )
        )
    for _ in range(2_000):
        day = START + timedelta(days=pick.randrange((END - START).days))
        found.append(
            (day, f"-{pick.randint(2, 90)}.00", pick.choice(["CAFE", "BAR", "TAXI"]), CARD)
        )
    return found


async def _write(conn: psycopg.AsyncConnection[dict[str, object]], unnamed: bool) -> None:
    for statement in view.TABLES:
        await conn.execute(statement)
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO transactions (id, workspace_id, account_id, date, amount, currency, "
            "description, merchant, series_name, tags, version, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, 'EUR', %s, %s, %s, '{}', 1, now(), now())",
            [
                (
                    uuid4(),
                    WORKSPACE,
                    account,
                    day,
                    amount,
                    merchant,
                    merchant,
                    None if unnamed and merchant == "BAR" else series_name(merchant, merchant),
                )
                for day, amount, merchant, account in _history()
            ],
        )


async def _compare(settings: Settings, unnamed: bool) -> list[str]:
    """Each window's series both ways; the merchants found in the last window."""
    database.create_schema(settings)
    async with await psycopg.AsyncConnection.connect(
        settings.database, autocommit=True, **database.connection_kwargs(settings)
    ) as conn:
        await _write(conn, unnamed)
        every = recurring.from_parts(await rows.series_parts(conn, WORKSPACE, START, END))
        ends = [date(2025, month, 28) for month in range(1, 13)] + [END]
        history = timedelta(days=recurring.HISTORY_DAYS)
        windows = [(end - history, end) for end in ends]
        read = await rows.series(conn, WORKSPACE, START, END, windows)
        for low, high in windows:
            expected = recurring.series_in(every, WORKSPACE, high, {}, low, high)
            found = recurring.series_in(read, WORKSPACE, high, {}, low, high)
            assert msgspec.json.encode(found) == msgspec.json.encode(expected), high
        alone = await rows.series(conn, WORKSPACE, END - history, END)
        assert msgspec.json.encode(recurring.series_in(alone, WORKSPACE, END, {})) == (
            msgspec.json.encode(recurring.series_in(every, WORKSPACE, END, {}, END - history, END))
        )
        last = recurring.series_in(read, WORKSPACE, END, {}, END - history, END)
        return sorted(s.merchant for s in last)


def test_series_read_without_dense_groups_are_the_series_of_every_occurrence(
    own_schema: Settings,
) -> None:
    found = asyncio.run(_compare(own_schema, unnamed=False))
    # The kiosk's monthly years are a series once its daily days are out of the window;
    # the subscription's spellings are one series.
    assert found == ["ACME PAYROLL", "KIOSK", "SPOTIFY", "TESCO"]


def test_rows_kept_before_series_names_are_read_whole(own_schema: Settings) -> None:
    assert asyncio.run(_compare(own_schema, unnamed=True)) == [
        "ACME PAYROLL",
        "KIOSK",
        "SPOTIFY",
        "TESCO",
    ]


def test_a_group_recurs_only_when_its_dates_span_three_days_a_gap() -> None:
    day = date(2026, 1, 1)
    assert recurring.could_recur(3, day, day + timedelta(days=6))
    assert not recurring.could_recur(3, day, day + timedelta(days=5))
    assert not recurring.could_recur(1, day, day)
    # Over windows that share a stretch: n counts what is in that stretch.
    assert recurring.could_recur(30, day, day + timedelta(days=9), inside=4)
    assert not recurring.could_recur(30, day, day + timedelta(days=8), inside=4)


async def _aside_with_one_connection(settings: Settings) -> tuple[bool, bool]:
    """Whether a reading's aside ran on its own connection, with a pool of one and of two."""
    answers = []
    for size in (1, 2):
        pool = database.async_pool(settings, max_size=size)
        await pool.open()
        try:
            async with pool.connection() as conn:
                request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(pool=pool)))
                reading = Reading(request, conn, WORKSPACE)  # type: ignore[arg-type]
                reading.today, reading.week_start, reading.position = END, "MONDAY", 0

                async def same(other: Reading, reading: Reading = reading) -> bool:
                    await other.conn.execute("SELECT 1")
                    return other.conn is reading.conn

                answers.append(await asyncio.wait_for(reading.aside(same), 5))
        finally:
            await pool.close()
    return answers[0], answers[1]


def test_a_reading_with_no_connection_to_spare_reads_aside_on_its_own(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    # No deadlock when the pool is spent: the aside read waits for the reading's connection.
    assert asyncio.run(_aside_with_one_connection(own_schema)) == (True, False)


async def _anomalies_both_ways(settings: Settings) -> tuple[Anomalies, Anomalies]:
    """This month's anomalies from every line, and from the base currency's history added up
    by the database beside the other currencies' lines."""
    database.create_schema(settings)
    pick = random.Random(3)
    fun, food = uuid4(), uuid4()
    first, last = date(2026, 6, 1), date(2026, 6, 30)
    rows_ = []
    for n in range(400):
        day = first - timedelta(days=200) + timedelta(days=n % 229)
        currency = "USD" if n % 9 == 0 else "EUR"
        amount = f"-{pick.randint(20, 60)}.{pick.randint(0, 99):02d}"
        rows_.append((day, amount, currency, pick.choice([fun, food, None]), None, "[]"))
    rows_.append((date(2026, 6, 12), "-900.00", "EUR", fun, None, "[]"))  # planted
    rows_.append((date(2026, 6, 14), "-700.00", "USD", food, None, "[]"))  # planted, dollars
    rows_.append((date(2026, 5, 3), "-5000.00", "EUR", fun, uuid4(), "[]"))  # a transfer
    parts = json.dumps(
        [
            {"amount": "-30.00", "category_id": str(fun)},
            {"amount": "-800.00", "category_id": str(food)},
        ]
    )
    rows_.append((date(2026, 6, 20), "-830.00", "EUR", None, None, parts))  # split
    async with await psycopg.AsyncConnection.connect(
        settings.database, autocommit=True, **database.connection_kwargs(settings)
    ) as conn:
        for statement in (*view.TABLES, *ledger_view.TABLES):
            await conn.execute(statement)
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO transactions (id, workspace_id, account_id, date, amount, currency, "
                "description, category_id, transfer_id, splits, series_name, tags, version, "
                "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, 'x', %s, %s, %s, 'x', "
                "'{}', 1, now(), now())",
                [(uuid4(), WORKSPACE, CARD, *row) for row in rows_],
            )
        rates = [
            {"currency": "USD", "quote": "EUR", "date": date(2025, 1, 1), "rate": Decimal("0.9137")}
        ]
        start = first - timedelta(days=anomalies.WINDOW_DAYS)
        every = await rows.lines(conn, WORKSPACE, start, last)
        expected = anomalies.find_anomalies(
            every, Conversion(Rates(rates), "EUR"), first, last, Decimal(3), {}
        )
        before = first - timedelta(days=1)
        foreign = await rows.lines(conn, WORKSPACE, start, before, other_than="EUR")
        summed = await rows.expense_days(conn, WORKSPACE, start, before, "EUR")
        month = await rows.lines(conn, WORKSPACE, first, last)
        found = anomalies.find_anomalies(
            foreign + month, Conversion(Rates(rates), "EUR"), first, last, Decimal(3), {}, summed
        )
        assert len(summed) < len([line for line in every if line.date < first])
        return expected, found


def test_anomalies_from_history_added_up_by_the_database_are_those_of_every_line(
    own_schema: Settings,
) -> None:
    expected, found = asyncio.run(_anomalies_both_ways(own_schema))
    assert msgspec.json.encode(found) == msgspec.json.encode(expected)
    assert [a.amount for a in found.data] == ["900.00", "639.59", "800.00"]
