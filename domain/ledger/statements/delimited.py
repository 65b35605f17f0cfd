"""CSV statements: delimiter, encoding, decimal comma, date order and columns found from the
file itself, or named by a saved column-mapping profile."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from domain.ledger.imports import StatementLine
from domain.ledger.statements.text import (
    StatementError,
    date_order,
    decode,
    parse_amount,
    parse_date,
    parse_time,
    time_after_date,
)

# Header names (case-folded) banks use, in many languages; the first present wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "booking date",
        "transaction date",
        "posted date",
        "posting date",
        "buchungstag",
        "datum",
        "fecha",
        "könyvelés dátuma",
        "date operation",
        "value date",
    ),
    # "Time Zone" is not a time: only these names, or "time (…)".
    "time": (
        "time",
        "transaction time",
        "posting time",
        "posted time",
        "booking time",
        "buchungszeit",
        "uhrzeit",
        "hora",
        "heure",
        "időpont",
    ),
    "amount": ("amount", "net", "amount (eur)", "betrag", "összeg", "importe", "montant", "value"),
    "debit": ("withdrawal", "debit amount", "debit", "withdrawals", "outflow", "soll"),
    "credit": ("deposit", "credit amount", "credit", "deposits", "inflow", "haben"),
    "description": (
        "description",
        "desc",
        "reason",
        "payment reference",
        "buchungstext",
        "memo",
        "details",
        "közlemény",
        "libellé",
        "concepto",
    ),
    "payee": (
        "payee",
        "merchant name",
        "merchant",
        "name",
        "partner name",
        "auftraggeber/empfänger",
        "partner név",
        "counterparty",
    ),
    "category": ("category", "class", "kategorie", "kategória", "categoría"),
    "subcategory": ("subcategory", "sub-category"),
    "notes": ("notes", "note", "comments", "comment", "megjegyzés"),
    "currency": ("currency", "währung", "devizanem", "curr"),
    "id": ("transaction id", "fitid", "tranzakcióazonosító", "reference id", "id"),
    "direction": ("transaction type", "credit/debit", "cr/dr"),
    "tags": ("tags", "tag", "labels", "label"),
}


@dataclass(frozen=True)
class CsvProfile:
    """How to read a CSV; anything left ``None`` is found from the file.

    Column fields name a header (or a 1-based column number when the file has no header).
    ``invert`` flips signs, for card statements that write purchases as positive.
    """

    delimiter: str | None = None
    encoding: str | None = None
    decimal_comma: bool | None = None
    date_order: str | None = None  # "dmy", "mdy" or "ymd"
    has_header: bool = True
    date: str | None = None
    time: str | None = None  # else a time column found by name, else the date cell's time
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    description: str | None = None
    payee: str | None = None
    category: str | None = None
    subcategory: str | None = None
    notes: str | None = None
    currency: str | None = None
    id: str | None = None
    direction: str | None = None
    tags: str | None = None
    invert: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> CsvProfile:
        """Settings as a client sends them (or a saved profile keeps them), checked."""
        try:
            profile = cls(**settings)
        except TypeError as error:
            raise StatementError(1, f"not a CSV profile: {error}") from None
        if profile.delimiter is not None and len(profile.delimiter) != 1:
            raise StatementError(1, "the profile's delimiter is one character")
        if profile.encoding is not None:
            try:
                codecs.lookup(profile.encoding)
            except LookupError:
                raise StatementError(1, f"the encoding {profile.encoding!r} is unknown") from None
        if profile.date_order not in (None, "dmy", "mdy", "ymd"):
            raise StatementError(1, "the date order is dmy, mdy or ymd")
        return profile


COLUMNS = tuple(f.name for f in fields(CsvProfile) if f.name in SYNONYMS)


def parse_csv(
    content: bytes, profile: CsvProfile
) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    try:
        text = (
            content.decode(profile.encoding, errors="replace")
            if profile.encoding
            else decode(content)
        )
    except LookupError:
        raise StatementError(1, f"the profile's encoding {profile.encoding!r} is unknown") from None
    if profile.delimiter is not None and len(profile.delimiter) != 1:
        raise StatementError(1, "the profile's delimiter is one character")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise StatementError(1, "binary data: not a CSV file")
    delimiter = profile.delimiter or _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return parse_table(_rows(reader), profile)


def _rows(reader: Any) -> Iterator[list[str]]:
    """The reader's rows, read as the table is (not all kept first, then copied)."""
    try:
        yield from reader
    except csv.Error as error:  # a cell over the csv module's 128 KB, an unclosed quote
        raise StatementError(reader.line_num, f"not a readable CSV ({error})") from None


def parse_table(
    rows: Iterable[list[str]], profile: CsvProfile
) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    """Rows of cells, the first a header unless the profile says not: a CSV's, a spreadsheet's
    or a JSON export's."""
    numbered = [(n, [_uncell(cell) for cell in row]) for n, row in enumerate(rows, 1)]
    numbered = [(n, row) for n, row in numbered if any(row)]
    if not numbered:
        raise StatementError(1, "the file is empty")
    if profile.has_header:
        header_line, header = numbered[0]
        body = numbered[1:]
    else:
        header_line, header = 0, [str(i) for i in range(1, len(numbered[0][1]) + 1)]
        body = numbered
    numbered = []
    columns = _columns(header, profile, header_line)
    order = profile.date_order or date_order([_cell(row, columns["date"]) for _, row in body])
    amounts = (_cell(row, columns[c]) for _, row in body for c in ("amount", "debit", "credit"))
    comma = profile.decimal_comma
    if comma is None:
        comma = _decimal_comma(amounts)
    lines: list[StatementLine] = []
    rejected: list[tuple[int, str]] = []
    # Taken from the end, each row is let go once its line is made: a big file's rows and
    # lines are not all in memory at once.
    body.reverse()
    while body:
        number, row = body.pop()
        try:
            lines.append(_line(number, row, columns, order, comma, profile.invert))
        except ValueError as error:
            rejected.append((number, str(error)))
    return lines, rejected


def _line(
    number: int,
    row: list[str],
    columns: dict[str, int | None],
    order: str,
    comma: bool,
    invert: bool,
) -> StatementLine:
    def cell(name: str) -> str:
        return _cell(row, columns.get(name))

    try:
        day = parse_date(cell("date"), order)
    except ValueError as error:
        raise ValueError(f"date: {error}") from None
    try:
        at = parse_time(cell("time")) if cell("time") else time_after_date(cell("date"))
    except ValueError as error:
        raise ValueError(f"time: {error}") from None
    try:
        if columns.get("amount") is not None and cell("amount"):
            amount = parse_amount(cell("amount"), comma)
        else:
            out = parse_amount(cell("debit"), comma) if cell("debit") else Decimal(0)
            into = parse_amount(cell("credit"), comma) if cell("credit") else Decimal(0)
            if not cell("debit") and not cell("credit"):
                raise ValueError("no amount")
            amount = into - abs(out)
    except ValueError as error:
        raise ValueError(f"amount: {error}") from None
    direction = cell("direction").casefold()
    if direction in ("debit", "dr", "d") and amount > 0:
        amount = -amount
    if invert:
        amount = -amount
    payee = cell("payee") or None
    description = cell("description") or payee or "Transaction"
    category = cell("category") or None
    if category and cell("subcategory"):
        category = f"{category}:{cell('subcategory')}"
    currency = cell("currency").upper() or None
    return StatementLine(
        line=number,
        date=day,
        amount=amount,
        description=" ".join(description.split()),
        merchant=payee,
        fitid=cell("id") or None,
        category=category,
        notes=cell("notes") or None,
        currency=currency if currency and len(currency) == 3 and currency.isalpha() else None,
        tags=tuple(dict.fromkeys(tag.strip() for tag in cell("tags").split(",") if tag.strip())),
        time=at,
    )


def _columns(header: list[str], profile: CsvProfile, line: int) -> dict[str, int | None]:
    names = [h.strip().casefold() for h in header]
    columns: dict[str, int | None] = {}
    for column in COLUMNS:
        wanted = getattr(profile, column)
        if wanted is not None:
            key = wanted.strip().casefold()
            if key in names:
                columns[column] = names.index(key)
            elif key.isdigit() and 1 <= int(key) <= len(names):
                columns[column] = int(key) - 1
            else:
                raise StatementError(line, f"the profile's {column} column {wanted!r} is not here")
            continue
        columns[column] = next(
            (names.index(s) for s in SYNONYMS[column] if s in names),
            next((i for i, n in enumerate(names) if n.startswith(f"{column} (")), None),
        )
    # A column found for one role is not another's ("name" as payee and as description).
    if columns.get("description") is not None and columns["description"] == columns.get("payee"):
        columns["payee"] = None
    if columns["date"] is None:
        raise StatementError(line, f"no date column among {header}; name it in a profile")
    if columns["amount"] is None and columns["debit"] is None and columns["credit"] is None:
        raise StatementError(line, f"no amount column among {header}; name it in a profile")
    return columns


def _uncell(cell: str) -> str:
    """An export writes ``'=…`` so a spreadsheet does not run it; the quote is not the text."""
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _delimiter(text: str) -> str:
    sample = "\n".join(line[:4096] for line in text[:1_000_000].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=header.count)


def _decimal_comma(amounts: Iterable[str]) -> bool:
    """``-98,76`` or ``1.234,56`` say decimal comma; ``1,000.00`` or ``2.83`` say point."""
    for value in amounts:
        if _COMMA_DECIMALS.search(value):
            return True
        if _POINT_DECIMALS.search(value):
            return False
    return False


_COMMA_DECIMALS = re.compile(r",\d{1,2}\)?$")
_POINT_DECIMALS = re.compile(r"\.\d{1,2}\)?$")
