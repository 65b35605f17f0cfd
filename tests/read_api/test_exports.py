"""Exports: CSV, JSON and XLSX files that an import reads back into the same transactions."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api import Api, User

RECORDED: list[dict[str, Any]] = [
    {"date": "2026-02-01", "amount": "-5.75", "description": "Coffee", "merchant": "Café Rémy"},
    {
        "date": "2026-02-01",
        "time": "08:05",
        "amount": "-5.75",
        "description": "Coffee",
        "merchant": "Café Rémy",
    },
    {
        "date": "2026-02-03",
        "time": "22:45:10",
        "amount": "-84.10",
        "description": "Weekly shop",
        "category": "Groceries",
        "tags": ["family", "weekly"],
        "notes": "paid by card, split later",
    },
    {
        "date": "2026-02-05",
        "amount": "-1234.56",
        "description": '=HYPERLINK("http://evil.example")',
        "category": "Hobbies > Model trains",
    },
    {"date": "2026-02-28", "amount": "2500.00", "description": "Salary", "category": "Salary"},
]


def listed(api: Api, user: User, workspace: str, position: int, **params: Any) -> list[Any]:
    page = api.read(
        user,
        f"/api/workspaces/{workspace}/transactions",
        position,
        sort="date",
        page_size=100,
        **params,
    )
    fields = ("amount", "currency", "description", "merchant", "category", "notes")
    return sorted(
        (t["date"], t["time"] or "", *(t[f] for f in fields), tuple(t["tags"]))
        for t in page["data"]
    )


def export(api: Api, user: User, workspace: str, position: int, **params: Any) -> Any:
    response = api.reads.get(
        f"/api/workspaces/{workspace}/exports/transactions",
        params={"min_position": position, **params},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("format", ["csv", "json", "xlsx"])
def test_an_export_imported_into_an_empty_workspace_gives_the_same_transactions(
    api: Api, format: str
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    other_account = api.account(user, workspace)
    for fields in RECORDED:
        position = api.record(user, workspace, account, **fields)["position"]
    api.record(user, workspace, other_account, description="Not in this account")
    gone = api.record(user, workspace, account, description="Deleted")
    deleted = api.commands.delete(
        f"/api/workspaces/{workspace}/transactions/{gone['id']}", headers=user.headers
    )
    position = deleted.json()["position"]
    original = listed(api, user, workspace, position, account_id=account)
    assert len(original) == len(RECORDED)
    assert sorted(t[1] for t in original) == ["", "", "", "08:05:00", "22:45:10"]

    response = export(api, user, workspace, position, format=format, account=account)
    assert f'filename="transactions.{format}"' in response.headers["content-disposition"]
    file = response.content

    fresh = api.workspace(user)
    target = api.account(user, fresh)
    imported = api.commands.post(
        f"/api/workspaces/{fresh}/imports",
        files={"file": (f"transactions.{format}", file)},
        data={"account_id": target},
        headers=user.headers,
    )
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["format"], body["imported"], body["rejected"]) == (format, len(RECORDED), [])
    assert listed(api, user, fresh, body["position"]) == original
    again = api.commands.post(
        f"/api/workspaces/{fresh}/imports",
        files={"file": (f"transactions.{format}", file)},
        data={"account_id": target},
        headers=user.headers,
    )
    assert (again.json()["imported"], again.json()["skipped_duplicates"]) == (0, len(RECORDED))


def test_exported_text_never_runs_as_a_spreadsheet_formula(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    position = api.record(user, workspace, account, **RECORDED[3])["position"]
    exported = export(api, user, workspace, position)
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:7] == [
        *("date", "time", "amount", "currency", "description", "merchant", "category")
    ]
    assert rows[1][1:5] == ["", "-1234.56", "EUR", '\'=HYPERLINK("http://evil.example")']
    workbook = load_workbook(
        io.BytesIO(export(api, user, workspace, position, format="xlsx").content)
    )
    cell = workbook.active["E2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")', "s")


def test_an_export_keeps_to_its_dates_and_category(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    for fields in RECORDED:
        position = api.record(user, workspace, account, **fields)["position"]
    february_start = json.loads(
        export(api, user, workspace, position, format="json", to="2026-02-03").content
    )
    assert [t["description"] for t in february_start] == ["Coffee", "Coffee", "Weekly shop"]
    assert february_start[2]["category"] == "Food & Drink > Groceries"
    assert february_start[2]["tags"] == ["family", "weekly"]
    hobbies = json.loads(
        export(api, user, workspace, position, format="json", category="Hobbies").content
    )
    assert [(t["amount"], t["category"]) for t in hobbies] == [
        ("-1234.56", "Hobbies > Model trains")
    ]
    stranger = api.user("Eve")
    response = api.reads.get(
        f"/api/workspaces/{workspace}/exports/transactions", headers=stranger.headers
    )
    assert response.status_code == 404


def test_every_export_has_a_time_column_written_as_hh_mm_ss_or_left_empty(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    api.record(user, workspace, account, date="2026-02-01", description="Lunch")
    position = api.record(user, workspace, account, time="23:59", description="Kebab")["position"]
    rows = list(
        csv.reader(io.StringIO(export(api, user, workspace, position).content.decode("utf-8-sig")))
    )
    assert [(row[0], row[1], row[4]) for row in rows] == [
        ("date", "time", "description"),
        ("2026-02-01", "", "Lunch"),
        ("2026-03-14", "23:59:00", "Kebab"),
    ]
    objects = json.loads(export(api, user, workspace, position, format="json").content)
    assert [t["time"] for t in objects] == [None, "23:59:00"]
    sheet = load_workbook(
        io.BytesIO(export(api, user, workspace, position, format="xlsx").content)
    ).active
    assert [sheet["B1"].value, sheet["B2"].value, sheet["B3"].value] == ["time", None, "23:59:00"]
