"""Mails a report's file, attached, to each recipient through the mail port (SMTP, else the
dev mailbox): one mail per recipient, so one address never sees the others."""

from __future__ import annotations

import structlog

from domain.base import NotFoundError
from domain.reporting.report import MEDIA_TYPES, Report, file_name
from infra.blobs import Blobs
from infra.mail import Attachment, Mail, Mailer

log = structlog.get_logger("reports")


def default_body(report: Report) -> str:
    s = report.summary
    c = report.currency
    return (
        f"{report.title} ({report.start_date} to {report.end_date}) is attached.\n\n"
        f"Income: {s['total_income']} {c}\nExpenses: {s['total_expenses']} {c}\n"
        f"Net: {s['net']} {c}\nTransactions: {s['transaction_count']}\n"
    )


async def mail_report(
    mailer: Mailer,
    blobs: Blobs,
    report: Report,
    recipients: list[str],
    subject: str | None = None,
    message: str | None = None,
) -> tuple[list[str], list[str]]:
    """The recipients the mail was handed over for, and those it was not."""
    content = await blobs.get(report.file_sha256)
    if content is None:
        raise NotFoundError("the report's file is missing from the attachments store")
    attached = Attachment(
        file_name=file_name(report.title, report.format),
        media_type=MEDIA_TYPES[report.format],
        content=content,
    )
    body = default_body(report) if message is None else f"{message}\n\n{default_body(report)}"
    sent: list[str] = []
    failed: list[str] = []
    for to in recipients:
        mail = Mail(to=to, subject=subject or report.title, body=body, attachments=(attached,))
        (sent if await mailer.send(mail) else failed).append(to)
    log.info("report mailed", report_id=str(report.id), sent=len(sent), failed=len(failed))
    return sent, failed
