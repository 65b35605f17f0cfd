"""What insight and forecast answers are worked out from, and how they are kept: a request's
reading of the read models (on its connection, and a second one beside it when the pool has
one to spare), and the answer cached in Redis under the route, its query, the workspace's
today and its last position in the log."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, time, timedelta
from typing import Any, TypeVar
from uuid import UUID

import redis.asyncio as redis
from litestar import MediaType, Request, Response
from litestar.datastructures import State
from litestar.serialization import encode_json
from psycopg_pool import PoolTimeout

from infra.settings import Settings
from infra.tasks import both
from projections.insights import anomalies, recurring, rows
from projections.insights.model import ExpenseDay, Line, Occurrence
from projections.ledger import view as ledger_view
from read_api.access import read_access
from read_api.cache import cache_get, cache_put

T = TypeVar("T")
# Every event of a workspace is in the audit trail, so its last position there moves on any
# change an answer could depend on.
KEYED_BY = "audit_trail"
ONE_DAY = timedelta(days=1)
HALVED_DAYS = 90  # lines of a longer span are read as two halves at once
ASIDE_WAIT = 0.05  # seconds a reading waits for a second connection before doing without


class Reading:
    """One request's connection, the workspace's day and version, and what answers are worked
    out from: rows of the read models, conversion into the base currency, category names."""

    def __init__(self, request: Request[Any, Any, State], conn: Any, workspace_id: UUID) -> None:
        self.request = request
        self.conn = conn
        self.workspace_id = workspace_id

    async def open(self) -> None:
        """Today and the week start in the workspace's time zone, and its last position."""
        self.today, self.week_start, self.position = await rows.version(
            self.conn, self.workspace_id
        )

    async def aside(self, read: Callable[[Reading], Awaitable[T]]) -> T:
        """``read`` on a second connection of the pool: run beside this reading's own
        queries (``both``), it keeps the database busy while rows are decoded here. When the
        pool has none to spare at once, ``read`` waits for this reading's connection instead:
        requests that each hold one connection never wait on each other for a second."""
        pool = self.request.app.state.pool
        try:
            conn = await pool.getconn(timeout=ASIDE_WAIT)
        except PoolTimeout:
            return await read(self)
        try:
            other = Reading(self.request, conn, self.workspace_id)
            other.today, other.week_start, other.position = (
                self.today,
                self.week_start,
                self.position,
            )
            return await read(other)
        finally:
            await pool.putconn(conn)

    async def start(self) -> tuple[date, str, ledger_view.Conversion, dict[UUID, str]]:
        """Today and the week start of the workspace (once opened), a conversion into its
        base currency, category names."""
        conn, workspace_id = self.conn, self.workspace_id
        base = await ledger_view.base_currency(conn, workspace_id)
        rates = await ledger_view.Rates.load(conn, workspace_id)
        names = await rows.category_names(conn, workspace_id)
        return self.today, self.week_start, ledger_view.Conversion(rates, base), names

    async def lines(
        self, start: date, end: date, named: bool = True, other_than: str | None = None
    ) -> list[Line]:
        """``rows.lines``; a span of months as two halves at once (``aside``): building the
        JSON of the lines is most of the query, and the database builds one half while the
        other is decoded here."""
        conn, workspace_id = self.conn, self.workspace_id
        if (end - start).days < HALVED_DAYS:
            return await rows.lines(conn, workspace_id, start, end, named, other_than)
        middle = start + (end - start) / 2
        first, second = await both(
            rows.lines(conn, workspace_id, start, middle, named, other_than),
            self.aside(
                lambda other: rows.lines(
                    other.conn, workspace_id, middle + ONE_DAY, end, named, other_than
                )
            ),
        )
        return first + second

    async def anomaly_history(self, start: date, base: str) -> tuple[list[Line], list[ExpenseDay]]:
        """What ``anomalies.find_anomalies`` needs of the 180 days before ``start``: the lines
        in other currencies than ``base`` (each converted on its day), and the expenses in
        ``base`` added up per day and category by the database."""
        first, last = start - timedelta(days=anomalies.WINDOW_DAYS), start - ONE_DAY
        return await both(
            self.lines(first, last, named=False, other_than=base),
            self.aside(
                lambda other: rows.expense_days(other.conn, self.workspace_id, first, last, base)
            ),
        )

    async def day_totals(self, start: date, end: date, by_category: bool = False) -> list[Line]:
        return await rows.day_totals(self.conn, self.workspace_id, start, end, by_category)

    async def months(self) -> list[date]:
        return await rows.months(self.conn, self.workspace_id)

    async def occurrences(self, start: date, end: date) -> list[Occurrence]:
        return await rows.occurrences(self.conn, self.workspace_id, start, end)

    async def series(
        self, start: date, end: date, windows: Sequence[tuple[date, date]] = ()
    ) -> recurring.Grouped:
        """The occurrences dated ``start`` to ``end`` grouped for recurring series (only the
        groups that could be one in ``windows``, by default that whole span)."""
        return await rows.series(self.conn, self.workspace_id, start, end, windows)

    async def times(self, start: date, end: date) -> dict[UUID, time]:
        return await rows.times(self.conn, self.workspace_id, start, end)


async def answer(
    request: Request[Any, Any, State],
    workspace_id: UUID,
    serving: tuple[str, ...],
    compute: Callable[[Reading], Awaitable[Any]],
) -> Response[Any]:
    """The answer ``compute`` works out, kept in Redis under the route, its query, the
    workspace's today and its last position in the log: any change of the workspace (a
    transaction, a rate, a budget, a flag, a setting) or a new day makes a new key, so a hit
    answers from one Redis read and two indexed lookups."""
    await read_access(request, workspace_id, (*serving, KEYED_BY))
    settings: Settings = request.app.state.settings
    cache: redis.Redis = request.app.state.cache
    async with request.app.state.pool.connection() as conn:
        reading = Reading(request, conn, workspace_id)
        await reading.open()
        query = sorted(
            (name, value)
            for name, value in request.query_params.multi_items()
            if name != "min_position"
        )
        asked = hashlib.blake2b(f"{request.url.path}?{query}".encode(), digest_size=16)
        key = (
            f"insights:{settings.database_schema}:{workspace_id}:{asked.hexdigest()}:"
            f"{reading.today}:{reading.position}"
        )
        cached = await cache_get(cache, key)
        request.app.state.metrics.count_cache("insights", hit=cached is not None)
        if cached is not None:
            return Response(cached, media_type=MediaType.JSON, headers={"X-Cache": "hit"})
        body = encode_json(await compute(reading))
    # Only what every read model had reached the workspace's last change when it was read
    # may be kept under that change's position; a lagging one's answer is served, not kept.
    if request.scope["state"].get("projection_position", 0) >= reading.position:
        await cache_put(cache, key, body)
    return Response(body, media_type=MediaType.JSON, headers={"X-Cache": "miss"})
