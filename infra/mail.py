"""The outbound mail port: SMTP when CENTSOURCE_SMTP_URL is set, else a dev mailbox table."""

from __future__ import annotations

import asyncio
import hashlib
import json
import smtplib
import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger("mail")

MAILBOX_DDL = """
CREATE TABLE IF NOT EXISTS dev_mailbox (
    id bigserial PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
)
"""
# What was attached (names, types, sizes, SHA-256; never the contents): added after the first
# release, so a mailbox from before keeps its mails.
MAILBOX_ATTACHMENTS_DDL = (
    "ALTER TABLE dev_mailbox ADD COLUMN IF NOT EXISTS attachments jsonb NOT NULL DEFAULT '[]'"
)


@dataclass(frozen=True)
class Attachment:
    file_name: str
    media_type: str  # type/subtype
    content: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


class Mailer(ABC):
    @abstractmethod
    async def send(self, mail: Mail) -> bool:
        """True once the mail is handed over; False (logged) when it could not be."""


class SmtpMailer(Mailer):
    """``smtp://[user:password@]host[:port]`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    def __init__(self, url: str, sender: str) -> None:
        self.url = urlsplit(url)
        self.sender = sender

    async def send(self, mail: Mail) -> bool:
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, smtplib.SMTPException, ValueError) as error:  # ValueError: a header
            # The error names the server, never the mail's body (it holds codes and tokens).
            log.warning("mail not sent", to=mail.to, subject=mail.subject, error=str(error))
            return False
        return True

    def _send(self, mail: Mail) -> None:
        message = EmailMessage()
        _header(message, "From", self.sender)
        _header(message, "To", mail.to)
        _header(message, "Subject", mail.subject)
        message.set_content(mail.body)
        for attached in mail.attachments:
            maintype, _, subtype = attached.media_type.partition("/")
            message.add_attachment(
                attached.content, maintype=maintype, subtype=subtype, filename=attached.file_name
            )
        host = self.url.hostname or "localhost"
        if self.url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, self.url.port or 465, timeout=10, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, self.url.port or 25, timeout=10)
        with client:
            if self.url.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
            if self.url.username:
                client.login(unquote(self.url.username), unquote(self.url.password or ""))
            # The envelope's one recipient is the address given, never what a header parsed.
            client.send_message(message, to_addrs=[mail.to])


def _header(message: EmailMessage, name: str, value: str) -> None:
    """Sets a header only if it reads back as written (else a ValueError). Python's email
    package decodes encoded words (``=?utf-8?q?a=0D=0ABcc:_x?=``) on the way in, and this
    Python writes what they decode to as it is: a line break in one would add headers of its
    own, a comma in an address more recipients."""
    message[name] = value
    if str(message[name]) != value:
        raise ValueError(f"the {name} header would not be sent as written")


class DevMailbox(Mailer):
    """Keeps mails in PostgreSQL, where a system ADMIN reads them (GET /api/admin/mailbox)."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    async def create_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(MAILBOX_DDL)
            present = await (
                await conn.execute(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = 'dev_mailbox'::regclass "
                    "AND attname = 'attachments' AND NOT attisdropped"
                )
            ).fetchone()
            if present is None:  # ALTER TABLE locks the table even when the column is there
                await conn.execute(MAILBOX_ATTACHMENTS_DDL)

    async def send(self, mail: Mail) -> bool:
        try:
            async with self.pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO dev_mailbox (recipient, subject, body, attachments) "
                    "VALUES (%s, %s, %s, %s)",
                    (mail.to, mail.subject, mail.body, json.dumps(_described(mail))),
                )
        except psycopg.Error as error:
            log.warning("mail not kept", to=mail.to, subject=mail.subject, error=str(error))
            return False
        return True

    async def read(self, recipient: str | None, limit: int) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT id, recipient, subject, body, sent_at FROM dev_mailbox"
                " WHERE %(to)s::text IS NULL OR lower(recipient) = lower(%(to)s)"
                " ORDER BY id DESC LIMIT %(limit)s",
                {"to": recipient, "limit": limit},
            )
            rows: list[dict[str, Any]] = await cursor.fetchall()
            return rows


def _described(mail: Mail) -> list[dict[str, Any]]:
    return [
        {
            "file_name": a.file_name,
            "media_type": a.media_type,
            "size": len(a.content),
            "sha256": hashlib.sha256(a.content).hexdigest(),
        }
        for a in mail.attachments
    ]
