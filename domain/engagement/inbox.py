"""A user's inbox: which of their notifications they have read or dismissed."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked, natural_id

MAX_AT_ONCE = 500


class Inbox(Tracked):
    """One per user (``natural_id(user_id, "inbox")``). Notifications themselves are a read
    model of what happened; only what the user does with them is recorded here."""

    class Opened(Tracked.Created):
        user_id: UUID

    @event(Opened)
    def __init__(self, user_id: UUID) -> None:
        self.workspace_id = None
        self.user_id = user_id

    @staticmethod
    def id_for(user_id: UUID) -> UUID:
        return natural_id(user_id, "inbox")

    @classmethod
    def open(cls, user_id: UUID, by: Actor) -> Inbox:
        return cls._create(
            cls.Opened,
            id=cls.id_for(user_id),
            workspace_id=None,
            user_id=user_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Read(Tracked.Event):
        notification_ids: tuple[UUID, ...]

    def mark_read(self, notification_ids: list[UUID], by: Actor) -> None:
        _check(notification_ids)
        self._trigger(self.Read, by, notification_ids=tuple(notification_ids))

    @event(Read)
    def _read(self, notification_ids: tuple[UUID, ...]) -> None:
        pass

    class AllRead(Tracked.Event):
        """Every notification of an event before this one is read."""

    def mark_all_read(self, by: Actor) -> None:
        self._trigger(self.AllRead, by)

    @event(AllRead)
    def _all_read(self) -> None:
        pass

    class Dismissed(Tracked.Event):
        notification_ids: tuple[UUID, ...]

    def dismiss(self, notification_ids: list[UUID], by: Actor) -> None:
        _check(notification_ids)
        self._trigger(self.Dismissed, by, notification_ids=tuple(notification_ids))

    @event(Dismissed)
    def _dismissed(self, notification_ids: tuple[UUID, ...]) -> None:
        pass


def _check(notification_ids: list[UUID]) -> None:
    if not 1 <= len(notification_ids) <= MAX_AT_ONCE:
        raise DomainError(f"name 1 to {MAX_AT_ONCE} notifications", "notification_ids")
