"""Idempotency-Key on POST: a retry gets the first answer, a changed body a 422, a race a 409."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar.types import ASGIApp

from infra.http import read_body, replay_body, send_problem
from infra.idempotency import Claim, IdempotencyStore, Stored
from infra.tokens import InvalidTokenError, principal_from

MAX_KEY_LENGTH = 255
MAX_BODY_BYTES = 11 * 1_048_576  # a statement file of 10 MB, and its form
# Outcomes a retry must see again. Others (401, 403, 404, 409, 412, 429, 5xx) may change
# once the client fixes the cause, so their key is released.
REPLAYABLE = frozenset({200, 201, 202, 204, 400, 413, 422})


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        key = headers.get(b"idempotency-key")
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await send_problem(
                send, 400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters"
            )
            return
        body = await read_body(receive, MAX_BODY_BYTES)
        if body is None:
            await send_problem(send, 413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            return
        litestar_app: Any = scope["app"]
        store: IdempotencyStore = litestar_app.state.idempotency
        claim_scope = (
            f"{_caller(headers, litestar_app.state.settings.secret)}:{key.decode(errors='replace')}"
        )
        fingerprint = hashlib.sha256(
            b"%s %s\n%s"
            % (scope["method"].encode(), scope["path"].encode(), _without_boundary(headers, body))
        ).hexdigest()
        claim, stored = await store.claim(claim_scope, fingerprint)
        if claim is Claim.MISMATCH:
            await send_problem(send, 422, "this Idempotency-Key was used with another request")
            return
        if claim is Claim.IN_PROGRESS:
            await send_problem(
                send,
                409,
                "a request with this Idempotency-Key is in progress",
                {"Retry-After": "1"},
            )
            return
        if claim is Claim.REPLAY:
            assert stored is not None
            await _replay(send, stored)
            return
        await _run(app, scope, body, send, store, claim_scope)

    return middleware


async def _run(
    app: ASGIApp, scope: Any, body: bytes, send: Any, store: IdempotencyStore, claim_scope: str
) -> None:
    status = 500
    response_headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def capture(message: Any) -> None:
        nonlocal status, response_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in message.get("headers", [])
                if k.lower() != b"x-correlation-id"
            ]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    completed = False
    try:
        await app(scope, replay_body(body), capture)
        if status in REPLAYABLE:
            await store.complete(claim_scope, Stored(status, response_headers, b"".join(chunks)))
            completed = True
    finally:
        if not completed:
            await store.release(claim_scope)


def _caller(headers: dict[bytes, bytes], secret: str) -> str:
    """Keys are per user, so two clients' keys never collide; unauthenticated calls share one."""
    try:
        authorization = headers.get(b"authorization", b"").decode(errors="replace")
        return str(principal_from(authorization, secret).actor_id)
    except InvalidTokenError:
        return "anonymous"


async def _replay(send: Any, stored: Stored) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


_BOUNDARY = re.compile(rb'boundary="?([^";,]+)"?', re.IGNORECASE)


def _without_boundary(headers: dict[bytes, bytes], body: bytes) -> bytes:
    """A multipart body with its boundary taken out: clients draw a new one for every request,
    so a retry of the same form would otherwise look like another request."""
    content_type = headers.get(b"content-type", b"")
    match = _BOUNDARY.search(content_type) if content_type.startswith(b"multipart/") else None
    return body.replace(match.group(1), b"") if match else body
