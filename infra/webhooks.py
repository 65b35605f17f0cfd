"""Standard Webhooks (standardwebhooks.com): secrets, signatures and the retry schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from uuid import UUID

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
MAX_RETRY_AFTER_SECONDS = 86_400.0


def subscription_secret(secret_key: str, subscription_id: UUID, salt: str) -> str:
    """``whsec_<base64 of 32 bytes>``, derived from the server's key: never stored anywhere."""
    raw = hmac.new(
        secret_key.encode(), f"webhook:{subscription_id}:{salt}".encode(), hashlib.sha256
    ).digest()
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def parse_schedule(text: str) -> tuple[float, ...]:
    """Seconds to wait after each failed attempt, e.g. the spec's "5,300,1800,7200,18000,36000,
    36000": after the last, the delivery has failed."""
    return tuple(float(part) for part in text.split(",") if part.strip())


def backoff(schedule: tuple[float, ...], failures: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after this many failures (None: give up). Jitter of up
    to a tenth either way spreads retries; a Retry-After asking for longer is honoured."""
    if failures > len(schedule):
        return None
    delay = schedule[failures - 1] * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret
    return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER_SECONDS))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
