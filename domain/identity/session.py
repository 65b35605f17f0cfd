"""A login session: the hash of its refresh secret, rotated at every refresh."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import event

from domain.base import Actor, Tracked, UnauthorizedError


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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

    def check_secret(self, secret: str, now: datetime) -> None:
        if not hmac.compare_digest(self.secret_hash, hash_secret(secret)):
            raise UnauthorizedError("refresh token is not valid")
        if now >= self.expires_at:
            raise UnauthorizedError("refresh token has expired")

    class Rotated(Tracked.Event):
        secret_hash: str
        expires_at: datetime

    def rotate(
        self, old_secret: str, new_secret: str, now: datetime, expires_at: datetime, by: Actor
    ) -> None:
        """A refresh secret works once: using it replaces it."""
        self.check_secret(old_secret, now)
        self._trigger(
            self.Rotated,
            by,
            secret_hash=hash_secret(new_secret),
            expires_at=expires_at,
        )

    @event(Rotated)
    def _rotated(self, secret_hash: str, expires_at: datetime) -> None:
        self.secret_hash = secret_hash
        self.expires_at = expires_at
