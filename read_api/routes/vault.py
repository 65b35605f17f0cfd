"""Serves the vault projection: records' titles and types, beneficiaries, the access log.
Each needs the ``X-Vault-Token`` of this session; titles and beneficiaries are opened here
with the workspace's data key, unwrapped for the request only."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter

from domain.vault.ports import aad
from domain.vault.record import RecordType
from infra.settings import Settings
from infra.vault_keys import InvalidVaultTokenError, Keyring, VaultCipher, read_vault_token
from projections.pages import PageMeta
from projections.vault import view
from projections.vault.model import (
    AccessLog,
    AccessLogEntry,
    BeneficiaryList,
    BeneficiaryListed,
    VaultRecordList,
    VaultRecordListed,
)
from read_api.access import read_access, require_role

VAULT = "/api/workspaces/{workspace_id:uuid}/vault"
Page = Annotated[int, QueryParameter(ge=1, le=100_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=100)]
VaultTokenHeader = Annotated[
    str | None,
    HeaderParameter(
        name="X-Vault-Token",
        description="the token POST …/vault/unlock answered (10 minutes)",
        required=False,
    ),
]


async def _vault_access(request: Request[Any, Any, State], workspace_id: UUID) -> None:
    """ADMINs and EDITORs, by a session that unlocked this vault."""
    reader = await read_access(request, workspace_id, "vault")
    require_role(reader, "EDITOR")
    if reader.principal.is_api_key:
        raise PermissionDeniedException("the vault opens to a member's session, not to an API key")
    settings: Settings = request.app.state.settings
    try:
        token = read_vault_token(
            settings.secret, request.headers.get("x-vault-token"), workspace_id
        )
    except InvalidVaultTokenError as error:
        raise NotAuthorizedException(str(error)) from None
    if (token.user_id, token.session_id) != (
        reader.principal.actor_id,
        reader.principal.session_id,
    ):
        raise NotAuthorizedException("this vault token belongs to another session: unlock again")


async def _cipher(
    request: Request[Any, Any, State], conn: Any, workspace_id: UUID
) -> VaultCipher | None:
    found = await view.key(conn, workspace_id)
    if found is None:
        return None
    keyring = Keyring(request.app.state.settings.secret)
    return keyring.cipher(workspace_id, found["salt"], found["wrapped_key"])


@get(f"{VAULT}/records")
async def list_vault_records(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    type: FromQuery[RecordType | None] = None,
    page: Page = 1,
    page_size: PageSize = 50,
    x_vault_token: VaultTokenHeader = None,
) -> VaultRecordList:
    """Titles and types only, newest first; reading one decrypted is a command (logged)."""
    await _vault_access(request, workspace_id)
    async with request.app.state.pool.connection() as conn:
        rows, total = await view.records(
            conn, workspace_id, None if type is None else type.value, page, page_size
        )
        cipher = await _cipher(request, conn, workspace_id)
    listed = []
    for row in rows:
        assert cipher is not None
        title = cipher.open(
            row["sealed_title"], aad("title", workspace_id, row["id"], row["sealed_version"])
        )
        listed.append(
            VaultRecordListed(
                id=row["id"],
                type=row["type"],
                title=title.decode(),
                visible_to_beneficiaries=row["visible_to_beneficiaries"],
                attachments=row["attachments"],
                version=row["version"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        )
    return VaultRecordList(data=listed, meta=PageMeta.of(page, page_size, total))


@get(f"{VAULT}/beneficiaries")
async def list_beneficiaries(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    x_vault_token: VaultTokenHeader = None,
) -> BeneficiaryList:
    """Each with the records released to them (or ``"all"``) and whether they confirmed."""
    await _vault_access(request, workspace_id)
    async with request.app.state.pool.connection() as conn:
        rows = await view.beneficiaries(conn, workspace_id)
        cipher = await _cipher(request, conn, workspace_id)
    listed = []
    for row in rows:
        assert cipher is not None
        person = json.loads(
            cipher.open(
                row["sealed"], aad("beneficiary", workspace_id, row["id"], row["sealed_version"])
            )
        )
        listed.append(
            BeneficiaryListed(
                id=row["id"],
                name=person["name"],
                email=person["email"],
                relationship=person["relationship"],
                records="all" if row["records"] is None else [UUID(r) for r in row["records"]],
                notes=person.get("notes"),
                confirmed=row["confirmed"],
                version=row["version"],
            )
        )
    return BeneficiaryList(data=listed)


@get(f"{VAULT}/access-log")
async def vault_access_log(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    page: Page = 1,
    page_size: PageSize = 50,
    x_vault_token: VaultTokenHeader = None,
) -> AccessLog:
    """Every decrypted read of a record (by whom, when, from which session or release
    link), unlock, lockout and release opening, newest first."""
    await _vault_access(request, workspace_id)
    async with request.app.state.pool.connection() as conn:
        rows, total = await view.access_log(conn, workspace_id, page, page_size)
    return AccessLog(
        data=[
            AccessLogEntry(
                position=row["position"],
                action=row["action"],
                actor_id=row["actor_id"],
                record_id=row["record_id"],
                session_id=row["session_id"],
                release_id=row["release_id"],
                at=row["at"],
            )
            for row in rows
        ],
        meta=PageMeta.of(page, page_size, total),
    )
