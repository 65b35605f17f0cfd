"""The Webhooks application: subscriptions, and what the dispatcher or a person asks of them."""

from __future__ import annotations

from uuid import UUID

from domain.base import Actor, CentsourceApplication, NotFoundError, natural_id
from domain.webhooks.subscription import WebhookSubscription

# The dispatcher is the actor when a subscriber's 410 Gone disables its subscription.
DISPATCHER_ACTOR_ID = natural_id("process", "webhooks")


class Webhooks(CentsourceApplication):
    def subscribe(
        self,
        subscription_id: UUID,
        workspace_id: UUID,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        by: Actor,
    ) -> tuple[WebhookSubscription, int]:
        existing = self.find(WebhookSubscription, subscription_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0  # a retry of the same idempotent command
        subscription = WebhookSubscription.create(
            subscription_id, workspace_id, url, event_types, description, by
        )
        return subscription, self.save_all(subscription)

    def get(self, workspace_id: UUID, subscription_id: UUID) -> WebhookSubscription:
        subscription = self.find(WebhookSubscription, subscription_id)
        if (
            subscription is None
            or subscription.workspace_id != workspace_id
            or subscription.deleted
        ):
            raise NotFoundError("no such webhook subscription")
        return subscription

    def save_one(self, subscription: WebhookSubscription) -> tuple[WebhookSubscription, int]:
        return subscription, self.save_all(subscription)

    def disable_gone(self, subscription_id: UUID, reason: str, correlation_id: str) -> int:
        """A subscriber answered 410 Gone: no more deliveries until someone enables it."""
        subscription = self.find(WebhookSubscription, subscription_id)
        if subscription is None or subscription.deleted:
            return 0
        subscription.disable(reason, Actor(DISPATCHER_ACTOR_ID, correlation_id))
        return self.save_all(subscription)
