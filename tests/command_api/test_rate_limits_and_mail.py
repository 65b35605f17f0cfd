"""Rate limits by tier (Redis, and in-process while Redis is away); SMTP mail;
no secret in the logs."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import TestClient

from command_api.app import create_app as create_command_app
from infra.embedded import free_port
from infra.logs import configure_logging
from infra.mail import Mail, SmtpMailer
from infra.settings import Settings
from tests.api import PASSWORD, Api

DEFAULT_LIMITS = Settings().rate_limits


def _app(settings: Settings, **changes: Any) -> TestClient[Any]:
    return TestClient(create_command_app(msgspec.structs.replace(settings, **changes)))


def test_the_sixth_login_in_the_window_is_429_with_retry_after(own_schema: Settings) -> None:
    with _app(own_schema, rate_limits=DEFAULT_LIMITS) as client:
        email = f"ada-{uuid4().hex[:8]}@example.com"
        attempts = [
            client.post("/api/auth/login", json={"email": email, "password": "Wrong-pass-1"})
            for _ in range(6)
        ]
        assert [a.status_code for a in attempts] == [401] * 5 + [429]
        first, last = attempts[0], attempts[-1]
        assert first.headers["ratelimit-policy"] == '"strict";q=5;w=900'
        assert first.headers["ratelimit"].startswith('"strict";r=4;t=')
        assert first.headers["x-ratelimit-remaining"] == "4"
        assert int(last.headers["retry-after"]) > 0
        assert last.headers["content-type"] == "application/problem+json"
        # Another email from the same address has its own window.
        other = client.post(
            "/api/auth/login", json={"email": f"x{email}", "password": "Wrong-pass-1"}
        )
        assert other.status_code == 401


def test_repeated_failures_lock_an_email_across_addresses(own_schema: Settings) -> None:
    with _app(own_schema, login_lockout="3/900") as client:
        client.post(
            "/api/auth/signup",
            json={"email": "lock@example.com", "password": PASSWORD, "name": "L"},
        )
        for _ in range(3):
            wrong = client.post(
                "/api/auth/login", json={"email": "lock@example.com", "password": "Nope-12345"}
            )
            assert wrong.status_code == 401
        right = client.post(
            "/api/auth/login", json={"email": "lock@example.com", "password": PASSWORD}
        )
        assert right.status_code == 429
        assert "failed log-ins" in right.json()["detail"]


def test_the_login_lockout_holds_with_the_rate_limits_off(own_schema: Settings) -> None:
    with _app(own_schema, rate_limits="off", login_lockout="3/900") as client:
        email = f"lock-{uuid4().hex[:8]}@example.com"
        client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "L"})
        wrong = [
            client.post("/api/auth/login", json={"email": email, "password": "Nope-12345"})
            for _ in range(3)
        ]
        assert [w.status_code for w in wrong] == [401] * 3
        assert "ratelimit" not in wrong[0].headers  # no rate limit is counted
        right = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert right.status_code == 429
        assert "failed log-ins" in right.json()["detail"]
        assert int(right.headers["retry-after"]) > 0


def test_with_redis_away_limits_hold_per_process_and_nothing_fails(
    own_schema: Settings,
) -> None:
    redis_away = f"redis://127.0.0.1:{free_port()}"  # nothing listens there
    with _app(own_schema, redis_url=redis_away, rate_limits="moderate=3/900,strict=2/900") as c:
        signup = c.post(
            "/api/auth/signup",
            json={"email": f"r-{uuid4().hex[:8]}@example.com", "password": PASSWORD, "name": "R"},
        )
        assert signup.status_code == 201
        email = signup.json()["email"]
        tokens = c.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        answers = [
            c.post(
                "/api/workspaces", json={"name": "W", "base_currency": "EUR"}, headers=headers
            ).status_code
            for _ in range(4)
        ]
        assert answers == [201, 201, 201, 429]
        third_login = c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert third_login.status_code == 429


class Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.recipients: list[list[str]] = []
        self.senders: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content.decode())
        self.recipients.append(list(envelope.rcpt_tos))
        self.senders.append(envelope.mail_from)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def test_codes_go_out_by_smtp_and_no_secret_reaches_the_logs(
    own_schema: Settings, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    captured = io.StringIO()
    configure_logging(
        "info", captured
    )  # as the processes run (the test SMTP server debug-logs mail)
    try:
        secrets = _walk_through_secrets(own_schema, url, inbox)
    finally:
        configure_logging("warning")
    logged = captured.getvalue()
    assert '"event": "request"' in logged  # the request lines were captured
    for secret in secrets:
        assert secret not in logged


def _walk_through_secrets(own_schema: Settings, url: str, inbox: Inbox) -> list[str]:
    with _app(own_schema, smtp_url=url) as client:
        email = f"mail-{uuid4().hex[:8]}@example.com"
        client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "M"})
        tokens = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        access, refresh = tokens.json()["access_token"], tokens.json()["refresh_token"]
        headers = {"Authorization": f"Bearer {access}"}
        sent = client.post("/api/auth/email-verification", headers=headers)
        assert sent.json()["email_sent"] is True
        [mail] = inbox.messages
        assert f"To: {email}" in mail
        code = re.search(r"Your code is (\d{6})", mail)
        assert code
        verified = client.post(
            "/api/auth/email-verification/confirm", json={"code": code.group(1)}, headers=headers
        )
        assert verified.json()["email_verified"] is True
        workspace = client.post(
            "/api/workspaces", json={"name": "W", "base_currency": "EUR"}, headers=headers
        ).json()
        key = client.post(
            f"/api/workspaces/{workspace['id']}/api-keys",
            json={"name": "k", "role": "VIEWER"},
            headers=headers,
        ).json()["key"]
        client.post("/api/auth/refresh", json={"refresh_token": refresh})
    return [PASSWORD, access, refresh, refresh.split(".")[1], code.group(1), key]


def test_smtp_sends_a_mail_to_its_one_address_and_never_a_header_it_would_rewrite(
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    mailer = SmtpMailer(url, "centsource <noreply@localhost>")
    assert asyncio.run(mailer.send(Mail("victim@example.com", "Report for Q3-2026", "Hello")))
    hostile = [
        # Encoded words decode to a line break (a header of their own) or to more addresses.
        Mail("victim@example.com", "=?utf-8?q?Hi=0D=0AReply-To:_evil@x.com?=", "Pay"),
        Mail("=?utf-8?q?evil=40x.com=2C?=victim@example.com", "Report", "Hello"),
        Mail("victim@example.com", "Hi\u2028there", "Hello"),  # a ValueError, not a crash
    ]
    assert [asyncio.run(mailer.send(mail)) for mail in hostile] == [False, False, False]
    assert inbox.recipients == [["victim@example.com"]]
    assert inbox.senders == ["noreply@localhost"]  # the address, not the display name
    assert "Subject: Report for Q3-2026" in inbox.messages[0]
    assert "Reply-To" not in inbox.messages[0]


def test_admin_routes_answer_403_to_other_users(api: Api) -> None:
    user = api.user()
    if api.commands.get("/api/auth/me", headers=user.headers).json()["system_role"] == "ADMIN":
        user = api.user()  # the first sign-up of the schema is its admin
    assert api.commands.get("/api/admin/mailbox", headers=user.headers).status_code == 403
    grant = api.commands.post(
        "/api/admin/system-roles",
        json={"email": user.email, "role": "ADMIN"},
        headers=user.headers,
    )
    assert grant.status_code == 403


def test_the_first_sign_up_is_the_admin_who_reads_the_mailbox_and_grants(
    own_schema: Settings,
) -> None:
    with _app(own_schema) as client:
        users = []
        for name in ("First", "Second"):
            email = f"{name.lower()}-{uuid4().hex[:8]}@example.com"
            signup = client.post(
                "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name}
            )
            login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            users.append(
                (signup.json(), {"Authorization": f"Bearer {login.json()['access_token']}"})
            )
        (first, admin), (second, other) = users
        assert (first["system_role"], second["system_role"]) == ("ADMIN", "USER")
        client.post("/api/auth/password-reset", json={"email": second["email"]})
        mails = client.get("/api/admin/mailbox", params={"to": second["email"]}, headers=admin)
        assert "Your code is" in mails.json()["data"][0]["body"]
        assert client.get("/api/admin/mailbox", headers=other).status_code == 403
        granted = client.post(
            "/api/admin/system-roles",
            json={"email": second["email"], "role": "ADMIN"},
            headers=admin,
        )
        assert granted.json()["system_role"] == "ADMIN"
        assert client.get("/api/admin/mailbox", headers=other).status_code == 200
