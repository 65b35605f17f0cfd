"""Webhook subscriptions: subscribe, change, enable or disable, rotate the secret, delete;
ask for a delivery again, or for every event since a position."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, delete, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api.access import Access
from command_api.context import new_id
from command_api.webhook_deliveries import is_delivery_of
from domain.base import Actor, NotFoundError
from domain.webhooks.application import Webhooks
from domain.webhooks.subscription import PUBLIC_EVENT_TYPES, WebhookSubscription
from infra.settings import Settings
from infra.tokens import Principal
from infra.webhooks import RefusedDestinationError, check_destination, subscription_secret

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
WEBHOOK = f"{WORKSPACE}/webhooks/{{subscription_id:uuid}}"
Url = Annotated[str, Meta(min_length=8, max_length=2000, examples=["https://example.com/hook"])]
EventTypes = Annotated[
    list[str],
    Meta(max_length=len(PUBLIC_EVENT_TYPES), description="empty: every public event type"),
]
Description = Annotated[str, Meta(max_length=500)]


class SubscriptionOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    version: int
    position: int
    secret: str | None = None  # shown on subscribing and on rotating, never again
    warnings: list[str] = msgspec.field(default_factory=list)  # e.g. a URL that does not resolve


class Subscribe(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    event_types: EventTypes = msgspec.field(default_factory=list)
    description: Description | None = None


@post(f"{WORKSPACE}/webhooks", access=Access.ADMIN, status_code=201)
async def subscribe(
    workspace_id: FromPath[UUID],
    data: JSONBody[Subscribe],
    webhooks: NamedDependency[Webhooks],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> SubscriptionOut:
    """Events from now on are POSTed to ``url``, signed per Standard Webhooks with the
    ``secret`` in this answer (keep it: it is not shown again). A URL whose host is, or
    resolves to, an address that is not public is 400 unless CENTSOURCE_WEBHOOK_ALLOW_PRIVATE."""
    settings: Settings = request.app.state.settings
    warnings = await _checked_url(data.url, settings)
    subscription, position = await asyncio.to_thread(
        webhooks.subscribe,
        new_id(request, principal, "webhook"),
        workspace_id,
        data.url,
        tuple(data.event_types),
        data.description,
        actor,
    )
    return _out(subscription, position, settings, with_secret=True, warnings=warnings)


class ChangeSubscription(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    event_types: EventTypes | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET


@patch(WEBHOOK, access=Access.ADMIN)
async def change_subscription(
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    data: JSONBody[ChangeSubscription],
    webhooks: NamedDependency[Webhooks],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> SubscriptionOut:
    """``enabled: false`` stops deliveries (pending ones are cancelled); ``true`` resumes them
    for events from then on. A new ``url`` is checked as on subscribing."""
    settings: Settings = request.app.state.settings
    warnings = [] if data.url is UNSET else await _checked_url(data.url, settings)

    def change() -> tuple[WebhookSubscription, int]:
        subscription = webhooks.get(workspace_id, subscription_id)
        subscription.change(
            subscription.url if data.url is UNSET else data.url,
            subscription.event_types if data.event_types is UNSET else tuple(data.event_types),
            subscription.description if data.description is UNSET else data.description,
            actor,
        )
        if data.enabled is True:
            subscription.enable(actor)
        elif data.enabled is False:
            subscription.disable("disabled by a person", actor)
        return webhooks.save_one(subscription)

    subscription, position = await asyncio.to_thread(change)
    return _out(subscription, position, settings, warnings=warnings)


@post(f"{WEBHOOK}/rotate-secret", sync_to_thread=True, access=Access.ADMIN, status_code=200)
def rotate_secret(
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    webhooks: NamedDependency[Webhooks],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> SubscriptionOut:
    """A new secret signs every attempt from now on; the old one stops at once."""
    subscription = webhooks.get(workspace_id, subscription_id)
    subscription.rotate_secret(actor)
    _, position = webhooks.save_one(subscription)
    return _out(subscription, position, request.app.state.settings, with_secret=True)


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(WEBHOOK, sync_to_thread=True, access=Access.ADMIN, status_code=200)
def delete_subscription(
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    webhooks: NamedDependency[Webhooks],
    actor: NamedDependency[Actor],
) -> Removed:
    subscription = webhooks.get(workspace_id, subscription_id)
    subscription.delete(actor)
    _, position = webhooks.save_one(subscription)
    return Removed(id=subscription_id, position=position)


class Requested(msgspec.Struct, kw_only=True):
    subscription_id: UUID
    position: int


@post(
    f"{WEBHOOK}/deliveries/{{delivery_id:uuid}}/redeliver",
    access=Access.ADMIN,
    status_code=202,
)
async def redeliver(
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    delivery_id: FromPath[UUID],
    webhooks: NamedDependency[Webhooks],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Requested:
    """The delivery is sent again, with its own webhook-id, from the first retry on. 404 for
    a delivery that is not this subscription's (another's, or another workspace's)."""
    subscription = await asyncio.to_thread(webhooks.get, workspace_id, subscription_id)
    pool = request.app.state.pool
    if not await is_delivery_of(pool, workspace_id, subscription_id, delivery_id):
        raise NotFoundError("no such delivery")
    subscription.request_redelivery(delivery_id, actor)
    _, position = await asyncio.to_thread(webhooks.save_one, subscription)
    return Requested(subscription_id=subscription_id, position=position)


class Replay(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    from_position: Annotated[int, Meta(ge=0)]


@post(f"{WEBHOOK}/replay", sync_to_thread=True, access=Access.ADMIN, status_code=202)
def replay(
    workspace_id: FromPath[UUID],
    subscription_id: FromPath[UUID],
    data: JSONBody[Replay],
    webhooks: NamedDependency[Webhooks],
    actor: NamedDependency[Actor],
) -> Requested:
    """Every event of the workspace after ``from_position`` that the subscription wants is
    delivered to it again (one webhook-id per event, as first sent)."""
    subscription = webhooks.get(workspace_id, subscription_id)
    subscription.request_replay(data.from_position, actor)
    _, position = webhooks.save_one(subscription)
    return Requested(subscription_id=subscription_id, position=position)


async def _checked_url(url: str, settings: Settings) -> list[str]:
    """400 on ``url`` for one webhooks may not go to; the warnings to answer with otherwise."""
    try:
        warning = await check_destination(url, settings.webhook_allow_private)
    except RefusedDestinationError as refused:
        message = str(refused)
        raise ValidationException(message, extra=[{"key": "url", "message": message}]) from None
    return [] if warning is None else [warning]


def _out(
    subscription: WebhookSubscription,
    position: int,
    settings: Settings,
    with_secret: bool = False,
    warnings: list[str] | None = None,
) -> SubscriptionOut:
    secret = subscription_secret(settings.secret, subscription.id, subscription.secret_salt)
    return SubscriptionOut(
        id=subscription.id,
        url=subscription.url,
        event_types=list(subscription.event_types),
        description=subscription.description,
        enabled=subscription.enabled,
        disabled_reason=subscription.disabled_reason,
        version=subscription.version,
        position=position,
        secret=secret if with_secret else None,
        warnings=warnings or [],
    )
