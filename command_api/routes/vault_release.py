"""What a vault's beneficiaries do, without an account: confirm their email, and open a
release link (with the code mailed apart) once the dead man's switch has triggered.

The token is in the path of a release link; the request log writes that path redacted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from command_api import vault_index
from command_api.access import Access
from command_api.context import correlation_id
from domain.vault.application import Vault
from infra import openapi

LinkToken = Annotated[str, Meta(min_length=1, max_length=200)]


class ConfirmBeneficiary(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: LinkToken


class BeneficiaryConfirmed(msgspec.Struct, kw_only=True):
    id: UUID
    confirmed: bool
    position: int


@post(
    "/api/vault-beneficiaries/confirm",
    access=Access.PUBLIC,
    status_code=200,
    responses={404: openapi.problem(404, "the token is unknown or outdated")},
)
async def confirm_beneficiary(
    data: JSONBody[ConfirmBeneficiary],
    vault: NamedDependency[Vault],
    request: Request[Any, Any, State],
) -> BeneficiaryConfirmed:
    """The token mailed to a beneficiary; an unknown or outdated one is 404."""
    beneficiary, position = await asyncio.to_thread(
        vault.confirm_beneficiary, data.token, correlation_id(request)
    )
    return BeneficiaryConfirmed(id=beneficiary.id, confirmed=True, position=position)


class OpenRelease(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, Meta(pattern=r"^[0-9]{8}$", description="the 8 digits mailed apart")]


class ReleasedRecord(msgspec.Struct, kw_only=True):
    id: UUID
    type: str
    title: str
    fields: dict[str, str]
    notes: str | None
    attachments: list[str]  # file names: ask the family's ADMIN for the files themselves


class Released(msgspec.Struct, kw_only=True):
    records: list[ReleasedRecord]
    expires_at: datetime
    position: int


@post(
    "/api/vault-release/{token:str}",
    access=Access.PUBLIC,
    status_code=200,
    responses={
        403: openapi.problem(403, "the code is wrong"),
        410: openapi.problem(410, "the link was cancelled, has expired or is spent"),
    },
)
async def open_release(
    token: FromPath[str],
    data: JSONBody[OpenRelease],
    vault: NamedDependency[Vault],
    request: Request[Any, Any, State],
) -> Released:
    """Read-only: the records released to this beneficiary, decrypted, each view recorded.
    Valid 30 days; a wrong code is 403 and the fifth ends the link (410), as do the switch's
    cancellation and the beneficiary's removal; an unknown link is 404."""
    release_id = vault.keys.link_id("vault-release", token[:200])
    release = None if release_id is None else await asyncio.to_thread(vault.get_release, release_id)
    record_ids: list[UUID] = []
    if release is not None:
        record_ids = await vault_index.record_ids(request.app.state.pool, release.workspace_id)
    shown, position = await asyncio.to_thread(
        vault.open_release,
        token[:200],
        data.code,
        record_ids,
        datetime.now(UTC),
        correlation_id(request),
    )
    names = {}
    for record, _ in shown:
        listed = await asyncio.to_thread(vault.attachment_names, record)
        names[record.id] = [str(n["file_name"]) for n in listed]
    assert release is not None
    return Released(
        records=[
            ReleasedRecord(
                id=record.id,
                type=record.type.value,
                title=opened.title,
                fields=opened.fields,
                notes=opened.notes,
                attachments=names[record.id],
            )
            for record, opened in shown
        ],
        expires_at=release.expires_at,
        position=position,
    )
