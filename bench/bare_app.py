"""A bare Litestar JSON route: the ceiling the read API's routes are compared against."""

from __future__ import annotations

from litestar import Litestar, get


@get("/bare")
async def bare() -> dict[str, object]:
    return {
        "workspace_id": "00000000-0000-0000-0000-000000000000",
        "totals": [],
        "month": "2026-03",
    }


app = Litestar([bare], logging_config=None)
