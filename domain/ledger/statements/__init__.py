"""Statement files in, statement lines out: CSV, JSON, OFX 1.x/2.x, QFX, QIF and CAMT.053
(spreadsheets are read into rows by the caller, and go through ``parse_table``)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.ledger.imports import StatementLine
from domain.ledger.statements.camt import parse_camt
from domain.ledger.statements.delimited import CsvProfile, parse_csv, parse_table
from domain.ledger.statements.ofx import parse_ofx
from domain.ledger.statements.qif import parse_qif
from domain.ledger.statements.records import parse_json
from domain.ledger.statements.text import StatementError

FORMATS = ("csv", "json", "xlsx", "ofx", "qfx", "qif", "camt053")

__all__ = [
    "FORMATS",
    "CsvProfile",
    "Statement",
    "StatementError",
    "detect_format",
    "parse",
    "parse_table",
]


@dataclass(frozen=True)
class Statement:
    format: str
    lines: list[StatementLine]
    rejected: list[tuple[int, str]]  # lines the parser could read no transaction from, and why


def detect_format(content: bytes, file_name: str) -> str:
    if content.startswith(b"PK\x03\x04"):  # a zip: an Office Open XML workbook
        return "xlsx"
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head[:1] in (b"[", b"{"):
        return "json"
    if b"OFXHEADER" in head or b"<OFX>" in head or b"<?OFX" in head:
        return "qfx" if file_name.lower().endswith(".qfx") else "ofx"
    if b"BKTOCSTMRSTMT" in head or b"CAMT.053" in head:
        return "camt053"
    if head.startswith(b"!TYPE") or head.startswith(b"!ACCOUNT") or head.startswith(b"!OPTION"):
        return "qif"
    return "csv"


def parse(
    content: bytes, format: str | None, file_name: str, profile: CsvProfile | None = None
) -> Statement:
    """Raises StatementError (naming the line) when the file is not one of its format."""
    format = format or detect_format(content, file_name)
    if format == "xlsx":
        raise StatementError(1, "a spreadsheet is read into rows first (parse_table)")
    if format == "json":
        lines, rejected = parse_json(content, profile or CsvProfile())
    elif format in ("ofx", "qfx"):
        lines, rejected = parse_ofx(content)
    elif format == "qif":
        lines, rejected = parse_qif(content)
    elif format == "camt053":
        lines, rejected = parse_camt(content)
    else:
        lines, rejected = parse_csv(content, profile or CsvProfile())
    return Statement(format, lines, rejected)
