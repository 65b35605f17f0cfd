"""The Identity application: sign up, log in, refresh a session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import EnvType

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from domain.identity.session import Session
from domain.identity.user import User, user_id_for

REFRESH_LIFETIME = timedelta(days=30)


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_id: UUID
    refresh_token: str
    position: int


class Identity(CentsourceApplication):
    def __init__(self, env: EnvType | None, hasher: PasswordHasher) -> None:
        super().__init__(env)
        self.hasher = hasher

    def sign_up(
        self, email: str, name: str, password: str, correlation_id: str
    ) -> tuple[User, int]:
        if self._find_user(user_id_for(email)) is not None:
            raise ConflictError("an account with this email exists", "email")
        user = User.sign_up(email, name, self.hasher.hash(password), correlation_id)
        return user, self.save_all(user)

    def log_in(self, email: str, password: str, correlation_id: str) -> LoggedIn:
        user = self._find_user(user_id_for(email))
        if user is None:
            self.hasher.hash(password)  # as slow as a wrong password, so emails can't be probed
            raise UnauthorizedError("email or password is wrong")
        if not self.hasher.verify(user.password_hash, password):
            raise UnauthorizedError("email or password is wrong")
        secret = secrets.token_urlsafe(32)
        session = Session.start(
            user.id, secret, _now() + REFRESH_LIFETIME, user.actor(correlation_id)
        )
        position = self.save_all(session)
        return LoggedIn(user, session.id, f"{session.id}.{secret}", position)

    def refresh(self, refresh_token: str, correlation_id: str) -> LoggedIn:
        session_id, _, secret = refresh_token.partition(".")
        try:
            session: Session = self.repository.get(UUID(session_id))
        except (ValueError, AggregateNotFoundError):
            raise UnauthorizedError("refresh token is not valid") from None
        new_secret = secrets.token_urlsafe(32)
        now = _now()
        session.rotate(
            secret,
            new_secret,
            now,
            now + REFRESH_LIFETIME,
            Actor(session.user_id, correlation_id),
        )
        position = self.save_all(session)
        return LoggedIn(
            self.get_user(session.user_id), session.id, f"{session.id}.{new_secret}", position
        )

    def get_user(self, user_id: UUID) -> User:
        user = self._find_user(user_id)
        if user is None:
            raise NotFoundError("no such user")
        return user

    def _find_user(self, user_id: UUID) -> User | None:
        try:
            user: User = self.repository.get(user_id)
        except AggregateNotFoundError:
            return None
        return user


def _now() -> datetime:
    return datetime.now(UTC)
