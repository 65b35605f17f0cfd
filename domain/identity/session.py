"""A login session: the hash of its refresh secret; a refresh ends it and starts the next."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import Actor, Tracked, UnauthorizedError, hash_secret

REFRESHED = "refreshed"
REUSED = "refresh token reused"


class RefreshTokenReusedError(UnauthorizedError):
    """A spent refresh token came back: whoever holds it may be a thief (OAuth 2.0 Security
    BCP, 4.14.2), so the session it was refreshed into must end too."""

    def __init__(self, session: Session) -> None:
        super().__init__("this refresh token was used already; the session has ended, log in again")
        self.session_id = session.id
        self.user_id = session.user_id
        self.successor_id = session.successor_id
        self.ended_session_id: UUID | None = None  # the live session it ended, if any


class Session(Tracked):
    class Started(Tracked.Created):
        user_id: UUID
        secret_hash: str
        expires_at: datetime

    @event(Started)
    def __init__(self, user_id: UUID, secret_hash: str, expires_at: datetime) -> None:
        self.workspace_id = None
        self.user_id = user_id
        self.secret_hash = secret_hash
        self.expires_at = expires_at
        self.ended = False
        self.successor_id: UUID | None = None

    @classmethod
    def start(cls, user_id: UUID, secret: str, expires_at: datetime, by: Actor) -> Session:
        return cls._create(
            cls.Started,
            id=uuid4(),
            workspace_id=None,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            user_id=user_id,
            secret_hash=hash_secret(secret),
            expires_at=expires_at,
        )

    @property
    def started_at(self) -> datetime:
        return self.created_on

    def check_live(self) -> None:
        if self.ended:
            raise UnauthorizedError("this session has ended; log in again")

    def check_secret(self, secret: str, now: datetime) -> None:
        matches = hmac.compare_digest(self.secret_hash, hash_secret(secret))
        if matches and self.successor_id is not None:
            raise RefreshTokenReusedError(self)
        self.check_live()
        if not matches:
            raise UnauthorizedError("refresh token is not valid")
        if now >= self.expires_at:
            raise UnauthorizedError("refresh token has expired")

    class Ended(Tracked.Event):
        class_version = 2

        reason: str
        successor_id: UUID | None  # the session a refresh started in its place

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["successor_id"] = None

    def end(self, reason: str, by: Actor) -> None:
        """Logged out, or a spent refresh token came back: its refresh token and its access
        tokens stop working."""
        self.check_live()
        self._trigger(self.Ended, by, reason=reason, successor_id=None)

    def refresh_into(self, successor: Session, by: Actor) -> None:
        """Ends in favour of the next session, remembered so a reuse of this one's refresh
        token can find and end the session that the thief or the owner now holds."""
        self.check_live()
        self._trigger(self.Ended, by, reason=REFRESHED, successor_id=successor.id)

    @event(Ended)
    def _ended(self, reason: str, successor_id: UUID | None) -> None:
        self.ended = True
        self.successor_id = successor_id

    # Sessions used to rotate their secret in place; a stored Rotated must still load.
    class Rotated(Tracked.Event):
        secret_hash: str
        expires_at: datetime

    @event(Rotated)
    def _rotated(self, secret_hash: str, expires_at: datetime) -> None:
        self.secret_hash = secret_hash
        self.expires_at = expires_at
