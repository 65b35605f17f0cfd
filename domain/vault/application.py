"""The Vault application: keys, PINs, records, the dead man's switch, beneficiaries and
releases. Plaintext exists only in memory here; what is saved is sealed by the workspace's
data key, bound to what it is and where it belongs (see ``ports.aad``)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import EnvType, get_topic

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    check_version,
    natural_id,
    normalize_email,
)
from domain.vault.beneficiary import BENEFICIARIES_MAX, Beneficiary
from domain.vault.key import VaultKey, key_id
from domain.vault.pin import TRIES_BEFORE_LOCK, Pin, check_pin, pin_id
from domain.vault.ports import Cipher, Keys, aad
from domain.vault.record import Record, RecordType
from domain.vault.release import Release, ReleaseGoneError
from domain.vault.switch import Switch, switch_id

# The vault_watch process is the actor of the reminders, triggers and releases it records.
VAULT_WATCH_ACTOR_ID = natural_id("process", "vault_watch")
RELEASE = "vault-release"


def confirm_purpose(beneficiary: Beneficiary) -> str:
    return f"vault-beneficiary-confirm|{beneficiary.invitation}"


class WrongPinError(ForbiddenError):
    def __init__(self, tries_left: int, field: str = "pin") -> None:
        super().__init__(f"wrong PIN; {tries_left} tries before the vault locks", field)


class WrongCodeError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("wrong code", "code")


@dataclass(frozen=True)
class PinTry:
    """A wrong PIN's outcome: saved at ``position``; ``locked_until`` when it locked."""

    position: int
    locked_until: datetime | None
    tries_left: int


@dataclass(frozen=True)
class Opened:
    """A record's decrypted contents."""

    title: str
    fields: dict[str, str]
    notes: str | None


class Vault(CentsourceApplication):
    def __init__(self, env: EnvType | None, keys: Keys) -> None:
        super().__init__(env)
        self.keys = keys

    # Keys

    def cipher(self, workspace_id: UUID) -> Cipher:
        key = self.find(VaultKey, key_id(workspace_id))
        if key is None:
            raise ConflictError("this workspace has no vault yet: set a PIN first")
        return self.keys.cipher(workspace_id, key.salt, key.wrapped_key)

    def _key(self, workspace_id: UUID, by: Actor) -> VaultKey:
        key = self.find(VaultKey, key_id(workspace_id))
        if key is None:
            salt, wrapped = self.keys.new_key(workspace_id)
            key = VaultKey.create(workspace_id, salt, wrapped, by)
        return key

    def key_ids(self) -> list[UUID]:
        """Every vault key's id (one per workspace with a vault), for a rewrap."""
        found: list[UUID] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(
                start, 1000, topics=[get_topic(VaultKey.Created)]
            )
            found += [UUID(str(n.originator_id)) for n in page]
            if len(page) < 1000:
                return found
            start = page[-1].id + 1

    def rewrap(
        self, key: UUID, rewrap: Callable[[UUID, str, str], tuple[str, str]], by: Actor
    ) -> bool:
        """Rewraps a key with ``rewrap(workspace_id, salt, wrapped) -> (salt, wrapped)``;
        False (and nothing saved) when it already opens with the current server key."""
        found = self.find(VaultKey, key)
        if found is None:
            return False
        if self.keys.opens(found.workspace_id, found.salt, found.wrapped_key):
            return False
        salt, wrapped = rewrap(found.workspace_id, found.salt, found.wrapped_key)
        found.rewrap(salt, wrapped, by)
        self.save_all(found)
        return True

    # PINs

    def set_pin(
        self,
        workspace_id: UUID,
        user_id: UUID,
        pin: str,
        old_pin: str | None,
        now: datetime,
        by: Actor,
    ) -> tuple[int, PinTry | None]:
        """The position; with a wrong old PIN, also the saved wrong try (nothing else)."""
        check_pin(pin)
        key = self._key(workspace_id, by)
        cipher = self.keys.cipher(workspace_id, key.salt, key.wrapped_key)
        peppered = cipher.pepper(f"{user_id}|{pin}")
        existing = self.find(Pin, pin_id(workspace_id, user_id))
        if existing is None:
            created = Pin.create(workspace_id, user_id, self.keys.hash_pin(peppered), by)
            return self.save_all(key, created), None
        if old_pin is None:
            raise InvalidInputError("changing a PIN needs the old one", "old_pin")
        existing.check_open(now)
        if not self.keys.verify_pin(existing.pin_hash, cipher.pepper(f"{user_id}|{old_pin}")):
            return 0, self._wrong(existing, now, by)
        existing.change(self.keys.hash_pin(peppered), by)
        return self.save_all(existing), None

    def unlock(
        self,
        workspace_id: UUID,
        user_id: UUID,
        session_id: UUID,
        token_id: UUID,
        expires_at: datetime,
        pin: str,
        now: datetime,
        by: Actor,
    ) -> tuple[int, PinTry | None]:
        """Records the unlock (and a check-in of the switch), or the wrong try."""
        found = self.find(Pin, pin_id(workspace_id, user_id))
        if found is None:
            raise ConflictError("set a vault PIN first", "pin")
        found.check_open(now)
        cipher = self.cipher(workspace_id)
        if not self.keys.verify_pin(found.pin_hash, cipher.pepper(f"{user_id}|{pin}")):
            return 0, self._wrong(found, now, by)
        found.unlock(session_id, token_id, expires_at, now, by)
        changed: list[Any] = [found]
        switch = self.find(Switch, switch_id(workspace_id))
        if switch is not None and switch.enabled:
            changed += self._check_in(switch, now, by, strict=False)
        return self.save_all(*changed), None

    def _wrong(self, pin: Pin, now: datetime, by: Actor) -> PinTry:
        locked_until = pin.fail(now, by)
        position = self.save_all(pin)
        return PinTry(position, locked_until, TRIES_BEFORE_LOCK - pin.failures)

    # Records

    def create_record(
        self,
        record_id: UUID,
        workspace_id: UUID,
        type: RecordType,
        title: str,
        fields: dict[str, str],
        notes: str | None,
        visible_to_beneficiaries: bool,
        by: Actor,
    ) -> tuple[Record, int]:
        existing = self.find(Record, record_id)
        if existing is not None:
            if existing.workspace_id != workspace_id:
                raise ConflictError("this Idempotency-Key names another record")
            return existing, 0
        cipher = self.cipher(workspace_id)
        title_sealed, body_sealed = _seal_record(
            cipher, workspace_id, record_id, 1, title, fields, notes
        )
        record = Record.create(
            record_id,
            workspace_id,
            type,
            title_sealed,
            body_sealed,
            visible_to_beneficiaries,
            by,
        )
        return record, self.save_all(record)

    def get_record(
        self, workspace_id: UUID, record_id: UUID, expected_version: int | None = None
    ) -> Record:
        record = self.find(Record, record_id)
        if record is None or record.workspace_id != workspace_id or record.deleted:
            raise NotFoundError("no such vault record")
        check_version(record, expected_version)
        return record

    def open_record(self, record: Record, cipher: Cipher | None = None) -> Opened:
        cipher = cipher or self.cipher(record.workspace_id)
        ws, version = record.workspace_id, record.sealed_version
        title = cipher.open(record.sealed_title, aad("title", ws, record.id, version)).decode()
        body = json.loads(cipher.open(record.sealed_body, aad("body", ws, record.id, version)))
        return Opened(title=title, fields=dict(body["fields"]), notes=body["notes"])

    def view_record(
        self, workspace_id: UUID, record_id: UUID, session_id: UUID, by: Actor
    ) -> tuple[Record, Opened, int]:
        """The record decrypted; the view is on the record (``RecordViewed``)."""
        record = self.get_record(workspace_id, record_id)
        opened = self.open_record(record)
        record.view(session_id, None, by)
        return record, opened, self.save_all(record)

    def change_record(
        self,
        workspace_id: UUID,
        record_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None,
        by: Actor,
    ) -> tuple[Record, int]:
        """``changes``: any of type, title, fields, notes, visible_to_beneficiaries."""
        record = self.get_record(workspace_id, record_id, expected_version)
        cipher = self.cipher(workspace_id)
        now = self.open_record(record, cipher)
        title = changes.get("title", now.title)
        fields = changes.get("fields", now.fields)
        notes = changes.get("notes", now.notes)
        type = RecordType(changes.get("type", record.type))
        visible = changes.get("visible_to_beneficiaries", record.visible_to_beneficiaries)
        title_sealed, body_sealed = _seal_record(
            cipher, workspace_id, record_id, record.version + 1, title, fields, notes
        )
        record.change(type, title_sealed, body_sealed, visible, by)
        return record, self.save_all(record)

    def delete_record(
        self, workspace_id: UUID, record_id: UUID, expected_version: int | None, by: Actor
    ) -> int:
        record = self.get_record(workspace_id, record_id, expected_version)
        record.delete(by)
        return self.save_all(record)

    def seal_attachment(
        self, workspace_id: UUID, record_id: UUID, attachment_id: UUID, content: bytes
    ) -> bytes:
        """The attachment's contents sealed, to be stored before ``attach`` names them."""
        self.get_record(workspace_id, record_id)
        cipher = self.cipher(workspace_id)
        return cipher.seal(content, aad("attachment", workspace_id, attachment_id, 1)).encode()

    def attach(
        self,
        workspace_id: UUID,
        record_id: UUID,
        attachment_id: UUID,
        sha256: str,
        size: int,
        file_name: str,
        media_type: str,
        by: Actor,
    ) -> tuple[Record, int]:
        record = self.get_record(workspace_id, record_id)
        cipher = self.cipher(workspace_id)
        name = json.dumps({"file_name": file_name, "media_type": media_type}).encode()
        sealed_name = cipher.seal(name, aad("attachment-name", workspace_id, attachment_id, 1))
        record.attach(attachment_id, sha256, size, sealed_name, by)
        return record, self.save_all(record)

    def attachment_names(
        self, record: Record, cipher: Cipher | None = None
    ) -> list[dict[str, Any]]:
        cipher = cipher or self.cipher(record.workspace_id)
        found = []
        for attachment_id, kept in record.attachments.items():
            meta = json.loads(
                cipher.open(
                    kept["name"], aad("attachment-name", record.workspace_id, attachment_id, 1)
                )
            )
            found.append({"id": attachment_id, "size": kept["size"], **meta})
        return found

    def open_attachment(self, record: Record, attachment_id: UUID, sealed: bytes) -> bytes:
        cipher = self.cipher(record.workspace_id)
        return cipher.open(
            sealed.decode(), aad("attachment", record.workspace_id, attachment_id, 1)
        )

    def detach(self, workspace_id: UUID, record_id: UUID, attachment_id: UUID, by: Actor) -> int:
        record = self.get_record(workspace_id, record_id)
        record.detach(attachment_id, by)
        return self.save_all(record)

    # The dead man's switch

    def configure_switch(
        self,
        workspace_id: UUID,
        interval: int,
        grace: int,
        enabled: bool,
        now: datetime,
        by: Actor,
    ) -> tuple[Switch, int]:
        switch = self.find(Switch, switch_id(workspace_id))
        if switch is None:
            switch = Switch.create(workspace_id, interval, grace, enabled, now, by)
            return switch, self.save_all(switch)
        releases = self._releases(switch) if not enabled else []
        switch.configure(interval, grace, enabled, now, by)
        for release in releases:
            release.revoke(by)
        return switch, self.save_all(switch, *releases)

    def get_switch(self, workspace_id: UUID) -> Switch:
        switch = self.find(Switch, switch_id(workspace_id))
        if switch is None:
            raise NotFoundError("this vault has no dead man's switch")
        return switch

    def check_in(self, workspace_id: UUID, now: datetime, by: Actor) -> tuple[Switch, int]:
        switch = self.get_switch(workspace_id)
        changed = self._check_in(switch, now, by, strict=True)
        return switch, self.save_all(*changed)

    def _check_in(self, switch: Switch, now: datetime, by: Actor, strict: bool) -> list[Any]:
        """The switch and the releases its cancellation revokes. Not strict (an unlock),
        a check-in past the cancellation window records nothing on the switch."""
        releases = self._releases(switch)
        try:
            cancels = switch.check_in(now, by)
        except ConflictError:
            if strict:
                raise
            return []
        if cancels:
            for release in releases:
                release.revoke(by)
            return [switch, *releases]
        return [switch]

    def _releases(self, switch: Switch) -> list[Release]:
        return [r for r in (self.find(Release, i) for i in switch.releases) if r is not None]

    def remind(self, workspace_id: UUID, now: datetime, by: Actor) -> Switch | None:
        """The switch when a reminder is due and now recorded; else None."""
        switch = self.find(Switch, switch_id(workspace_id))
        if switch is None or not switch.remind(now, by):
            return None
        self.save_all(switch)
        return switch

    def trigger(
        self, workspace_id: UUID, beneficiary_ids: list[UUID], now: datetime, by: Actor
    ) -> Switch | None:
        """Triggers a due switch, with a release for each confirmed beneficiary (of those
        named); None when it is not due or already triggered."""
        switch = self.find(Switch, switch_id(workspace_id))
        if switch is None:
            return None
        confirmed = [
            b.id
            for b in (self.find(Beneficiary, i) for i in sorted(set(beneficiary_ids)))
            if b is not None and b.workspace_id == workspace_id and b.confirmed and not b.removed
        ]
        if not switch.trigger(now, confirmed, by):
            return None
        releases = [
            Release.create(r, workspace_id, b, now, by)
            for r, b in zip(switch.releases, confirmed, strict=True)
        ]
        self.save_all(switch, *releases)
        return switch

    # Beneficiaries

    def add_beneficiary(
        self,
        beneficiary_id: UUID,
        workspace_id: UUID,
        person: dict[str, Any],
        records: tuple[UUID, ...] | None,
        count: int,
        by: Actor,
    ) -> tuple[Beneficiary, int]:
        """``person``: name, email, relationship, notes. ``count``: beneficiaries already."""
        existing = self.find(Beneficiary, beneficiary_id)
        if existing is not None:
            if existing.workspace_id != workspace_id:
                raise ConflictError("this Idempotency-Key names another beneficiary")
            return existing, 0
        if count >= BENEFICIARIES_MAX:
            raise DomainError(f"a vault has at most {BENEFICIARIES_MAX} beneficiaries")
        self._check_records(workspace_id, records)
        cipher = self.cipher(workspace_id)
        sealed = _seal_person(cipher, workspace_id, beneficiary_id, 1, person)
        beneficiary = Beneficiary.create(beneficiary_id, workspace_id, sealed, records, by)
        return beneficiary, self.save_all(beneficiary)

    def get_beneficiary(self, workspace_id: UUID, beneficiary_id: UUID) -> Beneficiary:
        found = self.find(Beneficiary, beneficiary_id)
        if found is None or found.workspace_id != workspace_id or found.removed:
            raise NotFoundError("no such beneficiary")
        return found

    def person(self, beneficiary: Beneficiary, cipher: Cipher | None = None) -> dict[str, Any]:
        cipher = cipher or self.cipher(beneficiary.workspace_id)
        sealed_for = aad(
            "beneficiary", beneficiary.workspace_id, beneficiary.id, beneficiary.sealed_version
        )
        person: dict[str, Any] = json.loads(cipher.open(beneficiary.sealed, sealed_for))
        return person

    def change_beneficiary(
        self,
        workspace_id: UUID,
        beneficiary_id: UUID,
        changes: dict[str, Any],
        by: Actor,
    ) -> tuple[Beneficiary, bool, int]:
        """``changes``: any of name, email, relationship, notes, records (None: all).
        Also whether the email changed (a new confirmation is due)."""
        beneficiary = self.get_beneficiary(workspace_id, beneficiary_id)
        cipher = self.cipher(workspace_id)
        person = self.person(beneficiary, cipher)
        email_changed = "email" in changes and normalize_email(changes["email"]) != normalize_email(
            person["email"]
        )
        person.update({k: v for k, v in changes.items() if k != "records"})
        records = changes.get("records", beneficiary.records)
        self._check_records(workspace_id, records)
        sealed = _seal_person(cipher, workspace_id, beneficiary_id, beneficiary.version + 1, person)
        beneficiary.change(sealed, records, email_changed, by)
        return beneficiary, email_changed, self.save_all(beneficiary)

    def remove_beneficiary(self, workspace_id: UUID, beneficiary_id: UUID, by: Actor) -> int:
        beneficiary = self.get_beneficiary(workspace_id, beneficiary_id)
        beneficiary.remove(by)
        return self.save_all(beneficiary)

    def confirmation_token(self, beneficiary: Beneficiary) -> str:
        return self.keys.link_token(confirm_purpose(beneficiary), beneficiary.id)

    def confirm_beneficiary(self, token: str, correlation_id: str) -> tuple[Beneficiary, int]:
        raw_id, _, _ = token.partition(".")
        try:
            beneficiary = self.find(Beneficiary, UUID(hex=raw_id))
        except ValueError:
            beneficiary = None
        if beneficiary is None or beneficiary.removed:
            raise NotFoundError("no such confirmation", "token")
        if not hmac.compare_digest(self.confirmation_token(beneficiary), token):
            raise NotFoundError("no such confirmation", "token")
        beneficiary.confirm(Actor(beneficiary.id, correlation_id))
        return beneficiary, self.save_all(beneficiary)

    def _check_records(self, workspace_id: UUID, records: tuple[UUID, ...] | None) -> None:
        for record_id in records or ():
            found = self.find(Record, record_id)
            if found is None or found.workspace_id != workspace_id or found.deleted:
                raise NotFoundError("no such vault record", "records")

    # Releases

    def release_link(self, release_id: UUID) -> tuple[str, str]:
        """The link's token and its code, as mailed (derived: nothing secret is stored)."""
        return self.keys.link_token(RELEASE, release_id), self.keys.link_code(release_id)

    def get_release(self, release_id: UUID) -> Release | None:
        return self.find(Release, release_id)

    def open_release(
        self,
        token: str,
        code: str,
        record_ids: list[UUID],
        now: datetime,
        correlation_id: str,
    ) -> tuple[list[tuple[Record, Opened]], int]:
        """The records released to the link's beneficiary, decrypted, each view recorded;
        ``record_ids``: the workspace's records (from the read model)."""
        release_id = self.keys.link_id(RELEASE, token)
        release = None if release_id is None else self.find(Release, release_id)
        if release is None:
            raise NotFoundError("no such release")
        by = Actor(release.beneficiary_id, correlation_id)
        release.check_usable(now)
        if not hmac.compare_digest(self.keys.link_code(release.id), code):
            release.refuse_code(now, by)
            self.save_all(release)
            raise WrongCodeError()
        beneficiary = self.find(Beneficiary, release.beneficiary_id)
        if beneficiary is None or beneficiary.removed:
            raise ReleaseGoneError("this beneficiary was removed")
        cipher = self.cipher(release.workspace_id)
        shown: list[tuple[Record, Opened]] = []
        for record_id in dict.fromkeys(record_ids):
            record = self.find(Record, record_id)
            if (
                record is None
                or record.workspace_id != release.workspace_id
                or record.deleted
                or not record.visible_to_beneficiaries
                or not beneficiary.receives(record.id)
            ):
                continue
            shown.append((record, self.open_record(record, cipher)))
            record.view(None, release.id, by)
        release.open(tuple(r.id for r, _ in shown), now, by)
        return shown, self.save_all(release, *(r for r, _ in shown))


def _seal_record(
    cipher: Cipher,
    workspace_id: UUID,
    record_id: UUID,
    version: int,
    title: str,
    fields: dict[str, str],
    notes: str | None,
) -> tuple[str, str]:
    body = json.dumps({"fields": fields, "notes": notes}, ensure_ascii=False).encode()
    return (
        cipher.seal(title.encode(), aad("title", workspace_id, record_id, version)),
        cipher.seal(body, aad("body", workspace_id, record_id, version)),
    )


def _seal_person(
    cipher: Cipher, workspace_id: UUID, beneficiary_id: UUID, version: int, person: dict[str, Any]
) -> str:
    plain = json.dumps(person, ensure_ascii=False).encode()
    return cipher.seal(plain, aad("beneficiary", workspace_id, beneficiary_id, version))
