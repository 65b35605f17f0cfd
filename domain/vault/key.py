"""A workspace vault's data key, as stored: wrapped by a key derived from the server's secret
key and this salt. Rewrapping (a new server key) changes the wrapping, never the data key."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id


def key_id(workspace_id: UUID) -> UUID:
    return natural_id("vault-key", workspace_id)


class VaultKey(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        salt: str
        wrapped_key: str

    @event(Created)
    def __init__(self, workspace_id: UUID, salt: str, wrapped_key: str) -> None:
        self.workspace_id = workspace_id
        self.salt = salt
        self.wrapped_key = wrapped_key

    @classmethod
    def create(cls, workspace_id: UUID, salt: str, wrapped_key: str, by: Actor) -> VaultKey:
        return cls._create(
            cls.Created,
            id=key_id(workspace_id),
            workspace_id=workspace_id,
            salt=salt,
            wrapped_key=wrapped_key,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Rewrapped(Tracked.Event):
        salt: str
        wrapped_key: str

    def rewrap(self, salt: str, wrapped_key: str, by: Actor) -> None:
        self._trigger(self.Rewrapped, by, salt=salt, wrapped_key=wrapped_key)

    @event(Rewrapped)
    def _rewrapped(self, salt: str, wrapped_key: str) -> None:
        self.salt = salt
        self.wrapped_key = wrapped_key
