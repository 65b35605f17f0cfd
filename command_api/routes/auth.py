"""People and devices: sign up, log in and out, sessions, profile, password, codes by mail."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import msgspec
import structlog
from litestar import Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from command_api.access import Access, current_user
from command_api.context import correlation_id
from domain.base import Actor
from domain.identity.application import Identity, LoggedIn
from domain.identity.session import RefreshTokenReusedError
from domain.identity.user import User
from infra import openapi
from infra.mail import Mail, Mailer
from infra.settings import Settings
from infra.tokens import Principal, issue_access_token

# No "=?" anywhere: a mail header would decode it as an encoded word (=?utf-8?q?…?=), which
# can hold more addresses.
Email = Annotated[str, Meta(pattern=r"^(?!.*=\?)[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
# At least 8 characters with a lower-case letter, an upper-case letter and a digit.
Password = Annotated[str, Meta(pattern=r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{8,}$", max_length=256)]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
Code = Annotated[str, Meta(pattern=r"^[0-9]{6}$", examples=["042137"])]

log = structlog.get_logger("auth")


class SignUp(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name


class LogIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256)]


class Refresh(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=512)]


class RegisterDevice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    client_id: UUID | None = None


class Rename(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name


class ChangePassword(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_password: Annotated[str, Meta(min_length=1, max_length=256)]
    new_password: Password


class AttachCredentials(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name


class ConfirmCode(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code


class RequestPasswordReset(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email


class ResetPassword(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    code: Code
    new_password: Password


class UserOut(msgspec.Struct, kw_only=True):
    id: UUID
    email: str | None
    name: str
    email_verified: bool
    system_role: str
    anonymous: bool
    version: int
    position: int


class Tokens(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str
    expires_at: datetime
    refresh_token: str
    user_id: UUID
    position: int


class CodeSent(msgspec.Struct, kw_only=True):
    email_sent: bool
    position: int


@post("/api/auth/signup", sync_to_thread=True, status_code=201, access=Access.PUBLIC)
def sign_up(
    data: JSONBody[SignUp], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> UserOut:
    user, position = identity.sign_up(data.email, data.name, data.password, correlation_id(request))
    return user_out(user, position)


@post("/api/users", sync_to_thread=True, status_code=201, access=Access.PUBLIC)
def register_device(
    data: JSONBody[RegisterDevice],
    identity: NamedDependency[Identity],
    request: Request[Any, Any, State],
) -> Tokens:
    """A user of one device, no email nor password; the same client_id logs it in again."""
    return _tokens(identity.register_device(data.client_id, correlation_id(request)), request)


@post(
    "/api/auth/login",
    sync_to_thread=True,
    status_code=200,
    access=Access.PUBLIC,
    responses={401: openapi.problem(401, "email or password is wrong, or the email is locked")},
)
def log_in(
    data: JSONBody[LogIn], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> Tokens:
    return _tokens(identity.log_in(data.email, data.password, correlation_id(request)), request)


@post(
    "/api/auth/refresh",
    sync_to_thread=True,
    status_code=200,
    access=Access.PUBLIC,
    responses={
        401: openapi.problem(401, "the refresh token is not valid, spent or its session ended")
    },
)
def refresh(
    data: JSONBody[Refresh], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> Tokens:
    """A refresh token works once; a spent one that comes back ends the session it led to."""
    try:
        logged_in = identity.refresh(data.refresh_token, correlation_id(request))
    except RefreshTokenReusedError as reuse:
        # A security event for whoever watches the logs; the ids only, never the token.
        log.warning(
            "refresh token reused",
            session_id=str(reuse.session_id),
            user_id=str(reuse.user_id),
            ended_session_id=str(reuse.ended_session_id) if reuse.ended_session_id else None,
            correlation_id=correlation_id(request),
        )
        raise
    return _tokens(logged_in, request)


@post(
    "/api/auth/logout",
    sync_to_thread=True,
    status_code=200,
    access=Access.SIGNED_IN,
    responses={200: openapi.POSITION},
)
def log_out(
    identity: NamedDependency[Identity],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> dict[str, int]:
    """Ends the session: its refresh token and every access token of it stop working."""
    assert principal.session_id is not None
    return {"position": identity.log_out(principal.session_id, actor)}


@get("/api/auth/me", access=Access.SIGNED_IN)
async def me(request: Request[Any, Any, State]) -> UserOut:
    return user_out(current_user(request), 0)


@patch("/api/auth/me", sync_to_thread=True, access=Access.SIGNED_IN)
def rename(
    data: JSONBody[Rename],
    identity: NamedDependency[Identity],
    actor: NamedDependency[Actor],
) -> UserOut:
    """A new display name; the activity feed shows it on older entries too."""
    return user_out(*identity.rename(actor.actor_id, data.name, actor))


@post("/api/auth/me/credentials", sync_to_thread=True, status_code=200, access=Access.SIGNED_IN)
def attach_credentials(
    data: JSONBody[AttachCredentials],
    identity: NamedDependency[Identity],
    actor: NamedDependency[Actor],
) -> UserOut:
    """A device user gets an email and password, keeping its id and all its data."""
    return user_out(
        *identity.attach_credentials(actor.actor_id, data.email, data.name, data.password, actor)
    )


@post("/api/auth/password", sync_to_thread=True, status_code=200, access=Access.SIGNED_IN)
def change_password(
    data: JSONBody[ChangePassword],
    identity: NamedDependency[Identity],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Tokens:
    """Ends every session of the user, this one too; answers with a fresh one."""
    logged_in = identity.change_password(
        actor.actor_id, data.current_password, data.new_password, actor
    )
    return _tokens(logged_in, request)


@post("/api/auth/email-verification", status_code=202, access=Access.SIGNED_IN)
async def request_email_verification(
    identity: NamedDependency[Identity],
    mailer: NamedDependency[Mailer],
    actor: NamedDependency[Actor],
) -> CodeSent:
    issued = await asyncio.to_thread(identity.request_email_verification, actor.actor_id, actor)
    assert issued.user.email is not None
    sent = await mailer.send(
        Mail(
            issued.user.email,
            "Your centsource verification code",
            f"Your code is {issued.code}. It expires in 15 minutes.",
        )
    )
    return CodeSent(email_sent=sent, position=issued.position)


@post(
    "/api/auth/email-verification/confirm",
    sync_to_thread=True,
    status_code=200,
    access=Access.SIGNED_IN,
)
def verify_email(
    data: JSONBody[ConfirmCode],
    identity: NamedDependency[Identity],
    actor: NamedDependency[Actor],
) -> UserOut:
    return user_out(*identity.verify_email(actor.actor_id, data.code, actor))


@post("/api/auth/password-reset", status_code=202, access=Access.PUBLIC)
async def request_password_reset(
    data: JSONBody[RequestPasswordReset],
    identity: NamedDependency[Identity],
    mailer: NamedDependency[Mailer],
    request: Request[Any, Any, State],
) -> Response[None]:
    """Answers 202 whether or not the email has an account, so emails cannot be probed."""
    issued = await asyncio.to_thread(
        identity.request_password_reset, data.email, correlation_id(request)
    )
    if issued is not None and issued.user.email is not None:
        await mailer.send(
            Mail(
                issued.user.email,
                "Reset your centsource password",
                f"Your code is {issued.code}. It expires in 15 minutes."
                " If you did not ask for it, ignore this mail.",
            )
        )
    return Response(None, status_code=202)


@post(
    "/api/auth/password-reset/confirm",
    sync_to_thread=True,
    status_code=200,
    access=Access.PUBLIC,
    responses={200: openapi.POSITION},
)
def reset_password(
    data: JSONBody[ResetPassword],
    identity: NamedDependency[Identity],
    request: Request[Any, Any, State],
) -> dict[str, int]:
    """Sets the new password and ends every session of the user."""
    position = identity.reset_password(
        data.email, data.code, data.new_password, correlation_id(request)
    )
    return {"position": position}


def user_out(user: User, position: int) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified,
        system_role=user.system_role.value,
        anonymous=user.is_device,
        version=user.version,
        position=position,
    )


def _tokens(logged_in: LoggedIn, request: Request[Any, Any, State]) -> Tokens:
    settings: Settings = request.app.state.settings
    access_token, expires_at = issue_access_token(
        logged_in.user.id,
        logged_in.session_id,
        settings.secret,
        timedelta(minutes=settings.access_token_minutes),
    )
    return Tokens(
        access_token=access_token,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_at=expires_at,
        refresh_token=logged_in.refresh_token,
        user_id=logged_in.user.id,
        position=logged_in.position,
    )
