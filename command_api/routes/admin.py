"""System administration: grant or take the system ADMIN role, read the dev mailbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter

from command_api.access import Access
from command_api.routes.auth import Email, UserOut, user_out
from domain.base import Actor
from domain.identity.application import Identity
from domain.identity.user import SystemRole
from infra.mail import DevMailbox


class ChangeSystemRole(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: SystemRole


class MailOut(msgspec.Struct, kw_only=True):
    id: int
    to: str
    subject: str
    body: str
    sent_at: datetime


class Mailbox(msgspec.Struct, kw_only=True):
    """What ``read_mailbox`` answers (documentation: the route returns a plain dict)."""

    data: list[MailOut]


@post("/api/admin/system-roles", sync_to_thread=True, status_code=200, access=Access.SYSTEM_ADMIN)
def change_system_role(
    data: JSONBody[ChangeSystemRole],
    identity: NamedDependency[Identity],
    actor: NamedDependency[Actor],
) -> UserOut:
    return user_out(*identity.change_system_role(data.email, data.role, actor))


@get(
    "/api/admin/mailbox",
    access=Access.SYSTEM_ADMIN,
    responses={200: ResponseSpec(Mailbox, generate_examples=False, description="Mails kept")},
)
async def read_mailbox(
    request: Request[Any, Any, State],
    to: Annotated[str | None, QueryParameter(max_length=254)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
) -> dict[str, list[MailOut]]:
    """Mails kept while no SMTP server is configured, newest first."""
    mailbox = request.app.state.mailer
    if not isinstance(mailbox, DevMailbox):
        raise NotFoundException("mail goes to the SMTP server; there is no dev mailbox")
    rows = await mailbox.read(to, limit)
    return {
        "data": [
            MailOut(
                id=row["id"],
                to=row["recipient"],
                subject=row["subject"],
                body=row["body"],
                sent_at=row["sent_at"],
            )
            for row in rows
        ]
    }
