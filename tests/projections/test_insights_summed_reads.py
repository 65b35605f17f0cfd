"""What the faster reads give is what the lines gave: series from occurrences grouped once,
month sums in one pass, cash flow, trends and health from day totals; without a database."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import msgspec

from domain.ledger.merchants import series_name
from projections.insights import health, recurring, stats
from projections.insights.model import Line, Occurrence, SeriesPart
from projections.ledger.view import Conversion, Rates

WORKSPACE, CHECKING, CARD = uuid4(), uuid4(), uuid4()
FOOD, FUN = uuid4(), uuid4()
TODAY = date(2026, 6, 20)


def _occurrence(day: date, amount: str, merchant: str, account: UUID = CHECKING) -> Occurrence:
    return Occurrence(
        transaction_id=uuid4(),
        account_id=account,
        date=day,
        amount=Decimal(amount),
        currency="EUR",
        category_id=FUN,
        merchant=merchant,
        description=merchant,
    )


def _history() -> list[Occurrence]:
    """A subscription renamed half way and stopped, a weekly shop, noise, a zero amount."""
    found = []
    for month in range(24):
        day = date(2024 + month // 12, month % 12 + 1, 5)
        spelling = "NETFLIX.COM" if month < 12 else "Netflix"
        if month < 20:
            found.append(_occurrence(day, "-12.99" if month < 15 else "-15.99", spelling))
    for week in range(100):
        found.append(_occurrence(date(2024, 7, 6) + timedelta(weeks=week), "-61.50", "TESCO", CARD))
    for n in range(300):
        found.append(
            _occurrence(date(2024, 1, 1) + timedelta(days=n * 7 % 890), f"-{n % 40 + 3}", "CAFE")
        )
    found.append(_occurrence(date(2025, 5, 5), "0", "NETFLIX.COM"))
    return sorted(found, key=lambda o: (o.date, o.transaction_id))


def test_series_in_a_window_are_what_finding_them_among_that_windows_occurrences_gives() -> None:
    occurrences = _history()
    grouped = recurring.grouped(occurrences)
    for end in (date(2024, 9, 30), date(2025, 3, 31), date(2025, 12, 31), TODAY):
        start = end - timedelta(days=400)
        inside = [o for o in occurrences if start <= o.date <= end]
        expected = recurring.find_recurring(inside, WORKSPACE, end, {})
        found = recurring.series_in(grouped, WORKSPACE, end, {}, start, end)
        assert msgspec.json.encode(found) == msgspec.json.encode(expected)
    assert {s.merchant for s in recurring.find_recurring(occurrences, WORKSPACE, TODAY, {})} >= {
        "Netflix",  # the latest spelling
        "TESCO",
    }


def _parts(occurrences: list[Occurrence]) -> list[SeriesPart]:
    """What ``rows.series_parts`` returns, grouped here the way its SQL groups: by series
    name (None, and merchant and description, for the cafe's rows, as rows kept before
    series names were), account, sign and currency; zero amounts left out."""
    parts: dict[tuple[object, ...], SeriesPart] = {}
    for o in occurrences:
        if o.amount.is_zero():
            continue
        name = None if o.merchant == "CAFE" else series_name(o.merchant, o.description)
        old = (None, None) if name else (o.merchant, o.description)
        key = (name, *old, o.account_id, o.amount > 0, o.currency)
        part = parts.setdefault(
            key,
            SeriesPart(
                name=name,
                merchant=old[0],
                description=old[1],
                account_id=o.account_id,
                income=o.amount > 0,
                currency=o.currency,
                ids=[],
                dates=[],
                amounts=[],
                categories=[],
            ),
        )
        part.ids.append(o.transaction_id)
        part.dates.append(o.date)
        part.amounts.append(o.amount)
        part.categories.append(o.category_id)
    return list(parts.values())


def test_parts_grouped_by_the_database_give_the_series_the_occurrences_give() -> None:
    occurrences = _history()
    # Spellings that differ in case only are one merchant, merged from two parts.
    occurrences += [
        msgspec.structs.replace(
            o,
            transaction_id=uuid4(),
            merchant="tesco",
            description="tesco",
            date=o.date + timedelta(days=1),
        )
        for o in occurrences[-40:]
        if o.merchant == "TESCO"
    ]
    occurrences.sort(key=lambda o: (o.date, o.transaction_id))
    from_rows = recurring.from_parts(_parts(occurrences))
    grouped = recurring.grouped(occurrences)
    assert from_rows == grouped
    for end in (date(2025, 3, 31), TODAY):
        found = recurring.series_in(from_rows, WORKSPACE, end, {}, end - timedelta(days=400), end)
        assert found, "the test shows nothing"
        expected = [o for o in occurrences if end - timedelta(days=400) <= o.date <= end]
        assert msgspec.json.encode(found) == msgspec.json.encode(
            recurring.find_recurring(expected, WORKSPACE, end, {})
        )
    # Keeping some categories keeps their occurrences only.
    other = uuid4()
    tagged = [
        msgspec.structs.replace(o, category_id=other) if o.merchant == "TESCO" else o
        for o in occurrences
    ]
    assert recurring.grouped(tagged).only({other}) == recurring.grouped(
        [o for o in tagged if o.category_id == other]
    )


def _line(day: date, amount: str, currency: str = "EUR", **kind: object) -> Line:
    return Line(
        transaction_id=uuid4(),
        date=day,
        amount=Decimal(amount),
        currency=currency,
        category_id=kind.get("category", FOOD),  # type: ignore[arg-type]
        merchant="Shop",
        description="Shop",
        transfer=bool(kind.get("transfer", False)),
        investment=bool(kind.get("investment", False)),
    )


def _lines() -> list[Line]:
    found = []
    for n in range(400):
        day = date(2025, 6, 1) + timedelta(days=n % 380)
        currency = "USD" if n % 5 == 0 else "EUR"
        found.append(_line(day, f"-{n % 97 + 0.37:.2f}", currency, category=(FOOD, FUN)[n % 2]))
        if n % 30 == 0:
            found.append(_line(day, "2500.00"))
        if n % 45 == 0:
            found.append(_line(day, "-300.00", transfer=True))
            found.append(_line(day, "300.00", transfer=True, investment=True))
    found.append(_line(date(2025, 9, 9), "-7.00", "JPY"))  # no rate: left out and named
    return sorted(found, key=lambda line: (line.date, line.transaction_id))


def _day_totals(lines: list[Line], by_category: bool = False) -> list[Line]:
    """What ``rows.day_totals`` returns, summed here the way its SQL groups."""
    groups: dict[tuple[object, ...], list[Line]] = defaultdict(list)
    for line in lines:
        category = line.category_id if by_category else None
        sign = (line.amount > 0) - (line.amount < 0)
        groups[(line.date, line.currency, sign, category, line.transfer, line.investment)].append(
            line
        )
    return [
        msgspec.structs.replace(
            group[0],
            amount=sum((line.amount for line in group), Decimal(0)),
            category_id=key[3],
            merchant=None,
            description="",
        )
        for key, group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1]))
    ]


def _conversion() -> Conversion:
    rates = [
        {"currency": "USD", "quote": "EUR", "date": date(2025, 5, 1) + timedelta(days=d), "rate": r}
        for d, r in ((0, Decimal("0.9137")), (100, Decimal("0.8821")), (250, Decimal("0.9333")))
    ]
    return Conversion(Rates(rates), "EUR")


def test_month_sums_are_each_months_sums() -> None:
    lines = _lines()
    by_month = stats.month_sums(lines, _conversion())
    for first_day in stats.last_months(date(2026, 6, 1), 13):
        expected = stats.sums(lines, _conversion(), first_day, stats.month_end(first_day))
        found = by_month[first_day]
        assert found.figures() == expected.figures()


def test_cash_flow_trends_and_health_from_day_totals_are_what_the_lines_give() -> None:
    lines, months = _lines(), stats.last_months(date(2026, 6, 1), 13)

    def same(of: object, totals: object) -> None:
        assert msgspec.json.encode(of) == msgspec.json.encode(totals)

    same(
        stats.cash_flow(lines, _conversion(), months),
        stats.cash_flow(_day_totals(lines), _conversion(), months),
    )
    for interval in ("day", "week", "month", "year"):
        spans = stats.periods(date(2025, 6, 1), date(2026, 6, 15), interval)
        assert spans is not None
        names = {FOOD: "Food", FUN: "Fun"}
        same(
            stats.trends(lines, _conversion(), spans, interval, names),
            stats.trends(
                _day_totals(lines, by_category=True), _conversion(), spans, interval, names
            ),
        )
    ends = [stats.month_end(m) for m in health.complete_months(TODAY, 6)]

    def data(rows: list[Line]) -> health.HealthData:
        return health.HealthData(
            lines=rows,
            grouped=recurring.Grouped({}),
            balances=[],
            budget_periods=[],
            conversion=_conversion(),
            workspace_id=WORKSPACE,
        )

    same(
        health.health_history(data(lines), ends),
        health.health_history(data(_day_totals(lines)), ends),
    )
