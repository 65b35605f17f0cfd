"""A login session: the hash of its refresh secret; a refresh ends it and starts the next."""

from __future__ import annotations

import hmac
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import Actor, Tracked, UnauthorizedError, hash_secret


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
        self.check_live()
        if not hmac.compare_digest(self.secret_hash, hash_secret(secret)):
            raise UnauthorizedError("refresh token is not valid")
        if now >= self.expires_at:
            raise UnauthorizedError("refresh token has expired")

    class Ended(Tracked.Event):
        reason: str

    def end(self, reason: str, by: Actor) -> None:
        """Logged out or refreshed: its refresh token and its access tokens stop working."""
        self.check_live()
        self._trigger(self.Ended, by, reason=reason)

    @event(Ended)
    def _ended(self, reason: str) -> None:
        self.ended = True

    # Sessions used to rotate their secret in place; a stored Rotated must still load.
    class Rotated(Tracked.Event):
        secret_hash: str
        expires_at: datetime

    @event(Rotated)
    def _rotated(self, secret_hash: str, expires_at: datetime) -> None:
        self.secret_hash = secret_hash
        self.expires_at = expires_at
