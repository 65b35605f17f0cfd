"""A release: a triggered switch's one-time link for one beneficiary, valid 30 days, opened
with a code mailed apart; five wrong codes end it, as does the switch's cancellation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked
from domain.vault.switch import RELEASE_DAYS

CODE_TRIES = 5


class ReleaseGoneError(DomainError):
    status = 410


class Release(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        beneficiary_id: UUID
        expires_at: datetime

    @event(Created)
    def __init__(self, workspace_id: UUID, beneficiary_id: UUID, expires_at: datetime) -> None:
        self.workspace_id = workspace_id
        self.beneficiary_id = beneficiary_id
        self.expires_at = expires_at
        self.wrong_codes = 0
        self.revoked = False
        self.opened = 0

    @classmethod
    def create(
        cls,
        release_id: UUID,
        workspace_id: UUID,
        beneficiary_id: UUID,
        now: datetime,
        by: Actor,
    ) -> Release:
        return cls._create(
            cls.Created,
            id=release_id,
            workspace_id=workspace_id,
            beneficiary_id=beneficiary_id,
            expires_at=now + timedelta(days=RELEASE_DAYS),
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    def check_usable(self, now: datetime) -> None:
        if self.revoked:
            raise ReleaseGoneError("this release was cancelled")
        if now >= self.expires_at:
            raise ReleaseGoneError("this release link has expired")
        if self.wrong_codes >= CODE_TRIES:
            raise ReleaseGoneError("too many wrong codes: this release link is spent")

    class CodeRefused(Tracked.Event):
        wrong_codes: int

    def refuse_code(self, now: datetime, by: Actor) -> None:
        self.check_usable(now)
        self._trigger(self.CodeRefused, by, wrong_codes=self.wrong_codes + 1)

    @event(CodeRefused)
    def _code_refused(self, wrong_codes: int) -> None:
        self.wrong_codes = wrong_codes

    class Opened(Tracked.Event):
        record_ids: tuple[UUID, ...]

    def open(self, record_ids: tuple[UUID, ...], now: datetime, by: Actor) -> None:
        self.check_usable(now)
        self._trigger(self.Opened, by, record_ids=record_ids)

    @event(Opened)
    def _opened(self, **_: Any) -> None:
        self.opened += 1

    class Revoked(Tracked.Event):
        pass

    def revoke(self, by: Actor) -> None:
        if not self.revoked:
            self._trigger(self.Revoked, by)

    @event(Revoked)
    def _revoked(self) -> None:
        self.revoked = True
