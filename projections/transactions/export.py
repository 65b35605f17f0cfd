"""Transactions written out as CSV, JSON or XLSX, in columns an import reads back."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

HEADER = (
    *("date", "time", "amount", "currency", "description", "merchant", "category", "tags"),
    "notes",
    *("account", "account_id", "id"),
)
# A spreadsheet runs a cell that starts like a formula; exported text never starts so.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT = ("description", "merchant", "category", "notes", "account")


def csv_cells(row: dict[str, Any]) -> list[str]:
    cells = {
        **row,
        "date": row["date"].isoformat(),
        "time": None if row["time"] is None else row["time"].isoformat(),
        "tags": ", ".join(row["tags"]),
        **{name: _inert(row[name]) for name in TEXT},
    }
    return ["" if cells[name] is None else str(cells[name]) for name in HEADER]


async def csv_chunks(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM tells spreadsheets it is UTF-8
    async for batch in _batches(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_cells(row) for row in batch)
        yield buffer.getvalue().encode()


async def json_chunks(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """One JSON array, an object per transaction, with its split parts."""
    yield b"["
    first = True
    async for batch in _batches(rows):
        objects = b",".join(msgspec.json.encode(_json_object(row)) for row in batch)
        yield objects if first else b"," + objects
        first = False
    yield b"]"


def xlsx_file(rows: Iterable[dict[str, Any]]) -> bytes:
    """A workbook is a zip with its index at the end, so it is written whole (write-only mode
    keeps each row as little as it can), then sent."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Transactions")
    sheet.append(HEADER)
    for row in rows:
        cells = []
        for name in HEADER:
            value = _xlsx_value(name, row)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it looks like a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(name: str, row: dict[str, Any]) -> Any:
    value = row[name]
    if name == "amount":
        return Decimal(value)
    if name == "tags":
        return ", ".join(value)
    if name == "time" and value is not None:
        # Text: a spreadsheet's time is a fraction of a day, which may not read back exact.
        return value.isoformat()
    if name in ("account_id", "id"):
        return str(value)
    return value


def _json_object(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in HEADER} | {"splits": row["splits"]}


def _inert(text: str | None) -> str | None:
    return "'" + text if text and text.startswith(FORMULA_START) else text


async def _batches(
    rows: AsyncIterator[dict[str, Any]], size: int = 500
) -> AsyncIterator[list[Any]]:
    batch: list[Any] = []
    async for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
