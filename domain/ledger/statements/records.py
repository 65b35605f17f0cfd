"""JSON statements: a list of transaction objects (ours, as exported, or another app's), read
by the same column names as a CSV."""

from __future__ import annotations

import json
from typing import Any

from domain.ledger.imports import StatementLine
from domain.ledger.statements.delimited import CsvProfile, parse_table
from domain.ledger.statements.text import StatementError, decode


def parse_json(
    content: bytes, profile: CsvProfile
) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    """Each object is a row; its line is its place in the list plus one (the header's)."""
    try:
        data = json.loads(decode(content).lstrip("\ufeff"))
    except ValueError as error:
        raise StatementError(getattr(error, "lineno", 1), f"not JSON: {error}") from None
    except RecursionError:
        raise StatementError(1, "not JSON: it is nested too deeply") from None
    records = data.get("data") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise StatementError(1, 'expected a list of transaction objects (or {"data": [...]})')
    if not records:
        raise StatementError(1, "the file is empty")
    header = list(dict.fromkeys(key for record in records for key in record))
    rows = [header, *([_cell(record.get(key)) for key in header] for record in records)]
    return parse_table(rows, profile)


def _cell(value: Any) -> str:
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value if not isinstance(item, dict | list))
    return str(value)
