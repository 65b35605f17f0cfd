"""A person who signed up: email, name and a password hash (never the password)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id


def user_id_for(email: str) -> UUID:
    """One user per email: the email (case-folded) is the user's natural key."""
    return natural_id("user", email.strip().casefold())


class User(Tracked):
    class SignedUp(Tracked.Created):
        email: str
        name: str
        password_hash: str

    @event(SignedUp)
    def __init__(self, email: str, name: str, password_hash: str) -> None:
        self.workspace_id = None
        self.email = email
        self.name = name
        self.password_hash = password_hash

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

    def actor(self, correlation_id: str) -> Actor:
        return Actor(self.id, correlation_id)
