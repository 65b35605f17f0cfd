"""A beneficiary of a workspace's vault: who they are (sealed: name, email, relationship,
notes), which records they are to receive, and whether they confirmed their email."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, Tracked

BENEFICIARIES_MAX = 20


class Beneficiary(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        """``records``: the ids released to them, or None for every record shown to
        beneficiaries. ``sealed`` is bound to version 1."""

        sealed: str
        records: tuple[UUID, ...] | None

    @event(Created)
    def __init__(self, workspace_id: UUID, sealed: str, records: tuple[UUID, ...] | None) -> None:
        self.workspace_id = workspace_id
        self.sealed = sealed
        self.sealed_version = 1
        self.records = None if records is None else tuple(records)
        self.invitation = 1  # bumped by each change of email: an older link no longer confirms
        self.confirmed = False
        self.removed = False

    @classmethod
    def create(
        cls,
        beneficiary_id: UUID,
        workspace_id: UUID,
        sealed: str,
        records: tuple[UUID, ...] | None,
        by: Actor,
    ) -> Beneficiary:
        return cls._create(
            cls.Created,
            id=beneficiary_id,
            workspace_id=workspace_id,
            sealed=sealed,
            records=records,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        """``email_changed``: they must confirm the new email before any release."""

        sealed: str
        records: tuple[UUID, ...] | None
        email_changed: bool

    def change(
        self, sealed: str, records: tuple[UUID, ...] | None, email_changed: bool, by: Actor
    ) -> None:
        self.check_live()
        self._trigger(self.Changed, by, sealed=sealed, records=records, email_changed=email_changed)

    @event(Changed)
    def _changed(self, sealed: str, records: tuple[UUID, ...] | None, email_changed: bool) -> None:
        self.sealed = sealed
        self.sealed_version = self.version + 1  # the mutator runs before the version moves
        self.records = None if records is None else tuple(records)
        if email_changed:
            self.invitation += 1
            self.confirmed = False

    class Confirmed(Tracked.Event):
        invitation: int

    def confirm(self, by: Actor) -> None:
        self.check_live()
        if not self.confirmed:
            self._trigger(self.Confirmed, by, invitation=self.invitation)

    @event(Confirmed)
    def _confirmed(self, **_: Any) -> None:
        self.confirmed = True

    class Removed(Tracked.Event):
        pass

    def remove(self, by: Actor) -> None:
        self.check_live()
        self._trigger(self.Removed, by)

    @event(Removed)
    def _removed(self) -> None:
        self.removed = True

    def check_live(self) -> None:
        if self.removed:
            raise ConflictError("the beneficiary was removed")

    def receives(self, record_id: UUID) -> bool:
        return self.records is None or record_id in self.records
