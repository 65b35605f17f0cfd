"""An API key: a server-to-server credential for one workspace, acting with one role."""

from __future__ import annotations

import hmac
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, NotFoundError, Tracked, UnauthorizedError, hash_secret
from domain.workspaces.workspace import Role


class ApiKey(Tracked):
    class Created(Tracked.Created):
        name: str
        role: str
        prefix: str
        secret_hash: str

    @event(Created)
    def __init__(
        self, workspace_id: UUID, name: str, role: str, prefix: str, secret_hash: str
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.role = Role(role)
        self.prefix = prefix
        self.secret_hash = secret_hash
        self.revoked = False

    @classmethod
    def create(
        cls,
        key_id: UUID,
        workspace_id: UUID,
        name: str,
        role: Role,
        prefix: str,
        secret: str,
        by: Actor,
    ) -> ApiKey:
        return cls._create(
            cls.Created,
            id=key_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            name=name.strip(),
            role=role.value,
            prefix=prefix,
            secret_hash=hash_secret(secret),
        )

    def check_secret(self, secret: str) -> None:
        if self.revoked or not hmac.compare_digest(self.secret_hash, hash_secret(secret)):
            raise UnauthorizedError("the API key is not valid")

    class Revoked(Tracked.Event):
        pass

    def revoke(self, by: Actor) -> None:
        if self.revoked:
            raise NotFoundError("no such API key")
        self._trigger(self.Revoked, by)

    @event(Revoked)
    def _revoked(self) -> None:
        self.revoked = True
