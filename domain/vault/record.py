"""A vault record: its type in the clear; its title and its body (fields and notes) sealed,
each bound to the workspace, the record and the version that sealed it. Reads are events."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, NotFoundError, Tracked

ATTACHMENTS_MAX = 20


class RecordType(StrEnum):
    INSURANCE = "INSURANCE"
    CRYPTO = "CRYPTO"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    IDENTITY = "IDENTITY"
    DOCUMENT = "DOCUMENT"
    PASSWORD = "PASSWORD"  # noqa: S105 - a kind of record
    NOTE = "NOTE"


class Record(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        """``sealed_title`` and ``sealed_body`` are bound to version 1."""

        type: str
        sealed_title: str
        sealed_body: str
        visible_to_beneficiaries: bool

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        type: str,
        sealed_title: str,
        sealed_body: str,
        visible_to_beneficiaries: bool,
    ) -> None:
        self.workspace_id = workspace_id
        self.type = RecordType(type)
        self.sealed_title = sealed_title
        self.sealed_body = sealed_body
        self.sealed_version = 1
        self.visible_to_beneficiaries = visible_to_beneficiaries
        self.attachments: dict[UUID, dict[str, Any]] = {}
        self.deleted = False

    @classmethod
    def create(
        cls,
        record_id: UUID,
        workspace_id: UUID,
        type: RecordType,
        sealed_title: str,
        sealed_body: str,
        visible_to_beneficiaries: bool,
        by: Actor,
    ) -> Record:
        return cls._create(
            cls.Created,
            id=record_id,
            workspace_id=workspace_id,
            type=type.value,
            sealed_title=sealed_title,
            sealed_body=sealed_body,
            visible_to_beneficiaries=visible_to_beneficiaries,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        """The record as it is now; its sealed values are bound to this event's version."""

        type: str
        sealed_title: str
        sealed_body: str
        visible_to_beneficiaries: bool

    def change(
        self,
        type: RecordType,
        sealed_title: str,
        sealed_body: str,
        visible_to_beneficiaries: bool,
        by: Actor,
    ) -> None:
        self.check_live()
        self._trigger(
            self.Changed,
            by,
            type=type.value,
            sealed_title=sealed_title,
            sealed_body=sealed_body,
            visible_to_beneficiaries=visible_to_beneficiaries,
        )

    @event(Changed)
    def _changed(
        self, type: str, sealed_title: str, sealed_body: str, visible_to_beneficiaries: bool
    ) -> None:
        self.type = RecordType(type)
        self.sealed_title = sealed_title
        self.sealed_body = sealed_body
        self.sealed_version = self.version + 1  # the mutator runs before the version moves
        self.visible_to_beneficiaries = visible_to_beneficiaries

    class Viewed(Tracked.Event):
        """Its decrypted contents were shown: to a member's session (``session_id``) or to a
        beneficiary through a release link (``release_id``; the actor is the beneficiary)."""

        session_id: UUID | None
        release_id: UUID | None

    def view(self, session_id: UUID | None, release_id: UUID | None, by: Actor) -> None:
        self.check_live()
        self._trigger(self.Viewed, by, session_id=session_id, release_id=release_id)

    @event(Viewed)
    def _viewed(self, **_: Any) -> None:
        pass

    class AttachmentAdded(Tracked.Event):
        """The contents are kept sealed, under the SHA-256 of the ciphertext; name and media
        type are sealed too (bound to the attachment's id)."""

        attachment_id: UUID
        sha256: str
        size: int
        sealed_name: str

    def attach(
        self, attachment_id: UUID, sha256: str, size: int, sealed_name: str, by: Actor
    ) -> None:
        self.check_live()
        if attachment_id in self.attachments:
            return  # a retry
        if len(self.attachments) >= ATTACHMENTS_MAX:
            raise ConflictError(f"a record holds at most {ATTACHMENTS_MAX} attachments")
        self._trigger(
            self.AttachmentAdded,
            by,
            attachment_id=attachment_id,
            sha256=sha256,
            size=size,
            sealed_name=sealed_name,
        )

    @event(AttachmentAdded)
    def _attachment_added(
        self, attachment_id: UUID, sha256: str, size: int, sealed_name: str
    ) -> None:
        self.attachments[attachment_id] = {"sha256": sha256, "size": size, "name": sealed_name}

    class AttachmentRemoved(Tracked.Event):
        attachment_id: UUID

    def detach(self, attachment_id: UUID, by: Actor) -> None:
        self.check_live()
        if attachment_id not in self.attachments:
            raise NotFoundError("no such attachment")
        self._trigger(self.AttachmentRemoved, by, attachment_id=attachment_id)

    @event(AttachmentRemoved)
    def _attachment_removed(self, attachment_id: UUID) -> None:
        self.attachments.pop(attachment_id, None)

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        self.check_live()
        self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

    def check_live(self) -> None:
        if self.deleted:
            raise NotFoundError("no such vault record")
