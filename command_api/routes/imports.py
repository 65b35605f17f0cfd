"""Statement files: imports (CSV, JSON, XLSX, OFX, QFX, QIF, CAMT.053) and reconciliations;
exchange rates, by file or by command."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, delete, patch, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import Body, FromPath, JSONBody
from msgspec import Meta

from command_api.access import Access
from command_api.context import new_id
from command_api.routes.ledger import TransactionOut, transaction_out
from command_api.routes.workspaces import Currency
from command_api.spreadsheets import read_statement
from command_api.transaction_index import unreconciled_transactions
from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.exchange_rates import Rate
from domain.ledger.imports import ImportProfile, StatementLine
from domain.ledger.reconciliation import Match
from domain.ledger.statements import FORMATS, CsvProfile, StatementError
from infra import openapi
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
MAX_FILE_BYTES = 10 * 1_048_576
REPORTED_ROWS = 1000  # per list in an answer; the counts are always whole
PROFILE = f"{WORKSPACE}/import-profiles/{{profile_id:uuid}}"
Column = Annotated[str, Meta(min_length=1, max_length=100)]  # a header, or a column number


@dataclass
class ImportForm:
    file: UploadFile
    account_id: UUID
    format: str | None = None
    dry_run: bool = False
    profile: str | None = None  # JSON: a CsvProfile's fields
    profile_id: UUID | None = None  # a saved profile


class SkippedRow(msgspec.Struct, kw_only=True):
    line: int
    transaction_id: UUID
    reason: str


class RejectedRow(msgspec.Struct, kw_only=True):
    line: int
    reason: str


class ImportOut(msgspec.Struct, kw_only=True):
    id: UUID
    account_id: UUID
    file_name: str
    format: str
    dry_run: bool
    imported: int
    skipped_duplicates: int
    rejected_rows: int
    skipped: list[SkippedRow]
    rejected: list[RejectedRow]
    transactions: list[TransactionOut]  # the first ones imported (or that would be)
    position: int


@post(
    f"{WORKSPACE}/imports",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=201,
    request_max_body_size=MAX_FILE_BYTES + 65_536,
)
def import_statement(
    workspace_id: FromPath[UUID],
    data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ImportOut:
    """Every line is imported, skipped as a duplicate (same FITID, or same date, amount and
    description at the same occurrence) or rejected with its reason. A file of up to 25,000
    lines is saved in one transaction; a bigger one in chunks of 25,000 (fewer where their
    events pass 32 MB), each whole or not at all (sent again, the file adds what an
    interrupted import did not keep, none twice).
    ``dry_run`` reports the same without saving."""
    content = data.file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise HTTPException(f"the file is over {MAX_FILE_BYTES} bytes", status_code=413)
    if data.format is not None and data.format not in FORMATS:
        raise _invalid("format", f"one of {', '.join(FORMATS)}")
    file_name = data.file.filename or "statement"
    try:
        profile = _profile(ledger, workspace_id, data.profile, data.profile_id)
        statement = read_statement(content, data.format, file_name, profile)
    except StatementError as error:
        raise _invalid("file", str(error)) from None
    report = ledger.import_statement(
        new_id(request, principal, "import"),
        workspace_id,
        data.account_id,
        file_name,
        statement.format,
        statement.lines,
        statement.rejected,
        data.dry_run,
        actor,
    )
    rejected = [RejectedRow(**row) for row in report.rejected]
    request.app.state.metrics.count_import_rows(
        report.imported, len(report.skipped), len(rejected), report.dry_run
    )
    return ImportOut(
        id=report.import_id,
        account_id=data.account_id,
        file_name=file_name,
        format=report.format,
        dry_run=report.dry_run,
        imported=report.imported,
        skipped_duplicates=len(report.skipped),
        rejected_rows=len(rejected),
        skipped=[SkippedRow(**row) for row in report.skipped[:REPORTED_ROWS]],
        rejected=rejected[:REPORTED_ROWS],
        transactions=[
            transaction_out(t, report.categories, report.position)
            for t in report.transactions[:REPORTED_ROWS]
        ],
        position=report.position,
    )


def _profile(
    ledger: Ledger, workspace_id: UUID, raw: str | None, profile_id: UUID | None
) -> CsvProfile | None:
    """A saved profile, or one sent as JSON, or none (everything found from the file)."""
    if profile_id is not None:
        settings = ledger.import_profile(workspace_id, profile_id).settings
    elif raw:
        try:
            settings = msgspec.json.decode(raw, type=dict[str, Any])
        except msgspec.DecodeError as error:
            raise _invalid("profile", f"a JSON object of CSV settings ({error})") from None
    else:
        return None
    try:
        return CsvProfile.from_settings(settings)
    except StatementError as error:
        raise _invalid("profile", error.message) from None


class ProfileSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """How to read a bank's CSV (see ``CsvProfile``); what is left out is found from the file."""

    delimiter: Annotated[str, Meta(min_length=1, max_length=1)] | None = None
    encoding: Annotated[str, Meta(max_length=40)] | None = None
    decimal_comma: bool | None = None
    date_order: Literal["dmy", "mdy", "ymd"] | None = None
    has_header: bool = True
    date: Column | None = None
    time: Column | None = None
    amount: Column | None = None
    debit: Column | None = None
    credit: Column | None = None
    description: Column | None = None
    payee: Column | None = None
    category: Column | None = None
    subcategory: Column | None = None
    notes: Column | None = None
    currency: Column | None = None
    id: Column | None = None
    direction: Column | None = None
    tags: Column | None = None
    invert: bool = False


class SaveImportProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
    settings: ProfileSettings


class ChangeImportProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")] | None = None
    settings: ProfileSettings | None = None


class ImportProfileOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    settings: dict[str, Any]
    removed: bool
    position: int


@post(f"{WORKSPACE}/import-profiles", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def save_import_profile(
    workspace_id: FromPath[UUID],
    data: JSONBody[SaveImportProfile],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ImportProfileOut:
    """A bank's CSV layout under a name; imports name it with ``profile_id``."""
    profile, position = ledger.save_import_profile(
        new_id(request, principal, "import-profile"),
        workspace_id,
        data.name,
        _settings(data.settings),
        actor,
    )
    return _profile_out(profile, position)


@patch(f"{PROFILE}", sync_to_thread=True, access=Access.EDITOR)
def change_import_profile(
    workspace_id: FromPath[UUID],
    profile_id: FromPath[UUID],
    data: JSONBody[ChangeImportProfile],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> ImportProfileOut:
    settings = None if data.settings is None else _settings(data.settings)
    profile, position = ledger.change_import_profile(
        workspace_id, profile_id, data.name, settings, actor
    )
    return _profile_out(profile, position)


@delete(f"{PROFILE}", sync_to_thread=True, access=Access.EDITOR, status_code=200)
def remove_import_profile(
    workspace_id: FromPath[UUID],
    profile_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> ImportProfileOut:
    profile, position = ledger.remove_import_profile(workspace_id, profile_id, actor)
    return _profile_out(profile, position)


def _settings(settings: ProfileSettings) -> dict[str, Any]:
    """Only what the client said: the rest stays to be found from each file."""
    return msgspec.json.decode(msgspec.json.encode(settings))  # type: ignore[no-any-return]


def _profile_out(profile: ImportProfile, position: int) -> ImportProfileOut:
    return ImportProfileOut(
        id=profile.id,
        name=profile.name,
        settings=profile.settings,
        removed=profile.removed,
        position=position,
    )


@dataclass
class ReconcileForm:
    file: UploadFile
    format: str | None = None
    profile: str | None = None
    profile_id: UUID | None = None
    tolerance: str = "5.00"  # the most a line's amount may differ from its transaction's
    window_days: int = 3  # the most their dates may differ
    dry_run: bool = False


class StatementLineOut(msgspec.Struct, kw_only=True):
    line: int
    date: date
    amount: str
    description: str


class MatchOut(msgspec.Struct, kw_only=True):
    transaction_id: UUID
    score: str
    amount_difference: str
    days_apart: int


class MatchedOut(msgspec.Struct, kw_only=True):
    statement: StatementLineOut
    match: MatchOut


class ReviewOut(msgspec.Struct, kw_only=True):
    statement: StatementLineOut
    choices: list[MatchOut]


class ReconciliationOut(msgspec.Struct, kw_only=True):
    id: UUID
    account_id: UUID
    dry_run: bool
    lines: int
    candidates: int
    auto_matched: int
    needs_review: int
    unmatched: int
    reconciliation_rate: str  # the share of lines matched without asking, in percent
    matched: list[MatchedOut]
    review: list[ReviewOut]
    unmatched_lines: list[StatementLineOut]
    position: int


@post(
    f"{WORKSPACE}/accounts/{{account_id:uuid}}/reconcile",
    access=Access.EDITOR,
    status_code=200,
    request_max_body_size=MAX_FILE_BYTES + 65_536,
)
async def reconcile_account(
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    data: Annotated[ReconcileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ReconciliationOut:
    """Matches a bank statement's lines to the account's recorded transactions not yet
    reconciled (see domain/ledger/reconciliation.py): sure matches are marked reconciled,
    the others are listed for review with their best candidates, nothing is imported."""
    content = await data.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise HTTPException(f"the file is over {MAX_FILE_BYTES} bytes", status_code=413)
    tolerance = _tolerance(data.tolerance)
    if not 0 <= data.window_days <= 31:
        raise _invalid("window_days", "0 to 31 days")
    profile = await asyncio.to_thread(_profile, ledger, workspace_id, data.profile, data.profile_id)
    try:
        statement = await asyncio.to_thread(
            read_statement, content, data.format, data.file.filename or "statement", profile
        )
    except StatementError as error:
        raise _invalid("file", str(error)) from None
    if not statement.lines:
        raise _invalid("file", "the statement has no lines to match")
    window = timedelta(days=data.window_days)
    candidates = await unreconciled_transactions(
        request.app.state.pool,
        workspace_id,
        account_id,
        min(line.date for line in statement.lines) - window,
        max(line.date for line in statement.lines) + window,
    )
    report = await asyncio.to_thread(
        ledger.reconcile,
        new_id(request, principal, "reconciliation"),
        workspace_id,
        account_id,
        statement.lines,
        candidates,
        tolerance,
        data.window_days,
        data.dry_run,
        actor,
    )
    matching = report.matching
    lines = len(statement.lines)
    return ReconciliationOut(
        id=report.reconciliation_id,
        account_id=account_id,
        dry_run=data.dry_run,
        lines=lines,
        candidates=report.candidates,
        auto_matched=len(matching.matched),
        needs_review=len(matching.review),
        unmatched=len(matching.unmatched),
        reconciliation_rate=str(
            (Decimal(100 * len(matching.matched)) / lines).quantize(Decimal("0.1"))
        ),
        matched=[
            MatchedOut(statement=_line_out(m.line), match=_match_out(m))
            for m in matching.matched[:REPORTED_ROWS]
        ],
        review=[
            ReviewOut(statement=_line_out(r.line), choices=[_match_out(m) for m in r.choices])
            for r in matching.review[:REPORTED_ROWS]
        ],
        unmatched_lines=[_line_out(line) for line in matching.unmatched[:REPORTED_ROWS]],
        position=report.position,
    )


def _tolerance(raw: str) -> Decimal:
    try:
        tolerance = Decimal(raw)
    except InvalidOperation:
        tolerance = Decimal(-1)
    if not tolerance.is_finite() or not 0 <= tolerance <= 1_000_000:
        raise _invalid("tolerance", "an amount from 0 to 1000000, like 5.00")
    return tolerance


def _line_out(line: StatementLine) -> StatementLineOut:
    return StatementLineOut(
        line=line.line, date=line.date, amount=str(line.amount), description=line.description
    )


def _match_out(match: Match) -> MatchOut:
    return MatchOut(
        transaction_id=match.transaction_id,
        score=str(match.score),
        amount_difference=str(match.amount_difference),
        days_apart=match.days_apart,
    )


class RateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    date: date
    currency: Currency
    quote: Currency
    rate: Annotated[str, Meta(pattern=r"^[0-9]{1,12}(\.[0-9]{1,10})?$", examples=["1.0842"])]


class RecordRates(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rates: Annotated[list[RateIn], Meta(min_length=1, max_length=10_000)]


class RatesOut(msgspec.Struct, kw_only=True):
    id: UUID
    recorded: int
    position: int


@post(f"{WORKSPACE}/exchange-rates", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def record_rates(
    workspace_id: FromPath[UUID],
    data: JSONBody[RecordRates],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> RatesOut:
    """On ``date``, one ``currency`` was worth ``rate`` of ``quote``. A later rate for the
    same day and pair replaces an earlier one."""
    rates = [Rate(r.date, r.currency, r.quote, Decimal(r.rate)) for r in data.rates]
    sheet, position = ledger.record_rates(
        new_id(request, principal, "rates"), workspace_id, rates, actor
    )
    return RatesOut(id=sheet.id, recorded=len(sheet.rates), position=position)


@post(
    f"{WORKSPACE}/exchange-rates/csv",
    access=Access.EDITOR,
    status_code=201,
    responses={415: openapi.problem(415, "send text/csv or a multipart form with a file")},
    request_max_body_size=MAX_FILE_BYTES + 65_536,
)
async def upload_rates(
    workspace_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> RatesOut:
    """A CSV with the header ``date,currency,quote,rate``: the body itself (``text/csv``),
    or a multipart ``file``."""
    media_type, _ = request.content_type
    if media_type == "multipart/form-data":
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            raise _invalid("file", "a CSV file in the multipart field file")
        content = await upload.read(MAX_FILE_BYTES + 1)
    elif media_type == "text/csv":
        content = await request.body()
    else:
        raise HTTPException("send the CSV as text/csv, or as a multipart file", status_code=415)
    if len(content) > MAX_FILE_BYTES:
        raise HTTPException(f"the file is over {MAX_FILE_BYTES} bytes", status_code=413)
    rates = _rates(content)
    sheet, position = await asyncio.to_thread(
        ledger.record_rates, new_id(request, principal, "rates"), workspace_id, rates, actor
    )
    return RatesOut(id=sheet.id, recorded=len(sheet.rates), position=position)


def _rates(content: bytes) -> list[Rate]:
    text = content.decode("utf-8-sig", errors="replace")
    if "\x00" in text:  # as the statement parser says of one
        raise _invalid("file", "binary data: not a CSV file")
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise _invalid("file", f"not a readable CSV ({error})") from None
    rates = []
    for number, row in enumerate(rows, start=2):
        try:
            rates.append(
                Rate(
                    date.fromisoformat(row["date"].strip()),
                    row["currency"].strip().upper(),
                    row["quote"].strip().upper(),
                    Decimal(row["rate"].strip()),
                )
            )
        except (KeyError, AttributeError, ValueError, InvalidOperation):
            raise _invalid(
                "file",
                f"line {number}: expected date,currency,quote,rate (2026-01-31,USD,EUR,0.92)",
            ) from None
    return rates


def _invalid(field: str, message: str) -> ValidationException:
    return ValidationException(message, extra=[{"key": field, "message": message}])
