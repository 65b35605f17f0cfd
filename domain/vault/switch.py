"""A workspace vault's dead man's switch: checked in on by its members; once the check-in
interval and the grace period pass without one, it triggers and releases the vault to the
confirmed beneficiaries by one-time links (``Release``). A check-in within the grace period
after it triggered cancels it, and every link it sent dies at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, InvalidInputError, Tracked, natural_id

RELEASE_DAYS = 30


def switch_id(workspace_id: UUID) -> UUID:
    return natural_id("vault-switch", workspace_id)


def release_id(workspace_id: UUID, triggered_for: datetime, beneficiary_id: UUID) -> UUID:
    """One per trigger and beneficiary: the same whatever restarts or watches trigger it."""
    return natural_id("vault-release", workspace_id, triggered_for.isoformat(), beneficiary_id)


class Switch(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        check_in_interval_days: int
        grace_period_days: int
        enabled: bool
        at: datetime

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        check_in_interval_days: int,
        grace_period_days: int,
        enabled: bool,
        at: datetime,
    ) -> None:
        self.workspace_id = workspace_id
        self.check_in_interval_days = check_in_interval_days
        self.grace_period_days = grace_period_days
        self.enabled = enabled
        self.last_check_in = at  # setting it up is a sign of life
        self.reminded_for: datetime | None = None
        self.triggered_at: datetime | None = None
        self.triggered_for: datetime | None = None
        self.releases: tuple[UUID, ...] = ()

    @classmethod
    def create(
        cls, workspace_id: UUID, interval: int, grace: int, enabled: bool, at: datetime, by: Actor
    ) -> Switch:
        _check(interval, grace)
        return cls._create(
            cls.Created,
            id=switch_id(workspace_id),
            workspace_id=workspace_id,
            check_in_interval_days=interval,
            grace_period_days=grace,
            enabled=enabled,
            at=at,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    @property
    def due_at(self) -> datetime:
        return self.last_check_in + timedelta(
            days=self.check_in_interval_days + self.grace_period_days
        )

    @property
    def remind_at(self) -> datetime:
        """Halfway through the grace period."""
        return self.last_check_in + timedelta(
            days=self.check_in_interval_days + self.grace_period_days / 2
        )

    @property
    def cancellable_until(self) -> datetime | None:
        if self.triggered_at is None:
            return None
        return self.triggered_at + timedelta(days=self.grace_period_days)

    class Configured(Tracked.Event):
        check_in_interval_days: int
        grace_period_days: int
        enabled: bool
        at: datetime

    def configure(self, interval: int, grace: int, enabled: bool, at: datetime, by: Actor) -> None:
        """Changing it counts as a check-in; a triggered switch is only disabled (which
        cancels the release) or cancelled by a check-in."""
        _check(interval, grace)
        if self.triggered_at is not None and enabled:
            raise ConflictError("the switch has triggered: check in to cancel it, or disable it")
        self._trigger(
            self.Configured,
            by,
            check_in_interval_days=interval,
            grace_period_days=grace,
            enabled=enabled,
            at=at,
        )

    @event(Configured)
    def _configured(
        self, check_in_interval_days: int, grace_period_days: int, enabled: bool, at: datetime
    ) -> None:
        self.check_in_interval_days = check_in_interval_days
        self.grace_period_days = grace_period_days
        self.enabled = enabled
        self.last_check_in = at
        if not enabled:
            self._cancel()

    class CheckedIn(Tracked.Event):
        """``cancelled``: it had triggered, and this check-in cancelled it."""

        at: datetime
        cancelled: bool

    def check_in(self, at: datetime, by: Actor) -> bool:
        """True when it cancels a triggered switch (its releases must then be revoked)."""
        cancels = self.triggered_at is not None
        if cancels:
            until = self.cancellable_until
            assert until is not None
            if at >= until:
                raise ConflictError(
                    "the switch triggered more than its grace period ago; disable it to "
                    "revoke the release links"
                )
        self._trigger(self.CheckedIn, by, at=at, cancelled=cancels)
        return cancels

    @event(CheckedIn)
    def _checked_in(self, at: datetime, cancelled: bool) -> None:
        self.last_check_in = at
        if cancelled:
            self._cancel()

    def _cancel(self) -> None:
        self.triggered_at = None
        self.triggered_for = None
        self.releases = ()

    class ReminderSent(Tracked.Event):
        """Members were told to check in before ``due_at``."""

        check_in: datetime
        due_at: datetime

    def remind(self, now: datetime, by: Actor) -> bool:
        """True when a reminder is due now and was not yet recorded for this check-in."""
        if (
            not self.enabled
            or self.triggered_at is not None
            or now < self.remind_at
            or now >= self.due_at
            or self.reminded_for == self.last_check_in
        ):
            return False
        self._trigger(self.ReminderSent, by, check_in=self.last_check_in, due_at=self.due_at)
        return True

    @event(ReminderSent)
    def _reminder_sent(self, check_in: datetime, **_: Any) -> None:
        self.reminded_for = check_in

    class Triggered(Tracked.Event):
        """No check-in since ``last_check_in``: one release per confirmed beneficiary."""

        at: datetime
        last_check_in: datetime
        due_at: datetime
        release_ids: tuple[UUID, ...]
        beneficiary_ids: tuple[UUID, ...]

    def trigger(self, now: datetime, beneficiaries: list[UUID], by: Actor) -> bool:
        """True when it triggers now (it is due, enabled and not triggered yet)."""
        if not self.enabled or self.triggered_at is not None or now < self.due_at:
            return False
        releases = tuple(
            release_id(self.workspace_id, self.last_check_in, b) for b in beneficiaries
        )
        self._trigger(
            self.Triggered,
            by,
            at=now,
            last_check_in=self.last_check_in,
            due_at=self.due_at,
            release_ids=releases,
            beneficiary_ids=tuple(beneficiaries),
        )
        return True

    @event(Triggered)
    def _triggered(
        self, at: datetime, last_check_in: datetime, release_ids: tuple[UUID, ...], **_: Any
    ) -> None:
        self.triggered_at = at
        self.triggered_for = last_check_in
        self.releases = tuple(release_ids)


def _check(interval: int, grace: int) -> None:
    if not 7 <= interval <= 365:
        raise InvalidInputError("7 to 365 days", "check_in_interval_days")
    if not 1 <= grace <= 60:
        raise InvalidInputError("1 to 60 days", "grace_period_days")
