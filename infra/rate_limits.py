"""Rate limits: sliding windows in Redis, per user or API key (else per IP), by tier.

Four tiers: STRICT for auth (per IP + email), EXPENSIVE for imports, exports
and heavy analytics, MODERATE for writes, LENIENT for reads. While Redis is unreachable each
process keeps its own windows, so limits still hold per process and no request fails.
Answers carry ``RateLimit``/``RateLimit-Policy`` (IETF draft) and ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import redis.asyncio as redis
import structlog
from redis.exceptions import RedisError

from infra.http import read_body, replay_body, send_problem
from infra.settings import Settings
from infra.tokens import InvalidTokenError, principal_from

log = structlog.get_logger("rate_limits")
REDIS_RETRY_SECONDS = 5.0  # after a Redis failure, windows stay in-process this long


@dataclass(frozen=True)
class Tier:
    name: str
    limit: int
    window: int  # seconds


def parse_tiers(text: str) -> dict[str, Tier]:
    """``strict=5/900,moderate=100/900`` → tiers by name; ``off`` → none."""
    if text.strip().lower() == "off":
        return {}
    tiers = {}
    for part in text.split(","):
        name, _, rule = part.strip().partition("=")
        limit, _, window = rule.partition("/")
        tiers[name.strip().lower()] = Tier(name.strip().lower(), int(limit), int(window))
    return tiers


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    reset: int  # seconds until a request is free again


# Drops what left the window, then counts; adds this request only when it is allowed,
# so refused requests do not push the window on.
_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    count = count + 1
  end
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, count, tostring(reset)}
"""


class SlidingWindows:
    def __init__(self, cache: redis.Redis, prefix: str) -> None:
        self.cache = cache
        self.prefix = prefix
        self.script = cache.register_script(_SLIDING_WINDOW)
        self.local: defaultdict[str, deque[float]] = defaultdict(deque)
        self.redis_down_until = 0.0

    async def hit(self, key: str, tier: Tier, count_it: bool = True) -> Decision:
        """Counts a request against the tier (or, with ``count_it=False``, only looks)."""
        now = time.time()
        if now >= self.redis_down_until:
            try:
                allowed, count, reset = await self.script(
                    keys=[f"{self.prefix}:{tier.name}:{key}"],
                    args=[now, tier.window, tier.limit, uuid.uuid4().hex, int(count_it)],
                )
                return _decision(tier, bool(allowed), int(count), float(reset))
            except (RedisError, OSError) as error:
                log.warning("rate limits kept in-process while Redis is away", error=str(error))
                self.redis_down_until = now + REDIS_RETRY_SECONDS
        return self._hit_locally(f"{tier.name}:{key}", tier, now, count_it)

    def _hit_locally(self, key: str, tier: Tier, now: float, count_it: bool) -> Decision:
        stamps = self.local[key]
        while stamps and stamps[0] <= now - tier.window:
            stamps.popleft()
        allowed = len(stamps) < tier.limit
        if allowed and count_it:
            stamps.append(now)
        reset = stamps[0] + tier.window - now if stamps else tier.window
        return _decision(tier, allowed, len(stamps), reset)


def _decision(tier: Tier, allowed: bool, count: int, reset: float) -> Decision:
    return Decision(allowed, max(tier.limit - count, 0), max(math.ceil(reset), 1))


def lockout_tier(text: str) -> Tier:
    """``10/900``: so many failed log-ins for one email lock it for the window."""
    limit, _, window = text.partition("/")
    return Tier("lockout", int(limit), int(window))


def install(state: Any, settings: Settings, cache: redis.Redis) -> None:
    """Puts the windows and the configured tiers where the middleware finds them."""
    state.rate_limits = SlidingWindows(cache, f"{settings.database_schema}:rate")
    state.rate_limit_tiers = parse_tiers(settings.rate_limits)
    state.login_lockout = lockout_tier(settings.login_lockout)


def limit_headers(tier: Tier, decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Policy": f'"{tier.name}";q={tier.limit};w={tier.window}',
        "RateLimit": f'"{tier.name}";r={decision.remaining};t={decision.reset}',
        "X-RateLimit-Limit": str(tier.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(int(time.time()) + decision.reset),  # epoch seconds
    }


# What a request costs: its tier's name, given method and path.
Classifier = Callable[[str, str], str | None]


class _Email(msgspec.Struct):
    email: str = ""


def rate_limit_middleware(classify: Classifier, lockout_paths: frozenset[str] = frozenset()) -> Any:
    """ASGI middleware; ``lockout_paths`` (log-in) also lock an email after repeated 401s.

    The lockout is a defence against guessing one account's password, not a rate limit: it
    holds when the rate limits are off.
    """

    def wrap(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            state = scope["app"].state
            tier_name = classify(scope["method"], scope["path"])
            tier: Tier | None = state.rate_limit_tiers.get(tier_name) if tier_name else None
            lockout: Tier | None = state.login_lockout if scope["path"] in lockout_paths else None
            if tier is None and lockout is None:
                await app(scope, receive, send)
                return
            windows: SlidingWindows = state.rate_limits
            key, email, receive = await _who(
                scope, receive, tier, state.settings.secret, wants_email=lockout is not None
            )
            if lockout and email:
                locked = await windows.hit(f"email:{email}", lockout, count_it=False)
                if not locked.allowed:
                    state.metrics.count_rate_limited(lockout.name)
                    await _refuse(send, lockout, locked, "too many failed log-ins for this email")
                    return
            extra: list[tuple[bytes, bytes]] = []
            if tier is not None:
                decision = await windows.hit(key, tier)
                if not decision.allowed:
                    state.metrics.count_rate_limited(tier.name)
                    await _refuse(send, tier, decision, f"the {tier.name} rate limit is reached")
                    return
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in limit_headers(tier, decision).items()
                ]
            status = 0

            async def send_with_headers(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", []), *extra]
                await send(message)

            await app(scope, receive, send_with_headers)
            if lockout and email and status == 401:
                await windows.hit(f"email:{email}", lockout)

        return middleware

    return wrap


async def _who(
    scope: Any, receive: Any, tier: Tier | None, secret: str, wants_email: bool
) -> tuple[str, str, Any]:
    """The window's key: the user or API key; for STRICT the IP and the body's email.

    The body's email is read too where the lockout needs it (``wants_email``)."""
    ip = (scope.get("client") or ("unknown",))[0]
    if wants_email or (tier is not None and tier.name == "strict"):
        body = await read_body(receive) or b""
        try:
            email = msgspec.json.decode(body, type=_Email).email.strip().casefold()
        except msgspec.DecodeError:
            email = ""
        return f"ip:{ip}:{email}", email, replay_body(body)
    try:
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode(errors="replace")
        return f"actor:{principal_from(authorization, secret).actor_id}", "", receive
    except InvalidTokenError:
        return f"ip:{ip}", "", receive


async def _refuse(send: Any, tier: Tier, decision: Decision, detail: str) -> None:
    await send_problem(
        send,
        429,
        f"{detail}; retry in {decision.reset} s",
        {**limit_headers(tier, decision), "Retry-After": str(decision.reset)},
    )
