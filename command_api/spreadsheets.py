"""Statement files into statement lines, spreadsheets included: the domain's parsers take
text formats, and a workbook's first sheet is read here into rows for them."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from domain.ledger.statements import (
    CsvProfile,
    Statement,
    StatementError,
    detect_format,
    parse,
    parse_table,
)

# A workbook is a zip: what it unpacks to is bounded, not only what was uploaded.
MAX_UNPACKED_BYTES = 200 * 1_048_576


def read_statement(
    content: bytes, format: str | None, file_name: str, profile: CsvProfile | None
) -> Statement:
    format = format or detect_format(content, file_name)
    if format != "xlsx":
        return parse(content, format, file_name, profile)
    lines, rejected = parse_table(sheet_rows(content), profile or CsvProfile())
    return Statement("xlsx", lines, rejected)


def sheet_rows(content: bytes) -> list[list[str]]:
    """The first sheet's rows as text: dates in ISO form, numbers exactly as stored."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise StatementError(1, f"the workbook unpacks to over {MAX_UNPACKED_BYTES} bytes")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [[_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, IndexError):
        raise StatementError(1, "not a readable .xlsx workbook") from None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format(Decimal(repr(value)), "f")
    return str(value)
