"""A workspace, its base currency and its members with their roles."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ForbiddenError, NotFoundError, Tracked
from domain.money import check_currency


class Role(StrEnum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class Workspace(Tracked):
    class Created(Tracked.Created):
        name: str
        base_currency: str
        creator_id: UUID

    @event(Created)
    def __init__(self, name: str, base_currency: str, creator_id: UUID) -> None:
        self.name = name
        self.base_currency = base_currency
        self.members: dict[UUID, Role] = {creator_id: Role.ADMIN}

    @classmethod
    def create(cls, workspace_id: UUID, name: str, base_currency: str, by: Actor) -> Workspace:
        check_currency(base_currency, "base_currency")
        return cls._create(
            cls.Created,
            id=workspace_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            name=name.strip(),
            base_currency=base_currency,
            creator_id=by.actor_id,
        )

    def check_access(self, user_id: UUID, required: Role) -> Role:
        """Non-members must not learn that the workspace exists; members lacking the role may."""
        role = self.members.get(user_id)
        if role is None:
            raise NotFoundError("no such workspace")
        if not role.allows(required):
            raise ForbiddenError(f"this needs the {required.value} role; you are {role.value}")
        return role
