"""The report watch: each period's report of a schedule is made once the period is over and
mailed by SMTP with its PDF attached, once, whatever restarts, forgets or runs beside it."""

from __future__ import annotations

import asyncio
import email
import hashlib
import io
import time
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
from projections.runtime import catch_up_once
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
    found = _read(api, user, f"/api/workspaces/{workspace}/reports", _head(settings))
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
    shown = _read(api, user, f"/api/workspaces/{workspace}/reports/{march}", _head(settings))
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


def _read(api: Api, user: Any, path: str, position: int) -> Any:
    """As a client does: a 503 (the read model not there yet, on a busy machine) is asked
    again."""
    for _ in range(20):
        answer = api.reads.get(path, params={"min_position": position}, headers=user.headers)
        if answer.status_code != 503:
            break
        time.sleep(0.5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _head(settings: Settings) -> int:
    return int(query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])


def test_reports_and_mailings_asked_for_are_made_and_sent_once_when_the_watch_handles_them_again(
    api: Api, settings: Settings
) -> None:
    """A restart before the watch's position committed hands it the requests again: the
    report's id is fixed by its request and each recipient is claimed, so nothing is twice."""
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    api.record(user, workspace, account, date=str(date.today()), amount="-18.20")
    base = f"/api/workspaces/{workspace}"
    first = _newest_request(settings)
    schedule = api.commands.post(
        f"{base}/report-schedules",
        json={"frequency": "monthly", "recipients": ["run@example.com"]},
        headers=user.headers,
    ).json()
    run = api.commands.post(f"{base}/report-schedules/{schedule['id']}/run", headers=user.headers)
    assert run.status_code == 201, run.text
    report = run.json()["report"]
    assert run.json()["sent"] == ["run@example.com"]
    mailed = api.commands.post(
        f"{base}/reports/{report['id']}/email",
        json={"recipients": ["asked@example.com"]},
        headers=user.headers,
    )
    assert mailed.status_code == 200, mailed.text
    empty = api.commands.post(f"{base}/reports", json={"period": "1999-01"}, headers=user.headers)
    assert empty.status_code == 422, empty.text
    assert empty.json()["code"] == "NO_DATA_FOUND"

    query(
        settings,
        "UPDATE projection_positions SET position = %s WHERE name = 'report_watch' RETURNING 1",
        first,
    )
    asyncio.run(catch_up_once(settings, ReportWatch(settings)))

    def count(topic: str, originator: str) -> int:
        return int(
            query(
                settings,
                "SELECT count(*) FROM centsource_events WHERE topic LIKE %s AND originator_id = %s",
                f"%:{topic}",
                UUID(originator),
            )[0][0]
        )

    assert count("Report.Generated", report["id"]) == 1
    assert count("Report.Emailed", report["id"]) == 2  # the run's mailing, and the one asked
    failed = query(
        settings,
        "SELECT count(*) FROM centsource_events e WHERE topic LIKE '%%:ReportRequest.Failed' "
        "AND EXISTS (SELECT 1 FROM centsource_events r WHERE r.originator_id = e.originator_id "
        "AND r.topic LIKE '%%:ReportRequest.Made' AND r.notification_id > %s)",
        first,
    )
    assert failed[0][0] == 1
    for to in ("run@example.com", "asked@example.com"):
        sent = query(settings, "SELECT count(*) FROM dev_mailbox WHERE recipient = %s", to)
        assert sent[0][0] == 1, to


def _newest_request(settings: Settings) -> int:
    return int(query(settings, "SELECT max(notification_id) FROM centsource_events")[0][0])
