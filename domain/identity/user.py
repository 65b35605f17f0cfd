"""A person or a device using centsource: email, name, password hash (never the password), codes."""

from __future__ import annotations

import hmac
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import (
    Actor,
    ConflictError,
    DomainError,
    Tracked,
    UnauthorizedError,
    natural_id,
    normalize_email,
)

ANONYMOUS_NAME = "Anonymous"
# Wrong tries a mailed code survives: a six-digit code stays a one-in-200,000 guess however
# many requests the rate limits let through (they may be off).
CODE_TRIES = 5
WRONG_CODE = "the code is wrong or has expired; ask for a new one"


class WrongCodeError(DomainError):
    """A code was wrong or dead. The user holds an unsaved event counting the try when a code
    was live: save it before answering, or the try costs an attacker nothing."""

    def __init__(self) -> None:
        super().__init__(WRONG_CODE, "code")


class SystemRole(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


def user_id_for(email: str) -> UUID:
    """A signed-up user's id: the email (case-folded) is its natural key."""
    return natural_id("user", normalize_email(email))


def device_user_id(client_id: UUID) -> UUID:
    return natural_id("device", client_id)


class User(Tracked):
    class SignedUp(Tracked.Created):
        email: str
        name: str
        password_hash: str

    class DeviceRegistered(Tracked.Created):
        client_id: UUID

    # Both creation events construct a user: a device user has no email or password yet.
    def __init__(
        self,
        email: str | None = None,
        name: str = ANONYMOUS_NAME,
        password_hash: str | None = None,
        client_id: UUID | None = None,
    ) -> None:
        self.workspace_id = None
        self.client_id = client_id
        self.email: str | None = email
        self.name = name
        self.password_hash: str | None = password_hash
        self.system_role = SystemRole.USER
        self.email_verified = False
        self.sessions_valid_from: datetime | None = None
        self.verification: tuple[str, datetime] | None = None
        self.verification_misses = 0
        self.reset: tuple[str, datetime] | None = None
        self.reset_misses = 0

    @classmethod
    def sign_up(cls, email: str, name: str, password_hash: str, correlation_id: str) -> User:
        user_id = user_id_for(email)
        return cls._create(
            cls.SignedUp,
            id=user_id,
            workspace_id=None,
            actor_id=user_id,
            correlation_id=correlation_id,
            email=email.strip(),
            name=name.strip(),
            password_hash=password_hash,
        )

    @classmethod
    def register_device(cls, client_id: UUID, correlation_id: str) -> User:
        """An anonymous user known only by a device's id, as a phone app starts."""
        user_id = device_user_id(client_id)
        return cls._create(
            cls.DeviceRegistered,
            id=user_id,
            workspace_id=None,
            actor_id=user_id,
            correlation_id=correlation_id,
            client_id=client_id,
        )

    @property
    def is_device(self) -> bool:
        return self.email is None

    def actor(self, correlation_id: str) -> Actor:
        return Actor(self.id, correlation_id)

    class CredentialsAttached(Tracked.Event):
        email: str
        name: str
        password_hash: str

    def attach_credentials(self, email: str, name: str, password_hash: str, by: Actor) -> None:
        """A device user becomes a signed-up one, keeping its id and so all its data."""
        if not self.is_device:
            raise ConflictError("this user has an email and password already", "email")
        self._trigger(
            self.CredentialsAttached,
            by,
            email=email.strip(),
            name=name.strip(),
            password_hash=password_hash,
        )

    @event(CredentialsAttached)
    def _credentials_attached(self, email: str, name: str, password_hash: str) -> None:
        self.email = email
        self.name = name
        self.password_hash = password_hash

    class Renamed(Tracked.Event):
        name: str

    def rename(self, name: str, by: Actor) -> None:
        if name.strip() != self.name:
            self._trigger(self.Renamed, by, name=name.strip())

    @event(Renamed)
    def _renamed(self, name: str) -> None:
        self.name = name

    class PasswordChanged(Tracked.Event):
        password_hash: str
        sessions_valid_from: datetime

    def change_password(self, password_hash: str, now: datetime, by: Actor) -> None:
        """Every session started before the change stops working, the current one too."""
        self._trigger(
            self.PasswordChanged, by, password_hash=password_hash, sessions_valid_from=now
        )

    @event(PasswordChanged)
    def _password_changed(self, password_hash: str, sessions_valid_from: datetime) -> None:
        self.password_hash = password_hash
        self.sessions_valid_from = sessions_valid_from

    def check_session_start(self, started_at: datetime) -> None:
        if self.sessions_valid_from is not None and started_at < self.sessions_valid_from:
            raise UnauthorizedError("this session ended when the password changed")

    class SystemRoleChanged(Tracked.Event):
        role: str

    def change_system_role(self, role: SystemRole, by: Actor) -> None:
        if role != self.system_role:
            self._trigger(self.SystemRoleChanged, by, role=role.value)

    @event(SystemRoleChanged)
    def _system_role_changed(self, role: str) -> None:
        self.system_role = SystemRole(role)

    class EmailVerificationRequested(Tracked.Event):
        code_hash: str
        expires_at: datetime

    def request_email_verification(self, code_hash: str, expires_at: datetime, by: Actor) -> None:
        if self.email is None:
            raise DomainError("attach an email first", "email")
        if self.email_verified:
            raise ConflictError("the email is verified already", "email")
        self._trigger(
            self.EmailVerificationRequested, by, code_hash=code_hash, expires_at=expires_at
        )

    @event(EmailVerificationRequested)
    def _email_verification_requested(self, code_hash: str, expires_at: datetime) -> None:
        self.verification = (code_hash, expires_at)
        self.verification_misses = 0

    class EmailVerified(Tracked.Event):
        email: str

    class EmailVerificationMissed(Tracked.Event):
        """A wrong code was tried against the live one; the fifth kills it."""

    def verify_email(self, code_hash: str, now: datetime, by: Actor) -> None:
        if not _code_holds(self.verification, self.verification_misses, code_hash, now):
            if _code_live(self.verification, self.verification_misses, now):
                self._trigger(self.EmailVerificationMissed, by)
            raise WrongCodeError
        assert self.email is not None
        self._trigger(self.EmailVerified, by, email=self.email)

    @event(EmailVerificationMissed)
    def _email_verification_missed(self) -> None:
        self.verification_misses += 1

    @event(EmailVerified)
    def _email_verified(self, email: str) -> None:
        self.email_verified = True
        self.verification = None

    class PasswordResetRequested(Tracked.Event):
        code_hash: str
        expires_at: datetime

    def request_password_reset(self, code_hash: str, expires_at: datetime, by: Actor) -> None:
        self._trigger(self.PasswordResetRequested, by, code_hash=code_hash, expires_at=expires_at)

    @event(PasswordResetRequested)
    def _password_reset_requested(self, code_hash: str, expires_at: datetime) -> None:
        self.reset = (code_hash, expires_at)
        self.reset_misses = 0

    class PasswordReset(Tracked.Event):
        password_hash: str
        sessions_valid_from: datetime

    def reset_password(self, code_hash: str, password_hash: str, now: datetime, by: Actor) -> None:
        """As a change of password: every session started before it ends."""
        if not _code_holds(self.reset, self.reset_misses, code_hash, now):
            if _code_live(self.reset, self.reset_misses, now):
                self._trigger(self.PasswordResetMissed, by)
            raise WrongCodeError
        self._trigger(self.PasswordReset, by, password_hash=password_hash, sessions_valid_from=now)

    class PasswordResetMissed(Tracked.Event):
        """A wrong code was tried against the live one; the fifth kills it."""

    @event(PasswordResetMissed)
    def _password_reset_missed(self) -> None:
        self.reset_misses += 1

    @event(PasswordReset)
    def _password_reset(self, password_hash: str, sessions_valid_from: datetime) -> None:
        self.password_hash = password_hash
        self.reset = None
        self.sessions_valid_from = sessions_valid_from


def _code_live(expected: tuple[str, datetime] | None, misses: int, now: datetime) -> bool:
    return expected is not None and misses < CODE_TRIES and now < expected[1]


def _code_holds(
    expected: tuple[str, datetime] | None, misses: int, code_hash: str, now: datetime
) -> bool:
    """One answer for a wrong, an expired, a used or a dead code: none tells an attacker more."""
    if expected is None or not _code_live(expected, misses, now):
        return False
    return hmac.compare_digest(expected[0], code_hash)


class EmailAddress(Tracked):
    """Claims an email for one user, so that no two users (signed up or attached) share it."""

    class Claimed(Tracked.Created):
        user_id: UUID

    @event(Claimed)
    def __init__(self, user_id: UUID) -> None:
        self.workspace_id = None
        self.user_id = user_id

    @classmethod
    def claim(cls, email: str, user_id: UUID, by: Actor) -> EmailAddress:
        return cls._create(
            cls.Claimed,
            id=email_address_id(email),
            workspace_id=None,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            user_id=user_id,
        )


def email_address_id(email: str) -> UUID:
    return natural_id("email", normalize_email(email))


class Installation(Tracked):
    """The installation itself; founded by the first sign-up, who becomes its first ADMIN."""

    class Founded(Tracked.Created):
        first_admin_id: UUID

    @event(Founded)
    def __init__(self, first_admin_id: UUID) -> None:
        self.workspace_id = None
        self.first_admin_id = first_admin_id

    @classmethod
    def found(cls, first_admin: User, correlation_id: str) -> Installation:
        return cls._create(
            cls.Founded,
            id=INSTALLATION_ID,
            workspace_id=None,
            actor_id=first_admin.id,
            correlation_id=correlation_id,
            first_admin_id=first_admin.id,
        )


INSTALLATION_ID = natural_id("installation")
