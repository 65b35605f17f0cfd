"""Mails each member the alerts whose rules name the EMAIL channel.

A process manager, like the budget watch: never rebuilt, since a replay would mail again. It
waits for the notifications and users projections (who the members are, their emails), then
mails IMMEDIATE alerts at once, and keeps DAILY and WEEKLY ones for a digest sent when its
day or week is over. A crash after mailing and before the position commits mails again: mail
is at-least-once; digest lines are keyed by event and recipient, so they are kept once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog

from domain.budgeting.alerts import AlertRule
from infra.database import async_pool
from infra.mail import DevMailbox, Mail, Mailer, SmtpMailer
from infra.settings import Settings
from projections.notifications.view import alert_line, digest_period, recipients
from projections.runtime import (
    Cursor,
    Projection,
    event_id,
    handles,
    open_connection,
    wait_for_projections,
)

log = structlog.get_logger("notifier")
DIGEST_DDL = """
CREATE TABLE IF NOT EXISTS notifier_digests (
    event_id uuid NOT NULL,
    recipient text NOT NULL,
    due_at timestamptz NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (event_id, recipient)
)
"""


def due_at(frequency: str, at: datetime) -> datetime:
    """The end of the alert's day (DAILY) or week, Monday to Sunday (WEEKLY), in UTC: the
    same periods as the digest in the app."""
    return digest_period(frequency, at)[1]


class Notifier(Projection):
    name = "notifier"

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock  # what says a digest is due
        self.alerts: list[AlertRule.Triggered] = []
        self.until = 0
        self.conn: Any = None
        self.mailer: Mailer | None = None
        self.pool: Any = None

    async def before_batch(self) -> None:
        self.alerts = []
        await self._open()

    @handles(AlertRule.Triggered)
    async def on_alert_triggered(
        self, cur: Cursor, event: AlertRule.Triggered, position: int
    ) -> None:
        if "EMAIL" in event.channels:
            self.alerts.append(event)
            self.until = position

    async def after_batch(self) -> None:
        if not self.alerts:
            return
        await wait_for_projections(self.conn, ("notifications", "users"), self.until)
        for alert in self.alerts:
            line = alert_line(alert)
            for recipient in await recipients(self.conn, alert.workspace_id):
                if not recipient["email"]:
                    continue
                if alert.frequency == "IMMEDIATE":
                    await self._send(recipient["email"], f"centsource: {alert.budget_name}", line)
                else:
                    await self.conn.execute(
                        "INSERT INTO notifier_digests (event_id, recipient, due_at, line) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (
                            event_id(alert),
                            recipient["email"],
                            due_at(alert.frequency, alert.timestamp),
                            line,
                        ),
                    )

    async def idle(self) -> None:
        """Sends each recipient's due digest lines in one mail, then forgets them."""
        await self._open()
        now = self.clock()
        rows = await (
            await self.conn.execute(
                "SELECT DISTINCT recipient FROM notifier_digests WHERE due_at <= %s", (now,)
            )
        ).fetchall()
        for row in rows:
            async with self.conn.transaction():
                lines = await (
                    await self.conn.execute(
                        "DELETE FROM notifier_digests WHERE recipient = %s AND due_at <= %s "
                        "RETURNING line",
                        (row["recipient"], now),
                    )
                ).fetchall()
                body = "\n".join(sorted(line["line"] for line in lines))
                if not await self._send(row["recipient"], "centsource: your alerts digest", body):
                    raise psycopg.OperationalError("the digest was not sent; kept for later")

    async def _send(self, to: str, subject: str, body: str) -> bool:
        assert self.mailer is not None
        sent = await self.mailer.send(Mail(to=to, subject=subject, body=body))
        log.info("mail", subject=subject, sent=sent)  # never the address's mail body
        return sent

    async def _open(self) -> None:
        if self.conn is None or self.conn.closed:
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)
            await self.conn.execute(DIGEST_DDL)
        if self.mailer is None:
            if self.settings.smtp_url:
                self.mailer = SmtpMailer(self.settings.smtp_url, self.settings.mail_from)
            else:
                self.pool = async_pool(self.settings, max_size=2)
                await self.pool.open()
                mailbox = DevMailbox(self.pool)
                await mailbox.create_table()
                self.mailer = mailbox

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        self.mailer = None
