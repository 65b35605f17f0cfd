"""The Engagement application: what users do with their notifications."""

from __future__ import annotations

from uuid import UUID

from domain.base import Actor, CentsourceApplication
from domain.engagement.inbox import Inbox


class Engagement(CentsourceApplication):
    def inbox(self, user_id: UUID, by: Actor) -> Inbox:
        inbox = self.find(Inbox, Inbox.id_for(user_id))
        return inbox if inbox is not None else Inbox.open(user_id, by)

    def mark_read(self, user_id: UUID, notification_ids: list[UUID], by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.mark_read(notification_ids, by)
        return self.save_all(inbox)

    def mark_all_read(self, user_id: UUID, by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.mark_all_read(by)
        return self.save_all(inbox)

    def dismiss(self, user_id: UUID, notification_ids: list[UUID], by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.dismiss(notification_ids, by)
        return self.save_all(inbox)
