"""ISO 20022 CAMT.053 bank-to-customer statements (any version of the namespace)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from domain.ledger.imports import StatementLine
from domain.ledger.statements.text import StatementError, parse_amount, parse_date


def parse_camt(content: bytes) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    if b"<!DOCTYPE" in content[:2048] or b"<!ENTITY" in content:
        raise StatementError(1, "a CAMT.053 file has no DTD or entities")
    try:
        root = ET.fromstring(content)  # noqa: S314 - DTDs refused above: no entity expansion
    except ET.ParseError as error:
        raise StatementError(error.position[0], f"not well-formed XML ({error})") from None
    statements = [e for e in root.iter() if _name(e) == "Stmt"]
    if _name(root) != "Document" or not statements:
        raise StatementError(1, "no BkToCstmrStmt/Stmt: not a CAMT.053 statement")
    lines: list[StatementLine] = []
    rejected: list[tuple[int, str]] = []
    for number, entry in enumerate((e for s in statements for e in s if _name(e) == "Ntry"), 1):
        try:
            amount_element = _first(entry, "Amt")
            amount = parse_amount(amount_element.text or "")
            if _text(entry, "CdtDbtInd") == "DBIT":
                amount = -amount
            booked = _text(entry, "BookgDt", "Dt") or (_text(entry, "BookgDt", "DtTm") or "")[:10]
            day = parse_date(booked, "ymd")
        except (ValueError, LookupError) as error:
            rejected.append((number, f"entry {number}: {error}"))
            continue
        party = _text(entry, "Cdtr", "Nm") if amount < 0 else _text(entry, "Dbtr", "Nm")
        remittance = " ".join(
            (e.text or "").strip() for e in entry.iter() if _name(e) == "Ustrd"
        ).strip()
        description = party or remittance or _text(entry, "AddtlNtryInf") or "Transaction"
        lines.append(
            StatementLine(
                line=number,
                date=day,
                amount=amount,
                description=description,
                merchant=party,
                fitid=_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
                notes=remittance if remittance and remittance != description else None,
                currency=amount_element.get("Ccy"),
            )
        )
    return lines, rejected


def _name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _first(element: ET.Element, name: str) -> ET.Element:
    for child in element.iter():
        if _name(child) == name:
            return child
    raise LookupError(f"no {name}")


def _text(element: ET.Element, *path: str) -> str | None:
    """The text of the first descendant along ``path`` (each step anywhere below the last)."""
    current = element
    for name in path:
        found = next((c for c in current.iter() if _name(c) == name and c is not current), None)
        if found is None:
            return None
        current = found
    return (current.text or "").strip() or None
