"""OFX 1.x (SGML, closing tags optional), OFX 2.x (XML) and QFX: bank and card statements.

A small tolerant reader rather than ofxparse/ofxtools: those refuse or drop lines real banks
send (an empty NAME, a missing FITID, a bad date in one transaction), where an import should
keep the good lines and say why each bad one was refused.
"""

from __future__ import annotations

import html
import re
from datetime import date, time

from domain.ledger.imports import StatementLine
from domain.ledger.statements.text import StatementError, decode, parse_amount

_TAG = re.compile(r"<(/?)([A-Za-z0-9.]+)>([^<]*)")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_CHARSET = re.compile(rb"CHARSET:\s*(\S+)|encoding=\"([^\"]+)\"", re.IGNORECASE)


def parse_ofx(content: bytes) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    text = _CDATA.sub(lambda m: html.escape(m.group(1)), decode(content, _charset(content)))
    start = text.upper().find("<OFX>")
    if start < 0:
        raise StatementError(1, "no <OFX> element: not an OFX file")
    offset_line = text.count("\n", 0, start) + 1
    lines: list[StatementLine] = []
    rejected: list[tuple[int, str]] = []
    currency: str | None = None
    transaction: dict[str, str] | None = None
    transaction_line = 0
    seen_statement = False
    line_number, counted_to = offset_line, start
    for match in _TAG.finditer(text, start):
        closing, name, value = match.group(1), match.group(2).upper(), match.group(3).strip()
        # Counted on from the tag before: counting from the start each time took minutes
        # for a file of many tags.
        line_number += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        if closing:
            if name == "STMTTRN" and transaction is not None:
                _finish(transaction, transaction_line, currency, lines, rejected)
                transaction = None
            continue
        if name in ("STMTRS", "CCSTMTRS", "INVSTMTRS"):
            seen_statement = True
        elif name == "CURDEF":
            currency = value.upper() or None
        elif name in ("BUYSTOCK", "SELLSTOCK", "BUYMF", "SELLMF", "REINVEST", "INCOME"):
            rejected.append(
                (
                    line_number,
                    "an investment trade, not a bank transaction: record the "
                    "holding's value as an account valuation",
                )
            )
        elif name == "STMTTRN":
            if transaction is not None:  # SGML: the previous one was never closed
                _finish(transaction, transaction_line, currency, lines, rejected)
            transaction, transaction_line = {}, line_number
        elif transaction is not None and name not in transaction:
            transaction[name] = _unescape(value)
    if transaction is not None:
        _finish(transaction, transaction_line, currency, lines, rejected)
    if not seen_statement:
        raise StatementError(offset_line, "the OFX file holds no statement (STMTRS)")
    return lines, rejected


def _finish(
    fields: dict[str, str],
    line: int,
    currency: str | None,
    lines: list[StatementLine],
    rejected: list[tuple[int, str]],
) -> None:
    raw_date = fields.get("DTPOSTED") or fields.get("DTUSER") or ""
    try:
        posted = _date(raw_date)
    except ValueError as error:
        rejected.append((line, f"DTPOSTED: {error}"))
        return
    try:
        # OFX writes no thousands separators, so a comma can only be a decimal comma.
        amount = parse_amount(fields.get("TRNAMT", "").replace(",", "."))
    except ValueError as error:
        rejected.append((line, f"TRNAMT: {error}"))
        return
    name = " ".join(fields.get("NAME", "").split()) or None
    if name and name.isdigit():  # "000000000000000": a bank's placeholder, not a name
        name = None
    memo = " ".join(fields.get("MEMO", "").split()) or None
    description = name or memo or fields.get("TRNTYPE", "").title() or "Transaction"
    if fields.get("CHECKNUM") and not name:
        description = f"Check {fields['CHECKNUM']}"
    own_currency = fields.get("CURSYM") or fields.get("CURRENCY") or currency
    lines.append(
        StatementLine(
            line=line,
            date=posted,
            amount=amount,
            description=description,
            merchant=name,
            fitid=fields.get("FITID") or None,
            notes=memo if memo != description else None,
            currency=own_currency.upper() if own_currency and own_currency.isalpha() else None,
            time=_time(raw_date),
        )
    )


def _date(raw: str) -> date:
    """``20180507``, ``20180608000000.000[-4:EDT]``: the day as the bank gave it."""
    digits = raw.strip()[:8]
    if not re.fullmatch(r"\d{8}", digits):
        raise ValueError(f"{raw.strip()!r} is not a date" if raw.strip() else "missing date")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a date") from None


# Midnight and noon to the second are what banks and money apps write for "the day only"
# (noon keeps the day the same in every zone); a real posting at either is rare.
_PLACEHOLDER_TIMES = (time(0), time(12))


def _time(raw: str) -> time | None:
    """``20180608224510.000[-4:EDT]``: 22:45:10 as the bank's wall clock (the zone is not
    applied: the time is the account holder's local one). A date alone, an impossible time
    or a placeholder is no time."""
    match = re.match(r"\d{8}(\d{2})(\d{2})(\d{2})?", raw.strip())
    if match is None:
        return None
    try:
        found = time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    except ValueError:
        return None
    return None if found in _PLACEHOLDER_TIMES else found


def _unescape(value: str) -> str:
    """Entities, also where a bank escaped them twice (``&amp;lt;``)."""
    for _ in range(2):
        value = html.unescape(value)
    return value


def _charset(content: bytes) -> str | None:
    match = _CHARSET.search(content[:1024])
    if match is None:
        return None
    charset = (match.group(1) or match.group(2)).decode("ascii", "replace")
    return {"1252": "cp1252", "8859-1": "latin-1", "ISO-8859-1": "latin-1"}.get(
        charset.upper(), None if charset.upper() == "NONE" else charset
    )
