"""The vault: a member's PIN and unlock, records (read decrypted, each read recorded), their
sealed attachments, the dead man's switch and beneficiaries. Lists and the access log are on
the read API; a beneficiary's confirmation and a release link are in ``vault_release``.

Every route but the PIN's and the unlock's needs the ``X-Vault-Token`` the unlock gave this
session. None goes through the idempotency store: its answers would keep what they say
(tokens, decrypted fields) in PostgreSQL. A new record's or beneficiary's id derives from the
Idempotency-Key instead, so a retry finds the first one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath, HeaderParameter, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api import vault_index
from command_api.access import Access
from command_api.context import new_id
from command_api.routes.attachments import _file_name
from command_api.routes.auth import Email
from command_api.routes.ledger import IfMatch, _version
from domain.base import Actor, ForbiddenError, UnauthorizedError
from domain.identity.application import Identity
from domain.vault.application import PinTry, Vault, WrongPinError
from domain.vault.pin import TRIES_BEFORE_LOCK, VaultLockedError
from domain.vault.record import Record, RecordType
from domain.vault.switch import Switch
from domain.workspaces.application import Workspaces
from domain.workspaces.workspace import Role
from infra.mail import Mail, Mailer
from infra.tokens import Principal
from infra.vault_keys import (
    InvalidVaultTokenError,
    VaultToken,
    issue_vault_token,
    new_vault_token_id,
    read_vault_token,
)

log = structlog.get_logger("vault")
VAULT_TOKEN_HEADER = "X-Vault-Token"  # noqa: S105 - a header name
MAX_VAULT_FILE_BYTES = 5 * 1024 * 1024
FIELDS_MAX = 50

Pin = Annotated[str, Meta(pattern=r"^[0-9]{6,8}$", description="6 to 8 digits")]
Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
FieldName = Annotated[str, Meta(min_length=1, max_length=100)]
FieldValue = Annotated[str, Meta(max_length=10_000)]
Fields = Annotated[dict[FieldName, FieldValue], Meta(max_length=FIELDS_MAX)]
Notes = Annotated[str, Meta(max_length=20_000)]
RecordIds = Annotated[list[UUID], Meta(max_length=500)]
VaultTokenHeader = Annotated[
    str | None,
    HeaderParameter(
        name=VAULT_TOKEN_HEADER,
        description="the token POST …/vault/unlock answered (10 minutes)",
        required=False,
    ),
]


def provide_vault(request: Request[Any, Any, State]) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def vault_session(request: Request[Any, Any, State], workspace_id: UUID) -> VaultToken:
    """The request's vault token, if this session unlocked this workspace's vault: else
    401. Never logged and never echoed."""
    principal: Principal = request.scope["state"]["principal"]
    if principal.is_api_key:
        raise ForbiddenError("the vault opens to a member's session, not to an API key")
    try:
        token = read_vault_token(
            request.app.state.settings.secret,
            request.headers.get(VAULT_TOKEN_HEADER),
            workspace_id,
        )
    except InvalidVaultTokenError as error:
        raise UnauthorizedError(str(error)) from None
    if (token.user_id, token.session_id) != (principal.actor_id, principal.session_id):
        raise UnauthorizedError("this vault token belongs to another session: unlock again")
    return token


def provide_vault_token(request: Request[Any, Any, State]) -> VaultToken:
    return vault_session(request, request.path_params["workspace_id"])


class SetPin(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``old_pin`` is needed to change a PIN already set."""

    pin: Pin
    old_pin: Pin | None = None


class PinSet(msgspec.Struct, kw_only=True):
    position: int


class Unlock(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pin: Pin


class Unlocked(msgspec.Struct, kw_only=True):
    vault_token: str
    expires_at: datetime
    position: int


class CreateRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: RecordType
    title: Title
    fields: Fields = msgspec.field(default_factory=dict)
    notes: Notes | None = None
    visible_to_beneficiaries: bool = False


class ChangeRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``fields`` replaces them all."""

    type: RecordType | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    fields: Fields | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET
    visible_to_beneficiaries: bool | UnsetType = UNSET


class RecordSaved(msgspec.Struct, kw_only=True):
    """What a write answers: never the contents."""

    id: UUID
    type: str
    visible_to_beneficiaries: bool
    version: int
    position: int


class VaultAttachment(msgspec.Struct, kw_only=True):
    id: UUID
    file_name: str
    media_type: str
    size: int


class RecordOut(msgspec.Struct, kw_only=True):
    id: UUID
    type: str
    title: str
    fields: dict[str, str]
    notes: str | None
    visible_to_beneficiaries: bool
    attachments: list[VaultAttachment]
    version: int
    created_at: datetime
    updated_at: datetime
    position: int  # of this view's RecordViewed


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@dataclass
class VaultFileForm:
    file: UploadFile


class ConfigureSwitch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    check_in_interval_days: Annotated[int, Meta(ge=7, le=365)]
    grace_period_days: Annotated[int, Meta(ge=1, le=60)]
    enabled: bool = True


class SwitchOut(msgspec.Struct, kw_only=True):
    check_in_interval_days: int
    grace_period_days: int
    enabled: bool
    last_check_in: datetime
    reminder_at: datetime
    due_at: datetime
    triggered_at: datetime | None
    cancellable_until: datetime | None
    version: int
    position: int


Relationship = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
BeneficiaryName = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]


class AddBeneficiary(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``records``: the ids of the records released to them, or ``"all"``; either way only
    records marked ``visible_to_beneficiaries`` are ever released."""

    name: BeneficiaryName
    email: Email
    relationship: Relationship
    records: RecordIds | Literal["all"]
    notes: Notes | None = None


class ChangeBeneficiary(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new email must be confirmed again before any release."""

    name: BeneficiaryName | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    relationship: Relationship | UnsetType = UNSET
    records: RecordIds | Literal["all"] | UnsetType = UNSET
    notes: Notes | UnsetType | None = UNSET


class BeneficiaryOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    email: str
    relationship: str
    records: list[UUID] | Literal["all"]
    notes: str | None
    confirmed: bool
    confirmation_sent: bool | None  # on a write that mailed a confirmation link
    version: int
    position: int


def now() -> datetime:
    return datetime.now(UTC)


class VaultPinController(Controller):
    """The PIN and the unlock: a session, no vault token yet."""

    path = "/api/workspaces/{workspace_id:uuid}/vault"
    tags = ["vault"]
    opt = {"access": Access.EDITOR}

    @post("/pin", status_code=200)
    async def set_pin(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[SetPin],
        vault: NamedDependency[Vault],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> PinSet:
        """Sets my PIN in this workspace's vault (the first one sets up the vault's key);
        changing it needs ``old_pin``, and a wrong one counts as a wrong PIN. Easy PINs
        (000000, 123456, 121212, 123321, …) are refused."""
        _session_only(principal)
        position, wrong = await asyncio.to_thread(
            vault.set_pin, workspace_id, principal.actor_id, data.pin, data.old_pin, now(), actor
        )
        if wrong is not None:
            await _refused(request, workspace_id, principal.actor_id, wrong, "old_pin")
        return PinSet(position=position)

    @post("/unlock", status_code=200)
    async def unlock(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[Unlock],
        vault: NamedDependency[Vault],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> Unlocked:
        """A vault token for this session, valid 10 minutes (``X-Vault-Token``); it counts as
        a check-in of the dead man's switch. 5 wrong PINs lock my vault for 15 minutes, then
        30, 60 … (429 with Retry-After), and the workspace's ADMINs are mailed."""
        session_id = _session_only(principal)
        at = now()
        token_id, expires_at = new_vault_token_id(at)
        position, wrong = await asyncio.to_thread(
            vault.unlock,
            workspace_id,
            principal.actor_id,
            session_id,
            token_id,
            expires_at,
            data.pin,
            at,
            actor,
        )
        if wrong is not None:
            await _refused(request, workspace_id, principal.actor_id, wrong, "pin")
        secret = request.app.state.settings.secret
        token = issue_vault_token(
            secret, principal.actor_id, session_id, workspace_id, token_id, expires_at, at
        )
        return Unlocked(vault_token=token, expires_at=expires_at, position=position)


def _session_only(principal: Principal) -> UUID:
    if principal.session_id is None:
        raise ForbiddenError("the vault opens to a member's session, not to an API key")
    return principal.session_id


async def _refused(
    request: Request[Any, Any, State], workspace_id: UUID, user_id: UUID, wrong: PinTry, field: str
) -> None:
    """Answers a wrong PIN: 403, or 429 once it locked the vault (the ADMINs are mailed)."""
    if wrong.locked_until is None:
        raise WrongPinError(wrong.tries_left, field)
    log.warning("vault locked", user_id=str(user_id), until=wrong.locked_until.isoformat())
    await _mail_admins(request, workspace_id, user_id, wrong.locked_until)
    raise VaultLockedError(wrong.locked_until, now())


async def _mail_admins(
    request: Request[Any, Any, State], workspace_id: UUID, user_id: UUID, until: datetime
) -> None:
    state = request.app.state
    workspaces: Workspaces = state.workspaces
    identity: Identity = state.identity
    mailer: Mailer = state.mailer
    workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
    locked = await asyncio.to_thread(identity.get_user, user_id)
    for member, role in workspace.members.items():
        if role is not Role.ADMIN:
            continue
        admin = await asyncio.to_thread(identity.get_user, member)
        if not admin.email:
            continue
        await mailer.send(
            Mail(
                admin.email,
                f"Vault locked in {workspace.name}",
                f"{TRIES_BEFORE_LOCK} wrong PINs in a row locked the vault of {locked.name} "
                f"in the workspace {workspace.name!r} until {until:%Y-%m-%d %H:%M} UTC.\n"
                "If this was not them, someone may be trying to open the vault.",
            )
        )


class VaultController(Controller):
    """Every route here needs the session's vault token."""

    path = "/api/workspaces/{workspace_id:uuid}/vault"
    tags = ["vault"]
    opt = {"access": Access.EDITOR}
    dependencies = {"vault_token": Provide(provide_vault_token, sync_to_thread=False)}

    @post("/records", status_code=201)
    async def create_record(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[CreateRecord],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
        x_vault_token: VaultTokenHeader = None,
    ) -> RecordSaved:
        """Title, fields and notes are sealed (AES-256-GCM) before they are recorded."""
        record, position = await asyncio.to_thread(
            vault.create_record,
            new_id(request, principal, "vault-record"),
            workspace_id,
            data.type,
            data.title,
            dict(data.fields),
            data.notes,
            data.visible_to_beneficiaries,
            actor,
        )
        return _saved(record, position)

    @get("/records/{record_id:uuid}")
    async def view_record(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        x_vault_token: VaultTokenHeader = None,
    ) -> RecordOut:
        """The record decrypted; the read is recorded (``RecordViewed``: by whom, when, from
        which session) and listed by ``GET …/vault/access-log``."""
        record, opened, position = await asyncio.to_thread(
            vault.view_record, workspace_id, record_id, vault_token.session_id, actor
        )
        names = await asyncio.to_thread(vault.attachment_names, record)
        return RecordOut(
            id=record.id,
            type=record.type.value,
            title=opened.title,
            fields=opened.fields,
            notes=opened.notes,
            visible_to_beneficiaries=record.visible_to_beneficiaries,
            attachments=[msgspec.convert(n, VaultAttachment) for n in names],
            version=record.version,
            created_at=record.created_on,
            updated_at=record.modified_on,
            position=position,
        )

    @patch("/records/{record_id:uuid}")
    async def change_record(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        data: JSONBody[ChangeRecord],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
        x_vault_token: VaultTokenHeader = None,
    ) -> RecordSaved:
        """Sealed afresh, bound to the new version; ``If-Match`` → 412 when stale."""
        changes = {
            n: getattr(data, n) for n in data.__struct_fields__ if getattr(data, n) is not UNSET
        }
        if "fields" in changes:
            changes["fields"] = dict(changes["fields"])
        record, position = await asyncio.to_thread(
            vault.change_record, workspace_id, record_id, changes, _version(if_match), actor
        )
        return _saved(record, position)

    @delete("/records/{record_id:uuid}", status_code=200)
    async def delete_record(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
        x_vault_token: VaultTokenHeader = None,
    ) -> Removed:
        """Soft: its history stays, sealed."""
        position = await asyncio.to_thread(
            vault.delete_record, workspace_id, record_id, _version(if_match), actor
        )
        return Removed(id=record_id, position=position)

    @post(
        "/records/{record_id:uuid}/attachments",
        status_code=201,
        request_max_body_size=MAX_VAULT_FILE_BYTES + 65_536,
    )
    async def attach_vault_file(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        data: Annotated[VaultFileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
        x_vault_token: VaultTokenHeader = None,
    ) -> VaultAttachment:
        """Any file up to 5 MB, sealed before it is stored (the store keeps ciphertext)."""
        content = await data.file.read(MAX_VAULT_FILE_BYTES + 1)
        if len(content) > MAX_VAULT_FILE_BYTES:
            raise HTTPException(f"the file is over {MAX_VAULT_FILE_BYTES} bytes", status_code=413)
        attachment_id = new_id(request, principal, "vault-attachment")
        sealed = await asyncio.to_thread(
            vault.seal_attachment, workspace_id, record_id, attachment_id, content
        )
        digest = await request.app.state.blobs.put(sealed)
        file_name = _file_name(data.file.filename)
        media_type = _media_type(data.file.content_type)
        await asyncio.to_thread(
            vault.attach,
            workspace_id,
            record_id,
            attachment_id,
            digest,
            len(content),
            file_name,
            media_type,
            actor,
        )
        return VaultAttachment(
            id=attachment_id, file_name=file_name, media_type=media_type, size=len(content)
        )

    @get("/records/{record_id:uuid}/attachments/{attachment_id:uuid}")
    async def download_vault_file(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        attachment_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
        x_vault_token: VaultTokenHeader = None,
    ) -> Response[bytes]:
        """The file decrypted, as a download; recorded as a view of the record."""
        record = await asyncio.to_thread(vault.get_record, workspace_id, record_id)
        kept = record.attachments.get(attachment_id)
        if kept is None:
            raise HTTPException("no such attachment", status_code=404)
        sealed = await request.app.state.blobs.get(kept["sha256"])
        if sealed is None:
            raise HTTPException("the attachment's contents are missing", status_code=404)
        content = await asyncio.to_thread(vault.open_attachment, record, attachment_id, sealed)
        names = {n["id"]: n for n in await asyncio.to_thread(vault.attachment_names, record)}
        await asyncio.to_thread(
            vault.view_record, workspace_id, record_id, vault_token.session_id, actor
        )
        name = names[attachment_id]
        return Response(
            content,
            media_type=name["media_type"],
            headers={"Content-Disposition": f'attachment; filename="{_ascii(name["file_name"])}"'},
        )

    @delete("/records/{record_id:uuid}/attachments/{attachment_id:uuid}", status_code=200)
    async def detach_vault_file(
        self,
        workspace_id: FromPath[UUID],
        record_id: FromPath[UUID],
        attachment_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        x_vault_token: VaultTokenHeader = None,
    ) -> Removed:
        position = await asyncio.to_thread(
            vault.detach, workspace_id, record_id, attachment_id, actor
        )
        return Removed(id=attachment_id, position=position)

    @post("/dms", status_code=200)
    async def configure_switch(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[ConfigureSwitch],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        x_vault_token: VaultTokenHeader = None,
    ) -> SwitchOut:
        """Sets the dead man's switch (counts as a check-in). Disabling it cancels a
        triggered release: every link dies at once."""
        switch, position = await asyncio.to_thread(
            vault.configure_switch,
            workspace_id,
            data.check_in_interval_days,
            data.grace_period_days,
            data.enabled,
            now(),
            actor,
        )
        return _switch_out(switch, position)

    @get("/dms")
    async def get_switch(
        self,
        workspace_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        x_vault_token: VaultTokenHeader = None,
    ) -> SwitchOut:
        switch = await asyncio.to_thread(vault.get_switch, workspace_id)
        return _switch_out(switch, 0)

    @post("/check-in", status_code=200)
    async def check_in(
        self,
        workspace_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        x_vault_token: VaultTokenHeader = None,
    ) -> SwitchOut:
        """A sign of life. Within the grace period after the switch triggered, it cancels
        it and every release link it sent; later, 409 (disable the switch instead)."""
        switch, position = await asyncio.to_thread(vault.check_in, workspace_id, now(), actor)
        return _switch_out(switch, position)

    @post("/beneficiaries", status_code=201)
    async def add_beneficiary(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[AddBeneficiary],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
        x_vault_token: VaultTokenHeader = None,
    ) -> BeneficiaryOut:
        """Sealed like a record; the beneficiary is mailed a confirmation token and gets
        nothing until they confirm it (``POST /api/vault-beneficiaries/confirm``)."""
        count = await _beneficiary_count(request, workspace_id)
        person = {
            "name": data.name,
            "email": data.email,
            "relationship": data.relationship,
            "notes": data.notes,
        }
        records = None if data.records == "all" else tuple(data.records)
        beneficiary, position = await asyncio.to_thread(
            vault.add_beneficiary,
            new_id(request, principal, "vault-beneficiary"),
            workspace_id,
            person,
            records,
            count,
            actor,
        )
        sent = await _mail_confirmation(request, vault, beneficiary) if position else None
        return await _beneficiary_out(vault, beneficiary, sent, position)

    @patch("/beneficiaries/{beneficiary_id:uuid}")
    async def change_beneficiary(
        self,
        workspace_id: FromPath[UUID],
        beneficiary_id: FromPath[UUID],
        data: JSONBody[ChangeBeneficiary],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
        x_vault_token: VaultTokenHeader = None,
    ) -> BeneficiaryOut:
        changes = {
            n: getattr(data, n) for n in data.__struct_fields__ if getattr(data, n) is not UNSET
        }
        if "records" in changes:
            changes["records"] = None if data.records == "all" else tuple(changes["records"])
        beneficiary, email_changed, position = await asyncio.to_thread(
            vault.change_beneficiary, workspace_id, beneficiary_id, changes, actor
        )
        sent = await _mail_confirmation(request, vault, beneficiary) if email_changed else None
        return await _beneficiary_out(vault, beneficiary, sent, position)

    @delete("/beneficiaries/{beneficiary_id:uuid}", status_code=200)
    async def remove_beneficiary(
        self,
        workspace_id: FromPath[UUID],
        beneficiary_id: FromPath[UUID],
        vault: NamedDependency[Vault],
        vault_token: NamedDependency[VaultToken],
        actor: NamedDependency[Actor],
        x_vault_token: VaultTokenHeader = None,
    ) -> Removed:
        """A removed beneficiary's release links stop working at once."""
        position = await asyncio.to_thread(
            vault.remove_beneficiary, workspace_id, beneficiary_id, actor
        )
        return Removed(id=beneficiary_id, position=position)


async def _beneficiary_count(request: Request[Any, Any, State], workspace_id: UUID) -> int:
    return await vault_index.beneficiary_count(request.app.state.pool, workspace_id)


async def _mail_confirmation(
    request: Request[Any, Any, State], vault: Vault, beneficiary: Any
) -> bool:
    person = await asyncio.to_thread(vault.person, beneficiary)
    token = vault.confirmation_token(beneficiary)
    workspace = await asyncio.to_thread(
        request.app.state.workspaces.get_workspace, beneficiary.workspace_id
    )
    mailer: Mailer = request.app.state.mailer
    return await mailer.send(
        Mail(
            person["email"],
            "Confirm you are a beneficiary on centsource",
            f"{person['name']}, the workspace {workspace.name!r} names you as a beneficiary of "
            "its vault: should they stop checking in, you will be sent a link to what they "
            "left you.\nConfirm your email with POST /api/vault-beneficiaries/confirm and "
            f"this token:\n{token}\n",
        )
    )


async def _beneficiary_out(
    vault: Vault, beneficiary: Any, sent: bool | None, position: int
) -> BeneficiaryOut:
    person = await asyncio.to_thread(vault.person, beneficiary)
    return BeneficiaryOut(
        id=beneficiary.id,
        name=person["name"],
        email=person["email"],
        relationship=person["relationship"],
        records="all" if beneficiary.records is None else list(beneficiary.records),
        notes=person.get("notes"),
        confirmed=beneficiary.confirmed,
        confirmation_sent=sent,
        version=beneficiary.version,
        position=position,
    )


def _saved(record: Record, position: int) -> RecordSaved:
    return RecordSaved(
        id=record.id,
        type=record.type.value,
        visible_to_beneficiaries=record.visible_to_beneficiaries,
        version=record.version,
        position=position,
    )


def _switch_out(switch: Switch, position: int) -> SwitchOut:
    return SwitchOut(
        check_in_interval_days=switch.check_in_interval_days,
        grace_period_days=switch.grace_period_days,
        enabled=switch.enabled,
        last_check_in=switch.last_check_in,
        reminder_at=switch.remind_at,
        due_at=switch.due_at,
        triggered_at=switch.triggered_at,
        cancellable_until=switch.cancellable_until,
        version=switch.version,
        position=position,
    )


def _media_type(declared: str | None) -> str:
    """What the client said it is, if it reads as type/subtype; else octet-stream."""
    kind = (declared or "").split(";")[0].strip().lower()
    main, _, sub = kind.partition("/")
    if (
        main
        and sub
        and len(kind) <= 100
        and all(c.isalnum() or c in "-+.!#$&^_" for c in main + sub)
    ):
        return kind
    return "application/octet-stream"


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
