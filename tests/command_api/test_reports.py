"""Reports over HTTP: a quarter's figures exact against the ledger, budget against actual, a
PDF whose text holds the totals, both charts as PNG, downloads counted, a json report, roles,
another workspace's ids, no data, bad input, and mail with the file attached."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from PIL import Image
from psycopg import sql
from pypdf import PdfReader

from infra.settings import Settings
from tests.api import Api, User

Q3 = [  # (date, amount, category, merchant)
    ("2026-06-30", "-50.00", "Groceries", "Fresh Market"),  # before the quarter
    ("2026-07-01", "2000.00", "Salary", "Acme"),
    ("2026-07-05", "-120.50", "Groceries", "Fresh Market"),
    ("2026-07-20", "-80.25", "Transport", "Metro"),
    ("2026-08-03", "-210.00", "Groceries", "Fresh Market"),
    ("2026-08-15", "2000.00", "Salary", "Acme"),
    ("2026-09-10", "-45.75", "Groceries", "Corner Shop"),
    ("2026-09-12", "-300.00", "Housing", "Landlord"),
    ("2026-10-01", "-999.00", "Housing", "Landlord"),  # after it
]


def newest_mail(settings: Settings, email: str) -> str:
    with psycopg.connect(settings.database) as conn:
        row = conn.execute(
            sql.SQL("SELECT body FROM {}.dev_mailbox WHERE recipient = %s ORDER BY id DESC").format(
                sql.Identifier(settings.database_schema)
            ),
            (email,),
        ).fetchone()
    assert row is not None
    return str(row[0])


class Ledger:
    def __init__(self, api: Api, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.admin = api.user("Ada")
        self.workspace = api.workspace(self.admin)
        self.account = api.account(self.admin, self.workspace, opening_balance="1000.00")
        self.categories: dict[str, str] = {}
        for day, amount, category, merchant in Q3:
            made = api.record(
                self.admin,
                self.workspace,
                self.account,
                date=day,
                amount=amount,
                category=category,
                merchant=merchant,
                description=merchant,
            )
            self.categories[category] = made["category_id"]
        budget = api.commands.post(
            f"/api/workspaces/{self.workspace}/budgets",
            json={
                "name": "Food",
                "amount": "150.00",
                "period": "2026-07",
                "category_ids": [self.categories["Groceries"]],
            },
            headers=self.admin.headers,
        )
        assert budget.status_code == 201, budget.text
        self.editor = self.member("EDITOR")
        self.viewer = self.member("VIEWER")

    def member(self, role: str) -> User:
        user = self.api.user(role.title())
        invited = self.api.commands.post(
            f"/api/workspaces/{self.workspace}/invitations",
            json={"email": user.email, "role": role},
            headers=self.admin.headers,
        )
        assert invited.status_code == 201, invited.text
        token = newest_mail(self.settings, user.email).splitlines()[2]
        accepted = self.api.commands.post(
            "/api/invitations/accept", json={"token": token}, headers=user.headers
        )
        assert accepted.status_code == 200, accepted.text
        return user

    def post(self, body: dict[str, Any], user: User | None = None, path: str = "reports") -> Any:
        return self.api.commands.post(
            f"/api/workspaces/{self.workspace}/{path}",
            json=body,
            headers=(user or self.admin).headers,
        )

    def read(self, path: str, position: int = 0, user: User | None = None) -> Any:
        """As a client does: a 503 (the read model not there yet) is asked again."""
        for _ in range(20):
            answer = self.api.reads.get(
                path, params={"min_position": position}, headers=(user or self.admin).headers
            )
            if answer.status_code != 503:
                break
            time.sleep(0.5)
        return answer


@pytest.fixture(scope="module")
def ledger(command_client: Any, read_client: Any, settings: Settings) -> Ledger:
    return Ledger(Api(command_client, read_client), settings)


@pytest.fixture(scope="module")
def quarter(ledger: Ledger) -> dict[str, Any]:
    made = ledger.post({"period": "Q3-2026", "format": "pdf"})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_a_quarters_summary_is_exact_against_the_ledger(quarter: dict[str, Any]) -> None:
    assert (quarter["title"], quarter["period"]) == ("Report for Q3 2026", "Q3-2026")
    assert (quarter["start_date"], quarter["end_date"]) == ("2026-07-01", "2026-09-30")
    s = quarter["summary"]
    assert (s["total_income"], s["total_expenses"], s["net"]) == ("4000.00", "756.50", "3243.50")
    assert (s["transaction_count"], s["expense_count"]) == (7, 5)
    assert [
        (c["category"], c["amount"], c["percentage"], c["count"]) for c in s["category_breakdown"]
    ] == [
        ("Groceries", "376.25", "49.74", 3),  # 376.25 / 756.50 x 100 = 49.7356…
        ("Housing", "300.00", "39.66", 1),
        ("Transport", "80.25", "10.61", 1),
    ]
    assert [
        (m["month"], m["income"], m["expenses"], m["net"]) for m in quarter["monthly_trend"]
    ] == [
        ("2026-07", "2000.00", "200.75", "1799.25"),
        ("2026-08", "2000.00", "210.00", "1790.00"),
        ("2026-09", "0.00", "345.75", "-345.75"),
    ]
    assert [(m["merchant"], m["amount"], m["count"]) for m in quarter["top_merchants"]] == [
        ("Fresh Market", "330.50", 2),
        ("Landlord", "300.00", 1),
        ("Metro", "80.25", 1),
        ("Corner Shop", "45.75", 1),
    ]
    assert 0 < quarter["computed_at"] < quarter["position"]


def test_budget_against_actual_counts_each_monthly_period_inside_the_quarter(
    quarter: dict[str, Any],
) -> None:
    s = quarter["summary"]
    # Three monthly periods of 150.00: 120.50 + 210.00 + 45.75 spent.
    assert (s["budget_amount"], s["budget_actual"]) == ("450.00", "376.25")
    assert (s["variance"], s["variance_percentage"]) == ("73.75", "16.39")
    assert [
        (b["start_date"], b["budgeted"], b["actual"], b["variance"], b["status"])
        for b in quarter["budgets"]
    ] == [
        ("2026-07-01", "150.00", "120.50", "29.50", "UNDER"),
        ("2026-08-01", "150.00", "210.00", "-60.00", "OVER"),
        ("2026-09-01", "150.00", "45.75", "104.25", "UNDER"),
    ]
    over = [i for i in quarter["insights"] if i["type"] == "BUDGET"]
    assert [(i["title"], i["amount"]) for i in over] == [("Food went over budget", "60.00")]
    assert any("went 60.00 EUR over" in r for r in quarter["recommendations"])


def test_the_pdf_opens_and_its_text_holds_the_totals_and_the_position(
    ledger: Ledger, quarter: dict[str, Any]
) -> None:
    file = ledger.read(quarter["file"], quarter["position"])
    assert file.status_code == 200, file.text
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"].startswith(
        'attachment; filename="report-for-q3-2026.pdf"'
    )
    pdf = PdfReader(io.BytesIO(file.content))
    text = " ".join(page.extract_text() for page in pdf.pages)
    for expected in (
        "Report for Q3 2026",
        "4000.00 EUR",
        "756.50 EUR",
        "3243.50 EUR",
        "Fresh Market",
        "Food went over budget",
        f"log position {quarter['computed_at']}",
    ):
        assert expected in text, expected
    assert pdf.metadata is not None
    assert pdf.metadata.title == "Report for Q3 2026"


def test_japanese_text_in_the_pdf_is_drawn_and_searchable(ledger: Ledger) -> None:
    made = ledger.post({"period": "Q3-2026", "format": "pdf", "title": "第3四半期の家計簿 Q3"})
    assert made.status_code == 201, made.text
    report = made.json()
    file = ledger.read(report["file"], report["position"])
    assert file.status_code == 200, file.text
    text = PdfReader(io.BytesIO(file.content)).pages[0].extract_text()
    assert "第3四半期の家計簿 Q3" in text  # DejaVu Sans has none of these: they were blank


def test_both_charts_are_pngs_and_downloads_are_counted(
    ledger: Ledger, quarter: dict[str, Any]
) -> None:
    for name in ("monthly_trend", "category_breakdown"):
        chart = ledger.read(quarter["charts"][name], quarter["position"])
        assert chart.status_code == 200, chart.text
        assert chart.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(chart.content))
        image.verify()
        assert (image.format, image.size) == ("PNG", (864, 384))
    path = f"/api/workspaces/{ledger.workspace}/reports/{quarter['id']}"
    assert ledger.read(f"{path}/charts/pie.png").status_code == 404
    before = ledger.read(path, quarter["position"], ledger.viewer).json()
    assert ledger.read(quarter["file"], quarter["position"], ledger.viewer).status_code == 200
    after = ledger.read(path, quarter["position"], ledger.viewer).json()
    assert after["download_count"] == before["download_count"] + 1
    assert after["last_downloaded_at"] is not None
    assert after["generated_by"] == "Ada"
    assert after["summary"] == quarter["summary"]
    assert after["charts"] == quarter["charts"]
    listed = ledger.read(f"/api/workspaces/{ledger.workspace}/reports", quarter["position"])
    assert quarter["id"] in [r["id"] for r in listed.json()["data"]]


def test_a_json_report_of_some_categories_counts_only_them(ledger: Ledger) -> None:
    made = ledger.post(
        {
            "period": {"from": "2026-07-01", "to": "2026-08-31"},
            "format": "json",
            "categories": [ledger.categories["Groceries"]],
            "include_insights": False,
        }
    )
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["period"] == "2026-07-01..2026-08-31"
    s = report["summary"]
    assert (s["total_income"], s["total_expenses"], s["expense_count"]) == ("0.00", "330.50", 2)
    assert (s["budget_amount"], s["variance"]) == ("300.00", "-30.50")
    assert (report["insights"], report["recommendations"]) == ([], [])
    file = ledger.read(report["file"], report["position"])
    assert file.headers["content-type"] == "application/json"
    assert json.loads(file.content)["summary"]["total_expenses"] == "330.50"


def test_only_an_admin_generates_and_another_workspaces_report_is_not_found(
    ledger: Ledger, quarter: dict[str, Any]
) -> None:
    for user in (ledger.editor, ledger.viewer):
        assert ledger.post({"period": "Q3-2026"}, user).status_code == 403
    stranger = ledger.api.user("Eve")
    elsewhere = ledger.api.workspace(stranger)
    other = f"/api/workspaces/{elsewhere}/reports/{quarter['id']}"
    assert ledger.api.reads.get(other, headers=stranger.headers).status_code == 404
    assert ledger.api.reads.get(f"{other}/file", headers=stranger.headers).status_code == 404
    mailed = ledger.api.commands.post(
        f"{other}/email", json={"recipients": ["x@example.com"]}, headers=stranger.headers
    )
    assert mailed.status_code == 404
    foreign = ledger.api.commands.post(
        f"/api/workspaces/{elsewhere}/reports",
        json={"period": "Q3-2026", "categories": [ledger.categories["Groceries"]]},
        headers=stranger.headers,
    )
    assert foreign.status_code == 404, foreign.text


def test_a_period_without_transactions_is_422_no_data_found(ledger: Ledger) -> None:
    answer = ledger.post({"period": "2025-01"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "NO_DATA_FOUND"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "Q5-2026"}, "period"),
        ({"period": "2026-1\u0000"}, "period"),
        ({"period": {"from": "2026-09-01", "to": "2026-08-01"}}, "period.to"),
        ({"period": {"from": "2020-01-01", "to": "2026-01-01"}}, "period.to"),
        ({"period": {"from": "1800-01-01", "to": "1800-02-01"}}, "period"),
        ({"period": "2026", "format": "docx"}, "format"),
        ({"period": "2026", "title": "x" * 201}, "title"),
        ({"period": "\u0662\u0660\u0662\u0666"}, "period"),  # ٢٠٢٦: digits, not ASCII ones
        ({"period": "2026-1\u0660"}, "period"),
        ({"period": "2026", "title": "Q3\u2028Bcc: x"}, "title"),  # a line separator
    ],
)
def test_bad_input_is_400_naming_the_field(
    ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    answer = ledger.post(body)
    assert answer.status_code == 400, answer.text
    assert any(k.startswith(field) for k in answer.json()["errors"]), answer.json()


def test_mailing_a_report_attaches_its_file_once_per_recipient(
    ledger: Ledger, quarter: dict[str, Any], settings: Settings
) -> None:
    path = f"/api/workspaces/{ledger.workspace}/reports/{quarter['id']}/email"
    too_many = [f"r{n}@example.com" for n in range(21)]
    encoded_word = "=?utf-8?q?evil=40x.com=2C?=victim@example.com"  # two addresses in a header
    for recipients in (too_many, ["not-an-email"], [], [encoded_word]):
        bad = ledger.api.commands.post(
            path, json={"recipients": recipients}, headers=ledger.admin.headers
        )
        assert bad.status_code == 400, bad.text
    assert (
        ledger.api.commands.post(
            path, json={"recipients": ["a@example.com"]}, headers=ledger.editor.headers
        ).status_code
        == 403
    )
    to = ["Board@Example.com", "board@example.com", "cfo@example.com"]
    sent = ledger.api.commands.post(
        path,
        json={"recipients": to, "subject": "Q3", "message": "Hello,\nthe quarter."},
        headers=ledger.admin.headers,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] == ["board@example.com", "cfo@example.com"]
    with psycopg.connect(settings.database) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT recipient, subject, body, attachments FROM {}.dev_mailbox "
                "WHERE recipient = ANY(%s) ORDER BY id"
            ).format(sql.Identifier(settings.database_schema)),
            (["board@example.com", "cfo@example.com"],),
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("board@example.com", "Q3"), ("cfo@example.com", "Q3")]
    assert rows[0][2].startswith("Hello,\nthe quarter.")
    assert "Expenses: 756.50 EUR" in rows[0][2]
    assert rows[0][3] == [
        {
            "file_name": "report-for-q3-2026.pdf",
            "media_type": "application/pdf",
            "size": quarter["file_size"],
            "sha256": quarter["sha256"],
        }
    ]
    shown = ledger.read(
        f"/api/workspaces/{ledger.workspace}/reports/{quarter['id']}", sent.json()["position"]
    )
    assert shown.json()["emailed"][0]["recipients"] == ["board@example.com", "cfo@example.com"]


def test_a_schedule_is_made_listed_changed_run_and_deleted_by_an_admin(
    ledger: Ledger, settings: Settings
) -> None:
    body = {"frequency": "monthly", "recipients": ["Ops@Example.com", "cfo@example.com"]}
    assert ledger.post(body, ledger.editor, "report-schedules").status_code == 403
    for bad in ({**body, "frequency": "hourly"}, {**body, "recipients": ["nope"]}):
        assert ledger.post(bad, path="report-schedules").status_code == 400
    made = ledger.post(body, path="report-schedules")
    assert made.status_code == 201, made.text
    schedule = made.json()
    today = datetime.now(UTC).date()
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert schedule["next_run_at"] == f"{first_of_next}T00:00:00Z"
    assert schedule["recipients"] == ["ops@example.com", "cfo@example.com"]
    assert (schedule["starts_on"], schedule["version"]) == (str(today), 1)
    listing = f"/api/workspaces/{ledger.workspace}/report-schedules"
    listed = ledger.read(listing, schedule["position"]).json()["data"]
    assert [(s["id"], s["frequency"], s["next_run_at"]) for s in listed] == [
        (schedule["id"], "monthly", schedule["next_run_at"])
    ]
    assert ledger.read(listing, 0, ledger.viewer).status_code == 403
    path = f"{listing}/{schedule['id']}"
    stale = ledger.api.commands.patch(
        path, json={"format": "json"}, headers={**ledger.admin.headers, "If-Match": "7"}
    )
    assert stale.status_code == 412, stale.text
    changed = ledger.api.commands.patch(
        path,
        json={"frequency": "weekly", "recipients": ["ops@example.com"]},
        headers={**ledger.admin.headers, "If-Match": "1"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["frequency"], changed.json()["version"]) == ("weekly", 2)
    nothing_yet = ledger.api.commands.post(f"{path}/run", headers=ledger.admin.headers)
    if nothing_yet.status_code == 422:  # no transaction this week so far
        assert nothing_yet.json()["code"] == "NO_DATA_FOUND"
        ledger.api.record(
            ledger.admin, ledger.workspace, ledger.account, date=str(today), amount="-12.00"
        )
    run = ledger.api.commands.post(f"{path}/run", headers=ledger.admin.headers)
    assert run.status_code == 201, run.text
    ran = run.json()
    assert ran["sent"] == ["ops@example.com"]
    assert ran["report"]["schedule_id"] == schedule["id"]
    assert ran["report"]["end_date"] == str(today)
    assert newest_mail(settings, "ops@example.com").startswith(ran["report"]["title"])
    gone = ledger.api.commands.delete(path, headers=ledger.admin.headers)
    assert gone.status_code == 200, gone.text
    assert ledger.read(listing, gone.json()["position"]).json()["data"] == []
    assert ledger.api.commands.post(f"{path}/run", headers=ledger.admin.headers).status_code == 404
