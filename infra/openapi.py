"""OpenAPI that tells the truth, for both apps: who may call each route, every problem it can
answer, the headers it reads and writes, and documentation pages that work offline.

Litestar documents a route from its signature: its parameters, body and success. What the app
adds around routes (the access guard, the edge checks, rate limits, idempotency, read-your-writes)
it cannot see, so ``document`` adds it to the generated schema in one place, from what each
route handler declares. Truths of one route (its content types, a schema for a plain dict) are
on its decorator.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import msgspec
import openapi_ui_bundles
from litestar import Litestar, Request, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.openapi.spec import Operation
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.types import Middleware

from infra.edge import check_request
from infra.http import PROBLEM

PATH = "/schema"
SWAGGER_ASSETS = f"{PATH}/assets/swagger-ui"
REDOC_ASSETS = f"{PATH}/assets/redoc"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem detail.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "What is wrong with each field of the request, by its name or path.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "code": {
            "type": "string",
            "description": "A stable name of the rule that refused the request (NO_DATA_FOUND).",
        },
    },
}

# Both are ``Authorization: Bearer …``; two schemes so that Swagger UI's Authorize offers both.
SECURITY_SCHEMES: dict[str, Any] = {
    "session": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access token from POST /api/auth/login (or /refresh, /api/users).",
    },
    "api_key": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "csk_…",
        "description": "A workspace's API key (POST …/api-keys): its workspace's routes only, "
        "with the key's role.",
    },
}

_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
_RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit": {
        "description": 'The tier, requests left and seconds to reset: `"lenient";r=299;t=900`.',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The tier\'s quota and window: `"lenient";q=300;w=900`.',
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {"description": "Requests the tier allows.", "schema": _DIGITS},
    "X-RateLimit-Remaining": {"description": "Requests left.", "schema": _DIGITS},
    "X-RateLimit-Reset": {"description": "When the window resets (epoch s).", "schema": _DIGITS},
}
_RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": _DIGITS}
_PROJECTION_POSITION = {
    "description": "How far the read model(s) the answer was made from had got in the log.",
    "required": True,
    "schema": _DIGITS,
}
_WWW_AUTHENTICATE = {"description": "`Bearer`.", "schema": {"type": "string"}}

_WHY = {
    400: "The request is malformed: a query parameter, the body or a header (each bad field "
    "named in `errors`).",
    401: "No credentials, or they are not valid (expired, ended session, unknown key).",
    403: "The caller's role (or an API key) does not reach this route.",
    404: "No such resource here (another workspace's ids are 404 too).",
    409: "A conflict: the resource exists already, a concurrent write won, or a request with "
    "this Idempotency-Key is in progress.",
    412: "If-Match names a version that is no longer the current one.",
    413: "The body is larger than this route takes.",
    415: "The body is not of a type this route takes.",
    422: "A domain rule refuses the request (or its Idempotency-Key was used with another body).",
    429: "A rate limit is reached; retry after `Retry-After` seconds.",
    503: "The read models have not reached `min_position` in time; retry after `Retry-After`.",
}

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ANYONE = "PUBLIC"
_USERS_ONLY = frozenset({"SIGNED_IN", "SYSTEM_ADMIN"})  # an API key is 403 there


@dataclass(frozen=True)
class Side:
    """What one app puts around its routes."""

    idempotency: Middleware | None = None  # POSTs under it take Idempotency-Key
    reads: bool = False  # routes read projections: min_position, 503, X-Projection-Position


def document(schema: dict[str, Any], routes: Iterable[Any], side: Side) -> dict[str, Any]:
    """The schema Litestar generated, completed with what the app adds around each route."""
    schema = copy.deepcopy(schema)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    paths = schema.get("paths", {})
    for route in routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = paths[route.path_format].get(method.lower())
            if operation is not None:
                _document_operation(operation, handler, method, route.path_format, side)
    return schema


def _document_operation(
    operation: dict[str, Any], handler: HTTPRouteHandler, method: str, path: str, side: Side
) -> None:
    api = path.startswith("/api/")
    # The read API authenticates in each route: there, every /api route needs credentials.
    rule = str(handler.opt.get("access", "AUTHENTICATED" if api else _ANYONE))
    public = rule == _ANYONE
    has_path_params = "{" in path
    has_body = "requestBody" in operation
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    names = {(p.get("in"), str(p.get("name", "")).lower()) for p in parameters}
    idempotent = (
        method == "POST"
        and side.idempotency is not None
        and side.idempotency in handler.resolve_middleware()
    )
    writes = method in _WRITES and api and not side.reads

    if public:
        operation["security"] = []
    elif "{workspace_id}" in path and rule not in _USERS_ONLY:
        operation["security"] = [{"session": []}, {"api_key": []}]
    else:
        operation["security"] = [{"session": []}]

    if idempotent and ("header", "idempotency-key") not in names:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Makes a retry safe: a retry with the same key (and body) gets "
                "the first answer; another body with it is 422, one still running 409. "
                "Kept 24 h per caller.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if side.reads and api:
        if ("query", "min_position") not in names:
            parameters.append(
                {
                    "name": "min_position",
                    "in": "query",
                    "required": False,
                    "description": "A command's `position`: wait (briefly) until the read "
                    "models have reached it, else 503.",
                    "schema": _DIGITS,
                }
            )
        if ("header", "x-min-position") not in names:
            parameters.append(
                {
                    "name": "X-Min-Position",
                    "in": "header",
                    "required": False,
                    "description": "As `min_position`, as a header.",
                    "schema": _DIGITS,
                }
            )
    if not parameters:
        del operation["parameters"]

    statuses: set[int] = set()
    if api or check_request in handler.resolve_guards():
        statuses.add(400)
    if api:
        statuses.add(429)
    if not public:
        statuses |= {401, 403}
    if has_path_params or (writes and not public):
        statuses.add(404)
    if writes:
        statuses |= {409, 422}
    if has_body or idempotent:
        statuses.add(413)
    if has_body:
        statuses.add(415)
    if ("header", "if-match") in names:
        statuses.add(412)
    if side.reads and api:
        statuses.add(503)

    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(statuses):
        existing = responses.get(str(status))
        if existing is not None and _is_ours(existing):
            continue
        responses[str(status)] = _problem_response(status, idempotent)
    for response in responses.values():
        headers = response.setdefault("headers", {})
        if api:
            for name, header in _RATE_LIMIT_HEADERS.items():
                headers.setdefault(name, header)
        if side.reads:
            headers.setdefault("X-Projection-Position", _PROJECTION_POSITION)
        if not headers:
            del response["headers"]


def _is_ours(response: dict[str, Any]) -> bool:
    """A response the route documents itself (not Litestar's stock 400 of another shape)."""
    return PROBLEM in response.get("content", {}) or "Validation Exception" not in str(response)


def _problem_response(status: int, idempotent: bool) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if status == 401:
        headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
    if status in (429, 503) or (status == 409 and idempotent):
        headers["Retry-After"] = {**_RETRY_AFTER, "required": status != 409}
    return {
        "description": f"{HTTPStatus(status).phrase}. {_WHY[status]}",
        "headers": headers,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


class _Documenter:
    """Completes an app's schema once, when a page first asks for it."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.done: dict[str, Any] | None = None

    def __call__(self, app: Litestar, schema: dict[str, Any]) -> dict[str, Any]:
        if self.done is None:
            self.done = document(schema, app.routes, self.side)
        return self.done


class _Json(JsonRenderPlugin):
    def __init__(self, documenter: _Documenter) -> None:
        super().__init__()
        self.documenter = documenter

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.documenter(request.app, openapi_schema))


class _Yaml(YamlRenderPlugin):
    def __init__(self, documenter: _Documenter) -> None:
        super().__init__()
        self.documenter = documenter

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.documenter(request.app, openapi_schema))


class _Swagger(SwaggerRenderPlugin):
    def __init__(self, documenter: _Documenter) -> None:
        super().__init__(
            path=["/swagger", "/"],
            js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
        )
        self.documenter = documenter

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.documenter(request.app, openapi_schema))


class _Redoc(RedocRenderPlugin):
    def __init__(self, documenter: _Documenter) -> None:
        super().__init__(
            js_url=f"{REDOC_ASSETS}/redoc.standalone.js",
            google_fonts=False,
            favicon=f"<link rel='icon' type='image/svg+xml' href='{REDOC_ASSETS}/logo-mini.svg'>",
        )
        self.documenter = documenter

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self.documenter(request.app, openapi_schema))


def config(title: str, side: Side) -> OpenAPIConfig:
    """The schema at /schema/openapi.json (and .yaml); Swagger UI at /schema and /schema/swagger,
    ReDoc at /schema/redoc, their scripts served by the app (from ``openapi-ui-bundles``), so
    the pages work without the internet."""
    documenter = _Documenter(side)
    assets = [
        create_static_files_router(
            path=SWAGGER_ASSETS.removeprefix(PATH),
            directories=[openapi_ui_bundles.swagger_ui.static_path],
            name="swagger-ui-assets",
        ),
        create_static_files_router(
            path=REDOC_ASSETS.removeprefix(PATH),
            directories=[openapi_ui_bundles.redoc.static_path],
            name="redoc-assets",
        ),
    ]
    return OpenAPIConfig(
        title=title,
        version="0.1.0",
        render_plugins=[
            _Swagger(documenter),
            _Redoc(documenter),
            _Json(documenter),
            _Yaml(documenter),
        ],
        openapi_router=Router(PATH, route_handlers=assets, include_in_schema=False),
    )


class Problem(msgspec.Struct, kw_only=True):
    """Named as the component ``document`` writes (``PROBLEM_SCHEMA``), which replaces it."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None
    code: str | None = None


def problem(status: int, why: str) -> ResponseSpec:
    """A problem a route answers that ``document`` cannot tell from the route (a public route's
    401, say)."""
    return ResponseSpec(
        Problem,
        generate_examples=False,
        media_type=PROBLEM,
        description=f"{HTTPStatus(status).phrase}: {why}.",
    )


class AtPosition(msgspec.Struct, kw_only=True):
    position: int


class Health(msgspec.Struct, kw_only=True):
    status: str  # ok | degraded
    checks: dict[str, str]  # database, nats, redis: ok or what failed
    failing: list[dict[str, Any]]  # projections failing 3 times in a row and more
    projections: dict[str, int] | None = None  # the read API: each read model's position


POSITION = ResponseSpec(
    AtPosition,
    generate_examples=False,
    description="Done; `position` is the log position of the last event.",
)
HEALTH: dict[int, ResponseSpec] = {
    200: ResponseSpec(Health, generate_examples=False, description="Every dependency answers."),
    503: ResponseSpec(
        Health,
        generate_examples=False,
        description="A dependency does not answer, or a projection keeps failing.",
    ),
}


def content_types(status: int, media_types: dict[str, dict[str, Any]]) -> type[Operation]:
    """An ``operation_class`` for a route that answers ``status`` in several media types
    (schemas as JSON Schema), where Litestar documents one."""

    class _Operation(Operation):
        def to_schema(self) -> dict[str, Any]:
            schema = super().to_schema()
            response = schema.get("responses", {}).get(str(status))
            if response is not None:
                response["content"] = {
                    media_type: {"schema": media_schema}
                    for media_type, media_schema in media_types.items()
                }
            return schema

    return _Operation


BINARY: dict[str, Any] = {"type": "string", "format": "binary"}
TEXT: dict[str, Any] = {"type": "string"}
