"""Bare Litestar JSON routes, GET and POST: the ceiling the APIs' routes are compared
against."""

from __future__ import annotations

from litestar import Litestar, get, post


@get("/bare")
async def bare() -> dict[str, object]:
    return {
        "workspace_id": "00000000-0000-0000-0000-000000000000",
        "totals": [],
        "month": "2026-03",
    }


@post("/bare", status_code=201)
async def bare_post(data: dict[str, object]) -> dict[str, object]:
    return {"id": "00000000-0000-0000-0000-000000000000", **data}


app = Litestar([bare, bare_post], logging_config=None)
