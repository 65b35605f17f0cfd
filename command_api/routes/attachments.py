"""Receipts and other files on a transaction: attach (JPEG, PNG or PDF, by content) and
detach. Downloads are on the read API."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, delete, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath

from command_api.access import Access
from command_api.context import new_id
from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.transaction import MAX_ATTACHMENT_BYTES, Attachment, sniff_media_type
from infra.tokens import Principal

TRANSACTION = "/api/workspaces/{workspace_id:uuid}/transactions/{transaction_id:uuid}"


@dataclass
class AttachForm:
    file: UploadFile


class AttachmentOut(msgspec.Struct, kw_only=True):
    id: UUID
    transaction_id: UUID
    file_name: str
    media_type: str
    size: int
    sha256: str
    attached_at: datetime
    position: int


@post(
    f"{TRANSACTION}/attachments",
    access=Access.EDITOR,
    status_code=201,
    request_max_body_size=MAX_ATTACHMENT_BYTES + 65_536,
)
async def attach_file(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    data: Annotated[AttachForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> AttachmentOut:
    """A receipt (JPEG, PNG or PDF, told by its content, up to 5 MB); the content is kept
    first, then the transaction records it."""
    content = await data.file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise HTTPException(f"the file is over {MAX_ATTACHMENT_BYTES} bytes", status_code=413)
    media_type = sniff_media_type(content)
    if media_type is None:
        raise HTTPException("the file is not a JPEG, PNG or PDF", status_code=415)
    # Asked before the content is kept: a caller with a wrong id leaves nothing behind.
    await asyncio.to_thread(ledger.get_transaction, workspace_id, transaction_id)
    attachment = Attachment(
        new_id(request, principal, "attachment"),
        _file_name(data.file.filename),
        media_type,
        len(content),
        await request.app.state.blobs.put(content),
    )
    transaction, position = await asyncio.to_thread(
        ledger.attach_file, workspace_id, transaction_id, attachment, actor
    )
    attached = transaction.attachments[attachment.id]
    return AttachmentOut(
        id=attached.id,
        transaction_id=transaction.id,
        file_name=attached.file_name,
        media_type=attached.media_type,
        size=attached.size,
        sha256=attached.sha256,
        attached_at=transaction.modified_on,
        position=position,
    )


class Detached(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(
    f"{TRANSACTION}/attachments/{{attachment_id:uuid}}",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def detach_file(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    attachment_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> Detached:
    """The transaction no longer lists the file; its history says it once did."""
    _, position = ledger.detach_file(workspace_id, transaction_id, attachment_id, actor)
    return Detached(id=attachment_id, position=position)


def _file_name(name: str | None) -> str:
    """The last part of what the client called it, without control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return cleaned[:200] or "attachment"
