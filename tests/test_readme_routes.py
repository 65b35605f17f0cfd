"""The README's route tables and the APIs' schemas name the same routes.

A table row's first cell lists routes in the README's shorthand: `POST /api/auth/signup`,
`/login` (a sibling of the path before), `GET`, `PATCH /api/auth/me` (two methods, one path),
`PATCH`/`DELETE …/budgets/{id}` (… is any prefix). Other cells may name a route in full
(`POST /api/auth/me/credentials`). Path parameters match whatever their names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar

from command_api.app import create_app as create_command_app
from infra.settings import Settings
from read_api.app import create_app as create_read_app

README = Path(__file__).resolve().parent.parent / "README.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
TABLES = {"command API": create_command_app, "read API": create_read_app}

_CODE = re.compile(r"`([^`]+)`")
_PARAMETER = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Listed:
    method: str
    path: str  # normalised; starts with "…" where the README leaves the prefix out
    line: int

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        if self.path.startswith("…"):
            return path.endswith(self.path.removeprefix("…"))
        return path == self.path


def normalised(path: str) -> str:
    return _PARAMETER.sub("{}", path.rstrip("/") or "/")


def readme_routes(text: str) -> dict[str, list[Listed]]:
    """Routes by table ("command API", "read API"), in the order the README lists them."""
    tables: dict[str, list[Listed]] = {name: [] for name in TABLES}
    table = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            table = None
            continue
        heading = next((name for name in TABLES if line.startswith(f"| {name} ")), None)
        if heading:
            table = heading
            continue
        if table is None:
            continue
        cells = line.split(" | ")
        tables[table] += _first_cell(cells[0].removeprefix("|"), number)
        for cell in cells[1:]:
            tables[table] += _named_in_full(cell, number)
    return tables


def _first_cell(cell: str, number: int) -> list[Listed]:
    listed: list[Listed] = []
    pending: list[str] = []  # methods named before their path (`GET`, `PATCH /x`)
    methods: list[str] = []  # the methods of the path before (for `/login`, `…/confirm`)
    full = ""  # the last path written in full
    for code in _CODE.findall(cell):
        code = code.strip()
        if code in METHODS:
            pending.append(code)
            continue
        method, _, path = code.partition(" ") if code.split(" ")[0] in METHODS else ("", "", code)
        if method:
            methods = [*pending, method]
        elif pending:
            methods = pending
        pending = []
        path = path.strip().split("?")[0]
        if path == "…":  # the path written in full itself (`DELETE …`)
            path = full
        elif path.startswith("/") and not path.startswith("/api/") and full:
            path = full.rsplit("/", 1)[0] + path  # its sibling (`/login`)
        if path.startswith("/api/"):
            full = path
        listed += [Listed(m, normalised(path), number) for m in methods]
    return listed


def _named_in_full(cell: str, number: int) -> list[Listed]:
    listed = []
    for code in _CODE.findall(cell):
        method, _, path = code.strip().partition(" ")
        if method in METHODS and path.startswith(("/api/", "…/")):
            listed.append(Listed(method, normalised(path.split("?")[0]), number))
    return listed


def schema_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every documented route under /api (``/health`` and ``/schema`` are told in prose)."""
    return [
        (method.upper(), normalised(path))
        for path, item in app.openapi_schema.to_schema()["paths"].items()
        if path.startswith("/api/")
        for method in item
        if method.upper() in METHODS
    ]


def test_the_shorthand_reads_as_the_routes_it_abbreviates() -> None:
    text = (
        "| command API (:8000) | |\n"
        "| `POST /api/auth/signup`, `/login` | sign up |\n"
        "| `GET`, `PATCH /api/auth/me` | who |\n"
        "| `PATCH /api/workspaces/{ws}`, `PUT …/settings`, `DELETE …` | x |\n"
        "| `PATCH`/`DELETE …/rules/{id}`, `…/rules/{id}/x?y=` | and `POST /api/users/me` |\n"
    )
    listed = {(r.method, r.path) for r in readme_routes(text)["command API"]}
    assert listed == {
        ("POST", "/api/auth/signup"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/auth/me"),
        ("PATCH", "/api/auth/me"),
        ("PATCH", "/api/workspaces/{}"),
        ("PUT", "…/settings"),
        ("DELETE", "/api/workspaces/{}"),
        ("PATCH", "…/rules/{}"),
        ("DELETE", "…/rules/{}"),
        ("PATCH", "…/rules/{}/x"),
        ("DELETE", "…/rules/{}/x"),
        ("POST", "/api/users/me"),
    }


@pytest.mark.parametrize("table", sorted(TABLES))
def test_the_readme_lists_every_route_of_the_schema_and_no_other(table: str) -> None:
    listed = readme_routes(README.read_text())[table]
    routes = schema_routes(TABLES[table](Settings.from_env()))
    unlisted = [f"{m} {p}" for m, p in routes if not any(r.matches(m, p) for r in listed)]
    unknown = [
        f"README.md:{r.line}: {r.method} {r.path}"
        for r in listed
        if not any(r.matches(m, p) for m, p in routes)
    ]
    assert unlisted == [], f"routes of the {table} the README's table does not list"
    assert unknown == [], f"routes in the README's {table} table that the {table} lacks"
