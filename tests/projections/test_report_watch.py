"""The report watch: each period's report of a schedule is made once the period is over and
mailed by SMTP with its PDF attached, once, whatever restarts, forgets or runs beside it."""

from __future__ import annotations

import asyncio
import email
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import Message
from typing import Any
from uuid import UUID

import msgspec
import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from domain.reporting.periods import Frequency, period_holding
from domain.reporting.report import scheduled_report_id
from infra.embedded import free_port
from infra.settings import Settings
from projections.report_watch.projector import ReportWatch
from tests.api import Api
from tests.projections.processes import query, wait_until


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings: Settings) -> Iterator[tuple[Settings, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield msgspec.structs.replace(settings, smtp_url=f"smtp://127.0.0.1:{port}"), inbox
    finally:
        controller.stop()


def watch_at(settings: Settings, *clocks: datetime) -> None:
    """Watches started afresh, one per clock, looking at the same time."""

    async def look(now: datetime) -> None:
        watch = ReportWatch(settings, clock=lambda: now)
        try:
            await watch.idle()
        finally:
            await watch.close()

    async def run() -> None:
        await asyncio.gather(*(look(now) for now in clocks))

    asyncio.run(run())


def reports_of(api: Api, user: Any, workspace: str, settings: Settings) -> list[str]:
    found = api.read(user, f"/api/workspaces/{workspace}/reports", _head(settings))
    return [r["period"] for r in found["data"]]


def test_a_monthly_schedule_mails_each_months_pdf_once_across_restarts_and_two_watches(
    api: Api, settings: Settings, smtp: tuple[Settings, Inbox]
) -> None:
    mailing, inbox = smtp
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    api.record(user, workspace, account, date="2036-03-10", amount="-40.00", category="Groceries")
    api.record(user, workspace, account, date="2036-03-20", amount="1500.00")
    api.record(user, workspace, account, date="2036-04-15", amount="-25.50")
    created = api.commands.post(
        f"/api/workspaces/{workspace}/report-schedules",
        json={"frequency": "monthly", "recipients": ["a@example.com", "b@example.com"]},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    watched = "SELECT position FROM projection_positions WHERE name = 'report_watch'"
    wait_until(
        lambda: query(settings, watched)[0][0] >= schedule["position"], 20, "the report watch"
    )
    march = scheduled_report_id(
        UUID(schedule["id"]), period_holding(Frequency.MONTHLY, date(2036, 3, 1))
    )
    watch_at(mailing, datetime(2036, 4, 2, 12, tzinfo=UTC))  # March is over
    assert sorted(m["To"] for m in inbox.messages) == ["a@example.com", "b@example.com"]
    mail = inbox.messages[0]
    assert mail["Subject"] == "Report for March 2036"
    [attached] = [part for part in mail.walk() if part.get_filename()]
    assert attached.get_filename() == "report-for-march-2036.pdf"
    assert attached.get_content_type() == "application/pdf"
    pdf = attached.get_payload(decode=True)
    assert isinstance(pdf, bytes)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "1500.00 EUR" in text
    assert "40.00 EUR" in text
    shown = api.read(user, f"/api/workspaces/{workspace}/reports/{march}", _head(settings))
    assert shown["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (shown["period"], shown["schedule_id"], shown["generated_by"]) == (
        "2036-03",
        schedule["id"],
        None,
    )
    assert [sorted(e["recipients"]) for e in shown["emailed"]] == [
        ["a@example.com", "b@example.com"]
    ]

    watch_at(mailing, datetime(2036, 4, 2, 13, tzinfo=UTC))  # a restart
    query(
        settings,
        "UPDATE report_watch SET checked_through = NULL WHERE schedule_id = %s RETURNING 1",
        UUID(schedule["id"]),
    )
    watch_at(mailing, datetime(2036, 4, 3, tzinfo=UTC))  # forgot what it looked at: a replay
    assert len(inbox.messages) == 2
    assert reports_of(api, user, workspace, settings) == ["2036-03"]

    # April, by two watches at once: one report, one mail per recipient.
    watch_at(mailing, datetime(2036, 5, 1, 9, tzinfo=UTC), datetime(2036, 5, 1, 9, tzinfo=UTC))
    assert len(inbox.messages) == 4
    assert sorted(m["To"] for m in inbox.messages[2:]) == ["a@example.com", "b@example.com"]
    assert {m["Subject"] for m in inbox.messages[2:]} == {"Report for April 2036"}
    assert reports_of(api, user, workspace, settings) == ["2036-04", "2036-03"]


def _head(settings: Settings) -> int:
    return int(query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])
