"""A member's vault PIN in a workspace: set, changed, tried; five wrong tries lock it for 15
minutes, doubling with each lock, until the right PIN is given."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, InvalidInputError, Tracked, natural_id

TRIES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(days=30)
# Chosen by many; refused besides the patterns check_pin finds (repeats, runs, mirrors).
COMMON_PINS = frozenset(
    {
        "696969", "159753", "147258", "258369", "789456", "741852", "852963", "102030",
        "112233", "121212", "131313", "123321", "654456", "520520", "999888", "110110",
        "19701970", "12341234", "11223344", "12344321", "20202020", "147852", "963852",
    }
)  # fmt: skip


class VaultLockedError(DomainError):
    """Too many wrong PINs: answered 429 with Retry-After."""

    status = 429

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__("too many wrong PINs: the vault is locked for you; try again later")
        self.retry_after = max(1, int((until - now).total_seconds() + 0.999))


def pin_id(workspace_id: UUID, user_id: UUID) -> UUID:
    return natural_id("vault-pin", workspace_id, user_id)


def check_pin(pin: str, field: str = "pin") -> None:
    """6 to 8 digits, not one a thief tries first."""
    if not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= 8):
        raise InvalidInputError("a PIN is 6 to 8 digits", field)
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    periodic = any(pin == (pin[:n] * len(pin))[: len(pin)] for n in (1, 2, 3, 4))
    if (
        len(steps) == 1  # 000000, 123456, 987654, 135791
        or periodic  # 121212, 123123, 12341234
        or pin == pin[::-1]  # 123321
        or pin in COMMON_PINS
    ):
        raise InvalidInputError("this PIN is too easy to guess; choose another", field)


class Pin(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        user_id: UUID
        pin_hash: str

    @event(Created)
    def __init__(self, workspace_id: UUID, user_id: UUID, pin_hash: str) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.pin_hash = pin_hash
        self.failures = 0
        self.lockouts = 0
        self.locked_until: datetime | None = None

    @classmethod
    def create(cls, workspace_id: UUID, user_id: UUID, pin_hash: str, by: Actor) -> Pin:
        return cls._create(
            cls.Created,
            id=pin_id(workspace_id, user_id),
            workspace_id=workspace_id,
            user_id=user_id,
            pin_hash=pin_hash,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    def check_open(self, now: datetime) -> None:
        """Refuses any try, right or wrong, while locked."""
        if self.locked_until is not None and now < self.locked_until:
            raise VaultLockedError(self.locked_until, now)

    class Changed(Tracked.Event):
        pin_hash: str

    def change(self, pin_hash: str, by: Actor) -> None:
        self._trigger(self.Changed, by, pin_hash=pin_hash)

    @event(Changed)
    def _changed(self, pin_hash: str) -> None:
        self.pin_hash = pin_hash
        self.failures = 0
        self.lockouts = 0
        self.locked_until = None

    class Failed(Tracked.Event):
        """A wrong PIN; ``failures`` in a row since the last lock or success."""

        failures: int

    class LockedOut(Tracked.Event):
        until: datetime
        lockouts: int

    def fail(self, now: datetime, by: Actor) -> datetime | None:
        """Counts a wrong PIN; the time the vault is locked until, if this try locked it."""
        self.check_open(now)
        self._trigger(self.Failed, by, failures=self.failures + 1)
        if self.failures < TRIES_BEFORE_LOCK:
            return None
        lockouts: int = self.lockouts
        until: datetime = now + min(FIRST_LOCK * 2**lockouts, LONGEST_LOCK)
        self._trigger(self.LockedOut, by, until=until, lockouts=self.lockouts + 1)
        return until

    @event(Failed)
    def _failed(self, failures: int) -> None:
        self.failures = failures

    @event(LockedOut)
    def _locked_out(self, until: datetime, lockouts: int) -> None:
        self.failures = 0
        self.lockouts = lockouts
        self.locked_until = until

    class Unlocked(Tracked.Event):
        """The right PIN: a vault token was handed to this session."""

        session_id: UUID
        token_id: UUID
        expires_at: datetime

    def unlock(
        self, session_id: UUID, token_id: UUID, expires_at: datetime, now: datetime, by: Actor
    ) -> None:
        self.check_open(now)
        self._trigger(
            self.Unlocked, by, session_id=session_id, token_id=token_id, expires_at=expires_at
        )

    @event(Unlocked)
    def _unlocked(self, **_: Any) -> None:
        self.failures = 0
        self.lockouts = 0
        self.locked_until = None
