"""A webhook subscription: a URL, the public event types it wants, and what signs them."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked

# The public event types, and nothing else, can be subscribed to.
PUBLIC_EVENT_TYPES = (
    "transaction.created",
    "transaction.updated",
    "transaction.deleted",
    "budget.threshold_reached",
    "budget.exceeded",
    "alert.triggered",
    "goal.completed",
    "account.balance_updated",
    "member.invited",
    "transaction.flagged",
    "badge.earned",
    "challenge.completed",
    "vault.switch_triggered",
)


def check_subscription(url: str, event_types: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise DomainError("a webhook URL is an http:// or https:// URL", "url")
    if parts.username or parts.password:
        raise DomainError("a webhook URL carries no credentials; the signature proves us", "url")
    unknown = sorted(set(event_types) - set(PUBLIC_EVENT_TYPES))
    if unknown:
        raise DomainError(
            f"unknown event types {', '.join(unknown)}; known: {', '.join(PUBLIC_EVENT_TYPES)}",
            "event_types",
        )


class WebhookSubscription(Tracked):
    """The signing secret is never stored: it is derived from the server's secret key and
    ``secret_salt`` (infra/webhooks.py), so the event log alone cannot forge a signature."""

    class Created(Tracked.Created):
        url: str
        event_types: tuple[str, ...]  # none: every public type
        description: str | None
        secret_salt: str

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        secret_salt: str,
    ) -> None:
        self.workspace_id = workspace_id
        self.url = url
        self.event_types = tuple(event_types)
        self.description = description
        self.secret_salt = secret_salt
        self.enabled = True
        self.disabled_reason: str | None = None
        self.deleted = False

    @classmethod
    def create(
        cls,
        subscription_id: UUID,
        workspace_id: UUID,
        url: str,
        event_types: tuple[str, ...],
        description: str | None,
        by: Actor,
    ) -> WebhookSubscription:
        check_subscription(url, event_types)
        return cls._create(
            cls.Created,
            id=subscription_id,
            workspace_id=workspace_id,
            url=url,
            event_types=event_types,
            description=description,
            secret_salt=secrets.token_hex(16),
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        url: str
        event_types: tuple[str, ...]
        description: str | None

    def change(
        self, url: str, event_types: tuple[str, ...], description: str | None, by: Actor
    ) -> None:
        self.check_live()
        check_subscription(url, event_types)
        if (url, tuple(event_types), description) != (self.url, self.event_types, self.description):
            self._trigger(
                self.Changed, by, url=url, event_types=event_types, description=description
            )

    @event(Changed)
    def _changed(self, url: str, event_types: tuple[str, ...], description: str | None) -> None:
        self.url = url
        self.event_types = tuple(event_types)
        self.description = description

    class Disabled(Tracked.Event):
        reason: str

    def disable(self, reason: str, by: Actor) -> None:
        self.check_live()
        if self.enabled:
            self._trigger(self.Disabled, by, reason=reason)

    @event(Disabled)
    def _disabled(self, reason: str) -> None:
        self.enabled = False
        self.disabled_reason = reason

    class Enabled(Tracked.Event):
        pass

    def enable(self, by: Actor) -> None:
        self.check_live()
        if not self.enabled:
            self._trigger(self.Enabled, by)

    @event(Enabled)
    def _enabled(self) -> None:
        self.enabled = True
        self.disabled_reason = None

    class SecretRotated(Tracked.Event):
        secret_salt: str

    def rotate_secret(self, by: Actor) -> None:
        self.check_live()
        self._trigger(self.SecretRotated, by, secret_salt=secrets.token_hex(16))

    @event(SecretRotated)
    def _secret_rotated(self, secret_salt: str) -> None:
        self.secret_salt = secret_salt

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        self.check_live()
        self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

    class RedeliveryRequested(Tracked.Event):
        delivery_id: UUID

    def request_redelivery(self, delivery_id: UUID, by: Actor) -> None:
        self.check_live()
        self._trigger(self.RedeliveryRequested, by, delivery_id=delivery_id)

    @event(RedeliveryRequested)
    def _redelivery_requested(self, delivery_id: UUID) -> None:
        pass

    class ReplayRequested(Tracked.Event):
        from_position: int

    def request_replay(self, from_position: int, by: Actor) -> None:
        self.check_live()
        if from_position < 0:
            raise DomainError("a position is 0 or more", "from_position")
        self._trigger(self.ReplayRequested, by, from_position=from_position)

    @event(ReplayRequested)
    def _replay_requested(self, from_position: int) -> None:
        pass

    def check_live(self) -> None:
        if self.deleted:
            raise ConflictError("the webhook subscription is deleted")
