"""What every statement parser needs: decoding, amounts, dates, times and its one error."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation


class StatementError(Exception):
    """The file is not a statement of its format; ``line`` says where reading stopped."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def decode(content: bytes, declared: str | None = None) -> str:
    """UTF-8 (with or without BOM), else the declared charset, else Windows-1252."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for charset in (declared, "cp1252"):
        if charset:
            try:
                return content.decode(charset)
            except (UnicodeDecodeError, LookupError):
                continue
    return content.decode("latin-1")


_CURRENCY_NOISE = re.compile(r"[\s$€£¥]|[A-Z]{3}$|^[A-Z]{3}")


def parse_amount(raw: str, decimal_comma: bool = False) -> Decimal:
    """``-1,234.56``, ``1.234,56`` (decimal comma), ``$120.00``, ``(45.00)`` for negative."""
    text = _CURRENCY_NOISE.sub("", raw.strip().upper())
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if text.endswith("-"):  # trailing minus, as some banks write it
        negative, text = True, text[:-1]
    if decimal_comma:
        text = text.replace(".", "").replace("'", "").replace(",", ".")
    else:
        text = text.replace(",", "").replace("'", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueError(f"{raw.strip()!r} is not an amount")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{raw.strip()!r} is not an amount") from None
    return -value if negative else value


_DATE_PARTS = re.compile(r"^(\d{1,4})[./\-' ](\d{1,2})[./\-' ](\d{1,4})")


def date_order(samples: list[str]) -> str:
    """ "ymd", "dmy" or "mdy", from the values of one column: a part above 12 decides;
    with nothing to decide, day first for dotted dates (03.02.2026 is how Europe writes),
    else month first (as US banks, QIF and most exports write)."""
    dotted = False
    for sample in samples:
        match = _DATE_PARTS.match(sample.strip())
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if len(match.group(1)) == 4:
            return "ymd"
        if first > 12:
            return "dmy"
        if second > 12:
            return "mdy"
        dotted = dotted or "." in sample
    return "dmy" if dotted else "mdy"


def parse_date(raw: str, order: str) -> date:
    text = raw.strip()
    if re.fullmatch(r"\d{8}", text):  # 20180507
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    match = _DATE_PARTS.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a date")
    a, b, c = (int(part) for part in match.groups())
    if len(match.group(1)) == 4 or order == "ymd":
        year, month, day = a, b, c
        year_digits = len(match.group(1))
    elif order == "dmy":
        day, month, year = a, b, c
        year_digits = len(match.group(3))
    else:
        month, day, year = a, b, c
        year_digits = len(match.group(3))
    if year_digits <= 2:  # 26 is 2026, 99 is 1999; a year written 0001 is the year 1
        year += 2000 if year < 70 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date") from None


# 22:45, 22:45:10, 22:45:10.123, 6:50 PM, 10:46:49 PDT, 22:45:10+01:00, 22:45Z.
_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(?:([AaPp])\.?[Mm]\.?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Za-z]{2,5})?$"
)


def parse_time(raw: str) -> time:
    """A time of day as banks write it, 24-hour or with AM/PM, to the second (a fraction is
    dropped). A zone after it is not converted: the time is kept as the wall clock the bank
    wrote, which is the account holder's in all but travel."""
    text = raw.strip()
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time of day")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"{text!r} is not a time of day")
        hour = hour % 12 + (12 if meridiem == "P" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day") from None


def time_after_date(raw: str) -> time | None:
    """The time in a date cell that holds a date and time (``2026-03-14 22:45``,
    ``2026-03-14T22:45:10Z``), if any. Midnight is no time: a date kept as a datetime (a
    spreadsheet's, a database export's) reads as midnight, and one that means midnight is rare.
    Other text after the date (a weekday, "pending") is no time, as it was no date."""
    text = raw.strip()
    match = _DATE_PARTS.match(text)
    rest = text[match.end() :].lstrip(" T") if match else ""
    try:
        found = parse_time(rest) if rest else None
    except ValueError:
        return None
    return None if found == time(0) else found
