"""Serves the transactions projection: search, one transaction, and its history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

import msgspec
from anyio import to_thread
from litestar import MediaType, Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Response, Stream

from infra import openapi
from projections.audit_trail import view as audit_view
from projections.transactions import export, view
from projections.transactions.model import (
    AttachmentList,
    HistoryEntry,
    TransactionHistory,
    TransactionPage,
    TransactionView,
)
from read_api.access import read_access
from read_api.memory import Memory

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
# Category names come from the ledger read model.
SERVING = ("transactions", "ledger")
EXPORT_TYPES = {
    "csv": "text/csv",  # Litestar adds the charset to text types
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Sort = Literal[
    "date", "-date", "amount", "-amount", "description", "-description", "created_at", "-created_at"
]


@get(f"{WORKSPACE}/transactions")
async def list_transactions(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    type: FromQuery[Literal["income", "expense", "transfer"] | None] = None,
    category: Annotated[
        str | None, QueryParameter(description="id, name or slug; subcategories included")
    ] = None,
    account_id: FromQuery[UUID | None] = None,
    reconciled: FromQuery[bool | None] = None,
    tags: Annotated[
        str | None, QueryParameter(description="comma-separated; all must match")
    ] = None,
    min_amount: FromQuery[str | None] = None,
    max_amount: FromQuery[str | None] = None,
    from_date: Annotated[date | None, QueryParameter(name="from")] = None,
    to_date: Annotated[date | None, QueryParameter(name="to")] = None,
    sort: FromQuery[Sort] = "-date",
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> Response[TransactionPage]:
    await read_access(request, workspace_id, SERVING)
    where = view.TransactionFilter(
        q=q,
        type=type,
        category=category,
        account_id=account_id,
        reconciled=reconciled,
        tags=tuple(tag.strip() for tag in (tags or "").split(",") if tag.strip()),
        min_amount=_decimal("min_amount", min_amount),
        max_amount=_decimal("max_amount", max_amount),
        from_date=from_date,
        to_date=to_date,
    )

    async def make() -> bytes:
        async with request.app.state.pool.connection() as conn:
            found = await view.list_transactions(conn, workspace_id, where, sort, page, page_size)
        return msgspec.json.encode(found)

    # Kept in memory until the log announces a change of this workspace's transactions or
    # categories; the query names the page (min_position only says how fresh it must be).
    asked = tuple(
        sorted((k, v) for k, v in request.query_params.multi_items() if k != "min_position")
    )
    memory: Memory = request.app.state.positions.memory
    body, _ = await memory.answer(workspace_id, ("transactions", asked), SERVING, make)
    response: Response[Any] = Response(body, media_type=MediaType.JSON)
    return response


@get(
    f"{WORKSPACE}/exports/transactions",
    operation_class=openapi.content_types(
        200,
        {
            "text/csv": openapi.TEXT,
            "application/json": {"type": "array", "items": {"type": "object"}},
            EXPORT_TYPES["xlsx"]: openapi.BINARY,
        },
    ),
)
async def export_transactions(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    format: FromQuery[Literal["csv", "json", "xlsx"]] = "csv",
    from_date: Annotated[date | None, QueryParameter(name="from")] = None,
    to_date: Annotated[date | None, QueryParameter(name="to")] = None,
    account: FromQuery[UUID | None] = None,
    category: Annotated[
        str | None, QueryParameter(description="id, name or slug; subcategories included")
    ] = None,
) -> Stream:
    """Every transaction the filters select, oldest first, as a file ``POST …/imports`` reads
    back (CSV and XLSX: date, time (``HH:MM:SS``, empty when not known), amount, currency,
    description, merchant, category as ``Parent > Child``, tags, notes, account, account_id,
    id; JSON adds the split parts)."""
    await read_access(request, workspace_id, SERVING)
    where = view.TransactionFilter(
        account_id=account, category=category, from_date=from_date, to_date=to_date
    )
    pool = request.app.state.pool

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async with pool.connection() as conn:
            async for row in view.export_rows(conn, workspace_id, where):
                yield row

    if format == "csv":
        body: AsyncIterator[bytes] = export.csv_chunks(rows())
    elif format == "json":
        body = export.json_chunks(rows())
    else:
        workbook = await to_thread.run_sync(export.xlsx_file, [row async for row in rows()])
        body = _chunks(workbook)
    return Stream(
        body,
        media_type=EXPORT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="transactions.{format}"'},
    )


async def _chunks(content: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start : start + size]


@get(f"{WORKSPACE}/transactions/recent")
async def recent_transactions(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> TransactionPage:
    """The last 10 recorded (or imported), newest first."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        return await view.list_transactions(
            conn, workspace_id, view.TransactionFilter(), "-created_at", 1, 10
        )


@get(f"{WORKSPACE}/transactions/deleted")
async def deleted_transactions(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> TransactionPage:
    """Soft-deleted transactions, last deleted first; each can be restored."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        return await view.list_transactions(
            conn, workspace_id, view.TransactionFilter(deleted=True), "-deleted_at", page, page_size
        )


@get(f"{WORKSPACE}/transactions/{{transaction_id:uuid}}")
async def get_transaction(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
) -> TransactionView:
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        transaction = await view.get_transaction(conn, workspace_id, transaction_id)
    if transaction is None:
        raise NotFoundException("no such transaction")
    return transaction


@get(f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/history")
async def transaction_history(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
) -> TransactionHistory:
    """Every event of the transaction, oldest first, from the audit trail."""
    await read_access(request, workspace_id, "audit_trail")
    async with request.app.state.pool.connection() as conn:
        entries = await audit_view.aggregate_history(conn, workspace_id, transaction_id)
    if not entries or entries[0].aggregate_type != "Transaction":
        raise NotFoundException("no such transaction")
    return TransactionHistory(
        data=[
            HistoryEntry(
                position=entry.position,
                version=entry.version,
                type=entry.type,
                occurred_at=entry.occurred_at,
                actor_id=entry.actor_id,
                correlation_id=entry.correlation_id,
                payload=entry.payload,
            )
            for entry in entries
        ]
    )


def _decimal(name: str, raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    # No amount reaches 10^15 (the domain refuses them): a bigger bound filters nothing, and
    # one past PostgreSQL's numeric range would fail the query.
    if not value.is_finite() or abs(value) >= Decimal(10) ** 15:
        raise ValidationException(
            f"{name} must be a decimal number under 10^15 in size",
            extra=[{"key": name, "message": "not a number under 10^15 in size"}],
        )
    return value


@get(f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/attachments")
async def list_attachments(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
) -> AttachmentList:
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        if await view.get_transaction(conn, workspace_id, transaction_id) is None:
            raise NotFoundException("no such transaction")
        return AttachmentList(data=await view.list_attachments(conn, workspace_id, transaction_id))


@get(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/attachments/{{attachment_id:uuid}}",
    operation_class=openapi.content_types(
        200, dict.fromkeys(("image/jpeg", "image/png", "application/pdf"), openapi.BINARY)
    ),
)
async def download_attachment(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    attachment_id: FromPath[UUID],
) -> Response[bytes]:
    """The file as it was uploaded, always as a download (never shown inline)."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        listed = await view.list_attachments(conn, workspace_id, transaction_id)
    attachment = next((a for a in listed if a.id == attachment_id), None)
    content = None if attachment is None else await request.app.state.blobs.get(attachment.sha256)
    if attachment is None or content is None:
        raise NotFoundException("no such attachment")
    return Response(
        content,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(attachment.file_name, safe="")
        },
    )
