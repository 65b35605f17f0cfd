"""Serves research: the instruments, and the export of consented participants for the
research team (by a token of its own, not a user's session)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.params import FromQuery, QueryParameter

from domain.engagement.catalogue import instruments
from infra import openapi
from infra.settings import Settings
from projections.research import view
from read_api.access import read_access

TOKEN_HEADER = "x-research-export-token"  # noqa: S105 - a header name


class ItemOut(msgspec.Struct, kw_only=True):
    id: str
    text: str
    min: int
    max: int
    reverse_coded: bool


class InstrumentOut(msgspec.Struct, kw_only=True):
    key: str
    title: str
    phases: list[str]
    tracks: list[str]
    scoring: str  # sum or mean
    items: list[ItemOut]


class InstrumentList(msgspec.Struct, kw_only=True):
    data: list[InstrumentOut]


Word = Annotated[str, QueryParameter(max_length=30)]


@get("/api/research/instruments")
async def list_instruments(
    request: Request[Any, Any, State],
    phase: FromQuery[Word | None] = None,
    track: FromQuery[Word | None] = None,
) -> InstrumentList:
    """The study's instruments, or those asked in a ``phase`` and ``track``."""
    await read_access(request, None, "research")
    return InstrumentList(
        data=[
            InstrumentOut(
                key=i.key,
                title=i.title,
                phases=list(i.phases),
                tracks=list(i.tracks),
                scoring=i.scoring,
                items=[
                    ItemOut(
                        id=item.id,
                        text=item.text,
                        min=item.min,
                        max=item.max,
                        reverse_coded=item.reverse_coded,
                    )
                    for item in i.items
                ],
            )
            for i in instruments()
            if (phase is None or phase in i.phases) and (track is None or track in i.tracks)
        ]
    )


@get(
    "/api/admin/research/export",
    media_type="application/x-ndjson",
    operation_class=openapi.content_types(200, {"application/x-ndjson": openapi.TEXT}),
    opt={"access": "TOKEN"},
)
async def export_research(request: Request[Any, Any, State]) -> Response[Any]:
    """NDJSON, one record a line: consented participants who allow export, then what each
    sent, by participant code only. Needs ``X-Research-Export-Token``: 503 when the
    installation sets none (``CENTSOURCE_RESEARCH_EXPORT_TOKEN``), 403 when it is missing or
    wrong."""
    settings: Settings = request.app.state.settings
    expected = settings.research_export_token
    if not expected:
        raise HTTPException(
            "the research export is not set up here",
            status_code=503,
            headers={"Retry-After": "3600"},  # until the installation sets a token
        )
    given = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDeniedException("a valid X-Research-Export-Token is needed")
    async with request.app.state.pool.connection() as conn:
        body = b"".join([line async for line in view.export_lines(conn)])
    return Response(body, media_type="application/x-ndjson")
