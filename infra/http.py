"""What both HTTP apps share: RFC 9457 problems, correlation ids, a log line per request."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ASGIApp, ExceptionHandlersMap

from infra.metrics import UNMATCHED, ApiMetrics
from infra.settings import Settings

PROBLEM = "application/problem+json"
log = structlog.get_logger("http")
_ROOT = logging.getLogger()


def problem_body(
    status: int, detail: str, errors: dict[str, list[str]] | None = None, code: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if code:
        body["code"] = code
    return body


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response[dict[str, Any]]:
    return Response(
        problem_body(status, detail, errors, code),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


async def send_problem(
    send: Any,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> None:
    """A problem answer straight from ASGI middleware, before any route runs."""
    body = msgspec.json.encode(problem_body(status, detail, errors))
    raw_headers = [
        (b"content-type", PROBLEM.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def header(scope: Any, name: bytes) -> str | None:
    """The request's first header ``name`` (lower case), read from the ASGI scope: cheaper
    than Litestar's ``request.headers``, which builds a mapping of every header."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def read_body(receive: Any, max_bytes: int = 1_048_576) -> bytes | None:
    """The whole request body from ASGI messages; None once it grows past ``max_bytes``."""
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > max_bytes:
            return None
        if not message.get("more_body"):
            return body


def replay_body(body: bytes) -> Any:
    """An ASGI ``receive`` that hands a body already read to the app, once."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def on_validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: dict[str, list[str]] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", ""))
            errors.setdefault(_field_of(message, item), []).append(message)
    detail = exc.detail if not errors else "the request has invalid fields"
    return problem(400, detail, errors=errors or {"body": [exc.detail]})


def _field_of(message: str, item: dict[str, Any]) -> str:
    """msgspec names the body's field in its message (``at `$.amount```); use that name."""
    named = _MSGSPEC_FIELD.search(message)
    if named:
        return named.group(1)
    return str(item.get("key") or item.get("source") or "body")


_MSGSPEC_FIELD = re.compile(r"(?:required field|at) `(?:\$\.)?([A-Za-z_][A-Za-z0-9_]*)")


class RequestRefused(HTTPException):
    """A request refused before its route ran, with the fields it got wrong."""

    def __init__(
        self, status: int, detail: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail=detail, status_code=status)
        self.errors = errors


def on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    errors = exc.errors if isinstance(exc, RequestRefused) else None
    return problem(exc.status_code, exc.detail, errors=errors, headers=exc.headers)


def on_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error", path=loggable_path(request.url.path), exc_info=exc)
    return problem(500, "something went wrong on our side; it has been logged")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "referrer-policy": "no-referrer",
}


def cors(settings: Settings) -> CORSConfig | None:
    """Browsers may call the APIs from the configured origins only (none by default)."""
    origins = settings.cors_origin_list
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "If-Match",
            "X-Vault-Token",
            "X-Min-Position",
            "X-Correlation-Id",
        ],
        expose_headers=["ETag", "X-Projection-Position", "X-Correlation-Id", "Retry-After"],
    )


# Paths that carry a credential (a vault release link's token): logged without it.
SECRET_PATHS = ("/api/vault-release/",)


def loggable_path(path: str) -> str:
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "[redacted]"
    return path


# Appended to every answer. Answers hold credentials or someone's money: no cache may keep
# them, except the API docs' scripts, the only answers holding nobody's data.
_PRIVATE = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()] + [
    (b"cache-control", b"no-store")
]
_PUBLIC = [*_PRIVATE[:-1], (b"cache-control", b"public, max-age=86400")]
_REPLACED = frozenset(name for name, _ in _PRIVATE)
_CORRELATION = b"x-correlation-id"


def request_middleware(
    app: ASGIApp,
    metrics: ApiMetrics,
    more_headers: Callable[[Any], list[tuple[bytes, bytes]]] | None = None,
) -> ASGIApp:
    """Around Litestar's own handler, so a request no route matches counts too: binds a
    correlation id for the request's log lines and echoes it, adds the security headers
    (and ``more_headers``), then logs one line and counts and times the request under its
    route template. One layer for all of it: each layer is paid on every request."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == _CORRELATION), b"")
        # 128 random bits, as a UUID's: not secret, so not worth a system call per request.
        correlation_id = given.decode(errors="replace")[:100] or f"{random.getrandbits(128):032x}"
        # Bound for this request's lines only: reset to what it was (nothing) at the end.
        bound = structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                public = scope["path"].startswith("/schema/assets/")
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() not in _REPLACED),
                    *(_PUBLIC if public else _PRIVATE),
                    (_CORRELATION, correlation_id.encode()),
                    *(more_headers(scope) if more_headers else ()),
                ]
            await send(message)

        try:
            await app(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            metrics.observe_request(
                scope["method"],
                scope.get("path_template") or UNMATCHED,
                status,
                seconds,
                correlation_id,
            )
            # The level is asked of the root logger, set with structlog's (infra.logs): a
            # line filtered out still cost its logger's binding (a tenth of a cached read).
            if _ROOT.isEnabledFor(logging.INFO):
                workspace_id = (scope.get("path_params") or {}).get("workspace_id")
                actor_id = state.get("actor_id")
                log.info(
                    "request",
                    method=scope["method"],
                    path=loggable_path(scope["path"]),
                    status=status,
                    ms=round(seconds * 1000, 2),
                    actor_id=str(actor_id) if actor_id else None,
                    workspace_id=str(workspace_id) if workspace_id else None,
                )
            structlog.contextvars.reset_contextvars(**bound)

    return middleware
