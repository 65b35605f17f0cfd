"""Vault records' types and sealed titles, beneficiaries, wrapped keys and the access log."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from domain.vault.beneficiary import Beneficiary
from domain.vault.key import VaultKey
from domain.vault.pin import Pin
from domain.vault.record import Record
from domain.vault.release import Release
from projections.runtime import Cursor, Projection, handles
from projections.vault.view import TABLES


class VaultProjection(Projection):
    name = "vault"
    tables = TABLES

    @handles(VaultKey.Created, VaultKey.Rewrapped)
    async def on_key(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO vault_keys (workspace_id, salt, wrapped_key) VALUES (%s, %s, %s) "
            "ON CONFLICT (workspace_id) DO UPDATE SET salt = excluded.salt, "
            "wrapped_key = excluded.wrapped_key",
            (event.workspace_id, event.salt, event.wrapped_key),
        )

    @handles(Record.Created)
    async def on_record_created(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO vault_records (id, workspace_id, type, sealed_title, sealed_version, "
            "visible_to_beneficiaries, version, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, 1, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                event.type,
                event.sealed_title,
                event.visible_to_beneficiaries,
                event.originator_version,
                event.timestamp,
                event.timestamp,
            ),
        )

    @handles(Record.Changed)
    async def on_record_changed(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE vault_records SET type = %s, sealed_title = %s, sealed_version = %s, "
            "visible_to_beneficiaries = %s, version = %s, updated_at = %s WHERE id = %s",
            (
                event.type,
                event.sealed_title,
                event.originator_version,
                event.visible_to_beneficiaries,
                event.originator_version,
                event.timestamp,
                event.originator_id,
            ),
        )

    @handles(Record.AttachmentAdded, Record.AttachmentRemoved, Record.Deleted)
    async def on_record_touched(self, cur: Cursor, event: Any, position: int) -> None:
        step = {"AttachmentAdded": 1, "AttachmentRemoved": -1}.get(type(event).__name__, 0)
        await cur.execute(
            "UPDATE vault_records SET attachments = attachments + %s, version = %s, "
            "updated_at = %s, deleted = deleted OR %s WHERE id = %s",
            (
                step,
                event.originator_version,
                event.timestamp,
                isinstance(event, Record.Deleted),
                event.originator_id,
            ),
        )

    @handles(Record.Viewed)
    async def on_record_viewed(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE vault_records SET version = %s WHERE id = %s",
            (event.originator_version, event.originator_id),
        )
        await _log(cur, position, event, "VIEWED", event.originator_id, event.session_id)

    @handles(Pin.Unlocked)
    async def on_unlocked(self, cur: Cursor, event: Any, position: int) -> None:
        await _log(cur, position, event, "UNLOCKED", None, event.session_id)

    @handles(Pin.LockedOut)
    async def on_locked_out(self, cur: Cursor, event: Any, position: int) -> None:
        await _log(cur, position, event, "LOCKED_OUT", None, None)

    @handles(Release.Opened)
    async def on_release_opened(self, cur: Cursor, event: Any, position: int) -> None:
        await _log(cur, position, event, "RELEASE_OPENED", None, None)

    @handles(Beneficiary.Created, Beneficiary.Changed)
    async def on_beneficiary(self, cur: Cursor, event: Any, position: int) -> None:
        records = None if event.records is None else Jsonb([str(r) for r in event.records])
        created = isinstance(event, Beneficiary.Created)
        await cur.execute(
            "INSERT INTO vault_beneficiaries (id, workspace_id, sealed, sealed_version, "
            "records, version) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
            "SET sealed = excluded.sealed, sealed_version = excluded.sealed_version, "
            "records = excluded.records, version = excluded.version, "
            "confirmed = vault_beneficiaries.confirmed AND NOT %s",
            (
                event.originator_id,
                event.workspace_id,
                event.sealed,
                event.originator_version,
                records,
                event.originator_version,
                not created and bool(event.email_changed),
            ),
        )

    @handles(Beneficiary.Confirmed, Beneficiary.Removed)
    async def on_beneficiary_state(self, cur: Cursor, event: Any, position: int) -> None:
        confirmed = isinstance(event, Beneficiary.Confirmed)
        await cur.execute(
            "UPDATE vault_beneficiaries SET confirmed = confirmed OR %s, "
            "removed = removed OR %s, version = %s WHERE id = %s",
            (confirmed, not confirmed, event.originator_version, event.originator_id),
        )


async def _log(
    cur: Cursor, position: int, event: Any, action: str, record_id: Any, session_id: Any
) -> None:
    await cur.execute(
        "INSERT INTO vault_access_log (position, workspace_id, action, actor_id, record_id, "
        "session_id, release_id, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (position) DO NOTHING",
        (
            position,
            event.workspace_id,
            action,
            event.actor_id,
            record_id,
            session_id,
            getattr(event, "release_id", None)
            or (event.originator_id if action == "RELEASE_OPENED" else None),
            event.timestamp,
        ),
    )
