"""What every request passes before a route sees it: a body of JSON, text without control
characters, dates in a range the system computes with, and every bad field named at once.

One rule for every route, kept here rather than in each Struct: a NUL stored in one event stops
whichever read model writes it to PostgreSQL, so no such text may reach the log.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from datetime import date, datetime
from typing import Any, Union, cast, get_args, get_origin
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType

from infra.http import RequestRefused, header

# C0 controls, DEL and C1 controls. Tab and newline are allowed only in text people write on
# several lines, as are the line and paragraph separators (U+2028, U+2029: a title or a
# subject holding one broke the mail it went out in); a CSV profile's delimiter may be a tab.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_IN_DELIMITER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
MULTILINE_FIELDS = frozenset({"notes", "note", "message", "reflection_text"})

# As the domain's: money is not planned for the year 9999, and date arithmetic on such dates
# (the month after, a daily series) overflows.
SUPPORTED_YEARS = range(1900, 2201)
OUT_OF_RANGE = f"must be a date from {SUPPORTED_YEARS[0]} to {SUPPORTED_YEARS[-1]}"

_JSON_TYPES = ("application/json",)


async def check_request(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
    """A Litestar guard, placed after the one that authenticates, so a stranger learns nothing
    from a 400 that a 401 or 404 would have hidden. Raises ``RequestRefused``."""
    errors = _query_errors(connection.scope, handler)
    if errors:
        raise RequestRefused(400, "the query has invalid parameters", errors)
    body_type = _json_body_type(handler)
    request = cast("Request[Any, Any, Any]", connection)
    if body_type is None or request.method not in ("POST", "PUT", "PATCH"):
        return
    body = await request.body()  # kept on the request, for the route
    if body.strip():
        refusal = _check_json(connection.scope, body, body_type)
        if refusal is not None:
            raise RequestRefused(*refusal)


async def check_before_request(request: Request[Any, Any, Any]) -> None:
    """``check_request`` as a ``before_request`` hook, for an app whose routes have no other
    guard: Litestar hands each guard a copy of the route handler, a tenth of a cached read."""
    await check_request(request, request.scope["route_handler"])


def _check_json(
    scope: Any, body: bytes, body_type: Any
) -> tuple[int, str, dict[str, list[str]] | None] | None:
    if not _is_json(header(scope, b"content-type") or ""):
        return 415, "send the body as application/json", None
    try:
        value = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        return 400, f"the body is not valid JSON: {error}", None
    except RecursionError:
        return 400, "the body is not valid JSON: it is nested too deeply", None
    errors = text_errors(value)
    if not errors:
        errors = validation_errors(value, body_type)
    if errors:
        return 400, "the request has invalid fields", errors
    return None


def text_errors(value: Any, path: str = "", field: str = "") -> dict[str, list[str]]:
    """Every string (and key) holding a control character, by its path in the body."""
    errors: dict[str, list[str]] = {}
    if isinstance(value, str):
        if _bad_text(value, field):
            errors[path or "body"] = ["must not contain NUL or other control characters"]
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _bad_text(str(key), ""):
                errors[path or "body"] = ["keys must not contain control characters"]
                continue
            errors.update(text_errors(item, where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            errors.update(text_errors(item, f"{path}[{index}]", field))
    return errors


def _bad_text(text: str, field: str) -> bool:
    if field in MULTILINE_FIELDS:
        return _CONTROL_IN_MULTILINE.search(text) is not None
    if field == "delimiter":
        return _CONTROL_IN_DELIMITER.search(text) is not None
    return _CONTROL.search(text) is not None


def validation_errors(value: Any, body_type: Any) -> dict[str, list[str]]:
    """Every field the body gets wrong, not only the first msgspec meets; and dates out of
    range. Conversion is as lax as Litestar's own (``strict=False``), so nothing it would
    accept is refused here."""
    try:
        converted = msgspec.convert(value, body_type, strict=False, str_keys=True)
    except msgspec.ValidationError as error:
        struct = _struct_of(body_type)
        errors = _field_errors(value, struct) if struct and isinstance(value, dict) else {}
        return errors or {_path_of(str(error)) or "body": [_message_of(str(error))]}
    return date_errors(converted)


def _field_errors(value: dict[str, Any], struct: type[msgspec.Struct]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    known = {field.encode_name for field in info.fields}
    hints = {field.encode_name: field for field in info.fields}
    for name, field in hints.items():
        if name not in value:
            if field.required:
                errors[name] = [f"Object missing required field `{name}`"]
            continue
        try:
            msgspec.convert(value[name], _hints(struct)[field.name], strict=False)
        except msgspec.ValidationError as error:
            inner = _path_of(str(error))
            errors[f"{name}{_join(inner)}"] = [_message_of(str(error))]
    if struct.__struct_config__.forbid_unknown_fields:
        for name in value:
            if name not in known:
                errors[str(name)] = [f"Object contains unknown field `{name}`"]
    return errors


@functools.cache
def _hints(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """Field types with string annotations (``from __future__ import annotations``) resolved."""
    return typing.get_type_hints(struct, include_extras=True)


def _join(inner: str) -> str:
    if not inner:
        return ""
    return inner if inner.startswith("[") else f".{inner}"


_AT = re.compile(r" - at `\$(.*)`$")


def _path_of(message: str) -> str:
    match = _AT.search(message)
    return match.group(1).lstrip(".") if match else ""


def _message_of(message: str) -> str:
    return _AT.sub("", message)


def date_errors(value: Any, path: str = "") -> dict[str, list[str]]:
    """Dates the system cannot compute with (years outside 1900 to 2200), by path."""
    errors: dict[str, list[str]] = {}
    if isinstance(value, date):  # datetime is a date too
        if value.year not in SUPPORTED_YEARS:
            errors[path or "body"] = [OUT_OF_RANGE]
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            where = f"{path}.{name}" if path else name
            errors.update(date_errors(getattr(value, name), where))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            errors.update(date_errors(item, f"{path}[{index}]"))
    elif isinstance(value, dict):
        for key, item in value.items():
            errors.update(date_errors(item, f"{path}.{key}" if path else str(key)))
    return errors


def _query_errors(scope: Any, handler: Any) -> dict[str, list[str]]:
    raw = scope.get("query_string", b"")
    if not raw or (_PLAIN_QUERY.fullmatch(raw) and not _date_parameters(handler)):
        return {}  # nothing to decode, no control character, no date: nothing to refuse
    errors: dict[str, list[str]] = {}
    query = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    for name, text in query:
        if _CONTROL.search(name) or _CONTROL.search(text):
            errors[name] = ["must not contain NUL or other control characters"]
    if not errors:
        dated = _date_parameters(handler)
        for name, text in query:
            year = _year_of(text) if name in dated else None
            if year is not None and year not in SUPPORTED_YEARS:
                errors[name] = [OUT_OF_RANGE]
    return errors


# A query of printable ASCII and no escape: it cannot decode to a control character.
_PLAIN_QUERY = re.compile(rb"[\x20-\x24\x26-\x7e]*")


def _date_parameters(handler: Any) -> frozenset[str]:
    """The query names of the route's date parameters, worked out once per route function
    (a guard is handed a copy of the route handler, the same function in each)."""
    if handler is None:
        return frozenset()
    names = _DATED.get(handler.fn)
    if names is None:
        names = _DATED[handler.fn] = _dated(handler)
    return names


_DATED: dict[Any, frozenset[str]] = {}


def _dated(handler: Any) -> frozenset[str]:
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        if _is_date_type(field.annotation):
            kwarg = field.kwarg_definition
            names.add(getattr(kwarg, "query", None) or getattr(kwarg, "name", None) or name)
    return frozenset(names)


def _is_date_type(annotation: Any) -> bool:
    if annotation in (date, datetime):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_date_type(arg) for arg in get_args(annotation))
    return False


_YEAR = re.compile(r"\s*([+-]?\d+)-")


def _year_of(text: str) -> int | None:
    """The year an ISO date or datetime starts with; None where it has none (Litestar then
    answers the malformed value itself)."""
    match = _YEAR.match(text)
    return int(match.group(1)) if match else None


def _json_body_type(handler: Any) -> Any:
    """The route's body type when it takes JSON; None for multipart, forms and no body."""
    if handler is None:
        return None
    data = handler.parsed_data_field
    if data is None:
        return None
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if media_type != RequestEncodingType.JSON:
        return None
    return data.annotation


def _struct_of(body_type: Any) -> type[msgspec.Struct] | None:
    if isinstance(body_type, type) and issubclass(body_type, msgspec.Struct):
        return body_type
    for arg in get_args(body_type):
        struct = _struct_of(arg)
        if struct is not None:
            return struct
    return None


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or media_type.endswith("+json")
