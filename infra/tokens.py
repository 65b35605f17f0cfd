"""Credentials: short-lived HS256 JWTs naming a user's session, and workspace API keys."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

ISSUER = "centsource"
API_KEY_SCHEME = "csk_"


@dataclass(frozen=True)
class Principal:
    """Who a request says it is; the APIs check the session or the key before trusting it.

    ``actor_id`` is the user for a session token and the key itself for an API key.
    """

    actor_id: UUID
    session_id: UUID | None = None
    key_secret: str | None = None
    expires_at: float | None = None  # a session token's expiry (Unix time)

    @property
    def is_api_key(self) -> bool:
        return self.session_id is None


class InvalidTokenError(Exception):
    pass


def issue_access_token(
    user_id: UUID, session_id: UUID, secret: str, lifetime: timedelta
) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC) + lifetime
    token = jwt.encode(
        {"iss": ISSUER, "sub": str(user_id), "sid": str(session_id), "exp": expires_at},
        secret,
        algorithm="HS256",
    )
    return token, expires_at


def new_api_key(key_id: UUID) -> tuple[str, str]:
    """A key's full text (shown once) and its secret part (only its hash is kept)."""
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_SCHEME}{key_id.hex}_{secret}", secret


def api_key_prefix(key_id: UUID) -> str:
    """What lists show of a key, so its owner can tell keys apart."""
    return f"{API_KEY_SCHEME}{key_id.hex[:8]}"


# Session tokens whose signature was checked, until they expire: checking it again was a
# tenth of a command's own work, and is asked several times a request (rate limit,
# idempotency, access).
_VERIFIED: dict[tuple[str, str], Principal] = {}
MAX_VERIFIED = 100_000


def principal_from(authorization: str | None, secret: str) -> Principal:
    """Who an ``Authorization: Bearer <access token | API key>`` names; else InvalidTokenError."""
    verified = _VERIFIED.get((authorization or "", secret))
    if verified is not None and (verified.expires_at or 0) > time.time():
        return verified
    principal = _principal_from(authorization, secret)
    if authorization and principal.expires_at is not None:
        if len(_VERIFIED) >= MAX_VERIFIED:
            _VERIFIED.clear()
        _VERIFIED[(authorization, secret)] = principal
    return principal


def _principal_from(authorization: str | None, secret: str) -> Principal:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidTokenError("an Authorization: Bearer token is required")
    if token.startswith(API_KEY_SCHEME):
        key_id, _, key_secret = token.removeprefix(API_KEY_SCHEME).partition("_")
        try:
            return Principal(UUID(hex=key_id), key_secret=key_secret)
        except ValueError:
            raise InvalidTokenError("the API key is malformed") from None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "sid"]},
        )
        return Principal(UUID(claims["sub"]), UUID(claims["sid"]), expires_at=claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from None
