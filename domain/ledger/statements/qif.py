"""QIF (Quicken Interchange Format): ``!Type:Bank`` records ending in ``^``."""

from __future__ import annotations

from domain.ledger.imports import StatementLine
from domain.ledger.statements.text import (
    StatementError,
    date_order,
    decode,
    parse_amount,
    parse_date,
)

# Sections holding transactions; !Account, !Type:Cat and the like describe, and are passed over.
_TRANSACTION_TYPES = ("!TYPE:BANK", "!TYPE:CASH", "!TYPE:CCARD", "!TYPE:OTH A", "!TYPE:OTH L")


def parse_qif(content: bytes) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    text = decode(content)
    records: list[tuple[int, dict[str, str]]] = []
    in_transactions = False
    record: dict[str, str] = {}
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            in_transactions = line.upper().replace(" ", "") in (
                t.replace(" ", "") for t in _TRANSACTION_TYPES
            )
            record = {}
            continue
        if line == "^":
            if in_transactions and record:
                records.append((start, record))
            record = {}
            continue
        if not record:
            start = number
        code, value = line[0].upper(), line[1:].strip()
        if code not in record:  # split lines (S, E, $) repeat; the first of each is kept
            record[code] = value
    if not records and text.strip() and not text.lstrip().startswith("!"):
        raise StatementError(1, "a QIF file starts with a !Type: header")
    order = date_order([fields.get("D", "").replace("'", "/") for _, fields in records])
    lines: list[StatementLine] = []
    rejected: list[tuple[int, str]] = []
    for number, fields in records:
        try:
            day = parse_date(fields.get("D", "").replace("'", "/"), order)
        except ValueError as error:
            rejected.append((number, f"D: {error}"))
            continue
        try:
            amount = parse_amount(fields.get("T") or fields.get("U") or "")
        except ValueError as error:
            rejected.append((number, f"T: {error}"))
            continue
        payee = fields.get("P") or None
        memo = fields.get("M") or None
        category = fields.get("L") or None
        if category and category.startswith("["):  # [Account]: a transfer, not a category
            category = None
        lines.append(
            StatementLine(
                line=number,
                date=day,
                amount=amount,
                description=payee or memo or "Transaction",
                merchant=payee,
                fitid=None,
                category=category,
                notes=memo if payee else None,
            )
        )
    return lines, rejected
