"""A user's notifications: mark read, mark all read, dismiss."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from command_api.access import Access
from command_api.notification_owners import check_own
from domain.base import Actor
from domain.engagement.application import Engagement
from domain.engagement.inbox import MAX_AT_ONCE

NotificationIds = Annotated[list[UUID], Meta(min_length=1, max_length=MAX_AT_ONCE)]


class Notifications(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    notification_ids: NotificationIds


class Done(msgspec.Struct, kw_only=True):
    position: int


@post("/api/notifications/read", access=Access.SIGNED_IN, status_code=200)
async def mark_read(
    data: JSONBody[Notifications],
    engagement: NamedDependency[Engagement],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Done:
    """The user's own notifications; another's id is not found (404) and nothing is marked."""
    await check_own(request.app.state.pool, actor.actor_id, data.notification_ids)
    position = await asyncio.to_thread(
        engagement.mark_read, actor.actor_id, data.notification_ids, actor
    )
    return Done(position=position)


@post("/api/notifications/read-all", sync_to_thread=True, access=Access.SIGNED_IN, status_code=200)
def mark_all_read(engagement: NamedDependency[Engagement], actor: NamedDependency[Actor]) -> Done:
    """Every notification there is now; later ones come unread."""
    return Done(position=engagement.mark_all_read(actor.actor_id, actor))


@post("/api/notifications/dismiss", access=Access.SIGNED_IN, status_code=200)
async def dismiss(
    data: JSONBody[Notifications],
    engagement: NamedDependency[Engagement],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Done:
    """The user's own notifications; another's id is not found (404) and nothing is dismissed."""
    await check_own(request.app.state.pool, actor.actor_id, data.notification_ids)
    position = await asyncio.to_thread(
        engagement.dismiss, actor.actor_id, data.notification_ids, actor
    )
    return Done(position=position)
