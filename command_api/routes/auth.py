"""Sign up, log in, refresh: the routes that need no bearer token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from command_api.context import correlation_id
from domain.identity.application import Identity, LoggedIn
from infra.settings import Settings
from infra.tokens import Principal, issue_access_token

Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
# At least 8 characters with a lower-case letter, an upper-case letter and a digit.
Password = Annotated[str, Meta(pattern=r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{8,}$", max_length=256)]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]


class SignUp(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name


class LogIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256)]


class Refresh(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=512)]


class UserOut(msgspec.Struct, kw_only=True):
    id: UUID
    email: str
    name: str
    version: int
    position: int


class Tokens(msgspec.Struct, kw_only=True):
    access_token: str
    token_type: str
    expires_at: datetime
    refresh_token: str
    user_id: UUID
    position: int


@post("/api/auth/signup", sync_to_thread=True, status_code=201)
def sign_up(
    data: JSONBody[SignUp], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> UserOut:
    user, position = identity.sign_up(data.email, data.name, data.password, correlation_id(request))
    return UserOut(
        id=user.id, email=user.email, name=user.name, version=user.version, position=position
    )


@post("/api/auth/login", sync_to_thread=True, status_code=200)
def log_in(
    data: JSONBody[LogIn], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> Tokens:
    return _tokens(identity.log_in(data.email, data.password, correlation_id(request)), request)


@post("/api/auth/refresh", sync_to_thread=True, status_code=200)
def refresh(
    data: JSONBody[Refresh], identity: NamedDependency[Identity], request: Request[Any, Any, State]
) -> Tokens:
    return _tokens(identity.refresh(data.refresh_token, correlation_id(request)), request)


def _tokens(logged_in: LoggedIn, request: Request[Any, Any, State]) -> Tokens:
    settings: Settings = request.app.state.settings
    access_token, expires_at = issue_access_token(
        Principal(logged_in.user.id, logged_in.session_id),
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
