"""Access tokens: short-lived HS256 JWTs naming the user and the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

ISSUER = "centsource"


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    session_id: UUID


class InvalidTokenError(Exception):
    pass


def issue_access_token(
    principal: Principal, secret: str, lifetime: timedelta
) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC) + lifetime
    token = jwt.encode(
        {
            "iss": ISSUER,
            "sub": str(principal.user_id),
            "sid": str(principal.session_id),
            "exp": expires_at,
        },
        secret,
        algorithm="HS256",
    )
    return token, expires_at


def principal_from(authorization: str | None, secret: str) -> Principal:
    """Who an ``Authorization: Bearer <access token>`` header names; else InvalidTokenError."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("an Authorization: Bearer token is required")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "sub"]},
        )
        return Principal(UUID(claims["sub"]), UUID(claims["sid"]))
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from None
