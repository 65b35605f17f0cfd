"""The Identity application: sign-ups and devices, sessions, passwords, codes and system roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.utils import EnvType

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from domain.identity.session import REUSED, RefreshTokenReusedError, Session
from domain.identity.user import (
    INSTALLATION_ID,
    EmailAddress,
    Installation,
    SystemRole,
    User,
    WrongCodeError,
    device_user_id,
    email_address_id,
    user_id_for,
)

REFRESH_LIFETIME = timedelta(days=30)
CODE_LIFETIME = timedelta(minutes=15)
CODE_RACE_RETRIES = 10
WRONG_CREDENTIALS = "email or password is wrong"


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_id: UUID
    refresh_token: str
    position: int


@dataclass(frozen=True)
class CodeIssued:
    """A one-time code to mail; only its keyed hash is stored."""

    user: User
    code: str
    position: int


class Identity(CentsourceApplication):
    def __init__(self, env: EnvType | None, hasher: PasswordHasher, code_key: str) -> None:
        super().__init__(env)
        self.hasher = hasher
        self.code_key = code_key.encode()

    def sign_up(
        self, email: str, name: str, password: str, correlation_id: str
    ) -> tuple[User, int]:
        self._check_email_free(email)
        password_hash = self.hasher.hash(password)
        first = self.find(Installation, INSTALLATION_ID) is None
        try:
            return self._sign_up(email, name, password_hash, correlation_id, first)
        except ConflictError:
            if not first:
                raise
        # Another first sign-up founded the installation meanwhile: this one is a user like
        # any later one (when its email is still free), not a second first ADMIN.
        self._check_email_free(email)
        return self._sign_up(email, name, password_hash, correlation_id, first=False)

    def _sign_up(
        self, email: str, name: str, password_hash: str, correlation_id: str, first: bool
    ) -> tuple[User, int]:
        user = User.sign_up(email, name, password_hash, correlation_id)
        by = user.actor(correlation_id)
        changed: list[Aggregate] = [user, EmailAddress.claim(email, user.id, by)]
        if first:
            user.change_system_role(SystemRole.ADMIN, by)
            changed.append(Installation.found(user, correlation_id))
        return user, self.save_all(*changed)

    def register_device(self, client_id: UUID | None, correlation_id: str) -> LoggedIn:
        """A device user and a session; the same client id again logs the same device in."""
        client_id = client_id or uuid4()
        user = self.find(User, device_user_id(client_id))
        if user is None:
            user = User.register_device(client_id, correlation_id)
        elif not user.is_device:
            raise ConflictError("this device's user has an email; log in with it", "client_id")
        return self._start_session(user, correlation_id)

    def log_in(self, email: str, password: str, correlation_id: str) -> LoggedIn:
        user = self._find_by_email(email)
        if user is None or user.password_hash is None:
            self.hasher.hash(password)  # as slow as a wrong password, so emails can't be probed
            raise UnauthorizedError(WRONG_CREDENTIALS)
        if not self.hasher.verify(user.password_hash, password):
            raise UnauthorizedError(WRONG_CREDENTIALS)
        return self._start_session(user, correlation_id)

    def refresh(self, refresh_token: str, correlation_id: str) -> LoggedIn:
        """A refresh token works once: it ends its session and starts the next one.

        A spent one that comes back ends the session its refreshes lead to, and is refused
        with RefreshTokenReusedError. Two refreshes racing with one token are not a reuse:
        the second to commit is a ConflictError and gets no tokens (no grace period).
        """
        session_id, _, secret = refresh_token.partition(".")
        try:
            session = self.find(Session, UUID(session_id))
        except ValueError:
            session = None
        if session is None:
            raise UnauthorizedError("refresh token is not valid")
        try:
            session.check_secret(secret, _now())
        except RefreshTokenReusedError as reuse:
            self._end_after_reuse(reuse, correlation_id)
            raise
        user = self.get_user(session.user_id)
        user.check_session_start(session.started_at)
        by = Actor(user.id, correlation_id)
        successor, logged_in = self._new_session(user, correlation_id)
        session.refresh_into(successor, by)
        return replace(logged_in, position=self.save_all(user, session, successor))

    def _end_after_reuse(self, reuse: RefreshTokenReusedError, correlation_id: str) -> None:
        """Follows the refreshes from the reused session to the live one and ends it.

        A refresh of that live session committed meanwhile makes ending it a conflict; then
        the walk goes on to the session that refresh started.
        """
        by = Actor(reuse.user_id, correlation_id)
        successor_id = reuse.successor_id
        while successor_id is not None:
            session = self.find(Session, successor_id)
            if session is None:
                return
            if not session.ended:
                session.end(REUSED, by)
                try:
                    self.save_all(session)
                except ConflictError:
                    continue  # load it again: it was refreshed (or logged out) meanwhile
                reuse.ended_session_id = session.id
                return
            successor_id = session.successor_id

    def log_out(self, session_id: UUID, by: Actor) -> int:
        session = self.find(Session, session_id)
        if session is None:
            raise UnauthorizedError("no such session")
        session.end("logged out", by)
        return self.save_all(session)

    def authenticate(self, user_id: UUID, session_id: UUID) -> User:
        """The user of a live session: ended, or started before a password change, is refused."""
        session = self.find(Session, session_id)
        if session is None or session.user_id != user_id:
            raise UnauthorizedError("no such session")
        session.check_live()
        user = self.get_user(user_id)
        user.check_session_start(session.started_at)
        return user

    def rename(self, user_id: UUID, name: str, by: Actor) -> tuple[User, int]:
        user = self.get_user(user_id)
        user.rename(name, by)
        return user, self.save_all(user)

    def change_password(self, user_id: UUID, current: str, new: str, by: Actor) -> LoggedIn:
        """Ends every session of the user, this one too, and starts a fresh one."""
        user = self.get_user(user_id)
        if user.password_hash is None or not self.hasher.verify(user.password_hash, current):
            raise UnauthorizedError("the current password is wrong")
        user.change_password(self.hasher.hash(new), _now(), by)
        return self._start_session(user, by.correlation_id)

    def attach_credentials(
        self, user_id: UUID, email: str, name: str, password: str, by: Actor
    ) -> tuple[User, int]:
        user = self.get_user(user_id)
        if not user.is_device:
            raise ConflictError("this user has an email and password already", "email")
        self._check_email_free(email)
        user.attach_credentials(email, name, self.hasher.hash(password), by)
        return user, self.save_all(user, EmailAddress.claim(email, user.id, by))

    def request_email_verification(self, user_id: UUID, by: Actor) -> CodeIssued:
        user = self.get_user(user_id)
        code = _new_code()
        user.request_email_verification(self._code_hash(user, code), _now() + CODE_LIFETIME, by)
        return CodeIssued(user, code, self.save_all(user))

    def verify_email(self, user_id: UUID, code: str, by: Actor) -> tuple[User, int]:
        return self._try_code(
            user_id, lambda user: user.verify_email(self._code_hash(user, code), _now(), by)
        )

    def request_password_reset(self, email: str, correlation_id: str) -> CodeIssued | None:
        """None when no user has the email: the caller must answer the same either way."""
        user = self._find_by_email(email)
        if user is None:
            return None
        code = _new_code()
        user.request_password_reset(
            self._code_hash(user, code), _now() + CODE_LIFETIME, user.actor(correlation_id)
        )
        return CodeIssued(user, code, self.save_all(user))

    def reset_password(self, email: str, code: str, password: str, correlation_id: str) -> int:
        password_hash = self.hasher.hash(password)  # before the lookup: as slow for any email
        found = self._find_by_email(email)
        if found is None:  # the same answer as a wrong code
            raise WrongCodeError
        _, position = self._try_code(
            found.id,
            lambda user: user.reset_password(
                self._code_hash(user, code), password_hash, _now(), user.actor(correlation_id)
            ),
        )
        return position

    def _try_code(self, user_id: UUID, attempt: Callable[[User], None]) -> tuple[User, int]:
        """Tries a mailed code on the user and saves the outcome, a wrong try too.

        A try that loses a race to another is made again on the newer user (whose code may
        have died meanwhile): concurrent guesses all count, and none is answered unsaved.
        """
        for _ in range(CODE_RACE_RETRIES):
            user = self.get_user(user_id)
            try:
                attempt(user)
            except WrongCodeError:
                try:
                    self.save_all(user)
                except ConflictError:
                    continue
                raise
            try:
                return user, self.save_all(user)
            except ConflictError:
                continue
        # As for a right code as for a wrong one, so it tells a guesser nothing.
        raise ConflictError("the code was tried by many requests at once; try again")

    def change_system_role(self, email: str, role: SystemRole, by: Actor) -> tuple[User, int]:
        user = self._find_by_email(email)
        if user is None:
            raise NotFoundError("no user has this email", "email")
        user.change_system_role(role, by)
        return user, self.save_all(user)

    def find_user_id(self, email: str) -> UUID | None:
        user = self._find_by_email(email)
        return None if user is None else user.id

    def get_user(self, user_id: UUID) -> User:
        user = self.find(User, user_id)
        if user is None:
            raise NotFoundError("no such user")
        return user

    def _start_session(self, user: User, correlation_id: str) -> LoggedIn:
        session, logged_in = self._new_session(user, correlation_id)
        return replace(logged_in, position=self.save_all(user, session))

    def _new_session(self, user: User, correlation_id: str) -> tuple[Session, LoggedIn]:
        """A session not saved yet, and what its user gets (position 0 until it is saved)."""
        secret = secrets.token_urlsafe(32)
        session = Session.start(
            user.id, secret, _now() + REFRESH_LIFETIME, user.actor(correlation_id)
        )
        return session, LoggedIn(user, session.id, f"{session.id}.{secret}", 0)

    def _check_email_free(self, email: str) -> None:
        if self._find_by_email(email) is not None:
            raise ConflictError("an account with this email exists", "email")

    def _find_by_email(self, email: str) -> User | None:
        claim = self.find(EmailAddress, email_address_id(email))
        # Users who signed up before emails were claimed have the email's natural id.
        return self.find(User, claim.user_id if claim else user_id_for(email))

    def _code_hash(self, user: User, code: str) -> str:
        return hmac.new(self.code_key, f"{user.id}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _now() -> datetime:
    return datetime.now(UTC)
