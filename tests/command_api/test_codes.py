"""Mailed codes (email verification, password reset) die after five wrong tries, with the rate
limits off: the limit is the code's own, not the rate limiter's."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from litestar.testing import TestClient

from command_api.app import create_app as create_command_app
from domain.identity.user import CODE_TRIES
from infra.settings import Settings
from tests.api import PASSWORD
from tests.conftest import drop_schema, fresh_schema

NEW_PASSWORD = "Battery-staple-7"


class Person:
    """A signed-up user, and the codes mailed to them (read from the dev mailbox by an ADMIN)."""

    def __init__(self, client: TestClient[Any], admin: dict[str, str] | None = None) -> None:
        self.client = client
        self.email = f"codes-{uuid4().hex[:8]}@example.com"
        client.post(
            "/api/auth/signup", json={"email": self.email, "password": PASSWORD, "name": "C"}
        )
        tokens = client.post("/api/auth/login", json={"email": self.email, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        self.admin = admin or self.headers

    def newest_code(self) -> str:
        mails = self.client.get("/api/admin/mailbox", params={"to": self.email}, headers=self.admin)
        found = re.search(r"Your code is (\d{6})", mails.json()["data"][0]["body"])
        assert found
        return found.group(1)


@pytest.fixture(scope="module")
def people(services: Settings) -> Iterator[Callable[[], Person]]:
    """New users of one command API with the rate limits off."""
    settings = msgspec.structs.replace(fresh_schema(services), rate_limits="off")
    try:
        with TestClient(create_command_app(settings)) as client:
            admin = Person(client)  # the schema's first sign-up is its ADMIN
            yield lambda: Person(client, admin.headers)
    finally:
        drop_schema(settings)


def _wrong_codes(code: str) -> list[str]:
    return [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, CODE_TRIES + 1)]


def test_a_verification_code_dies_after_five_wrong_tries_and_a_new_one_works(
    people: Callable[[], Person],
) -> None:
    person = people()
    client = person.client
    client.post("/api/auth/email-verification", headers=person.headers)
    code = person.newest_code()

    def confirm(guess: str) -> Any:
        return client.post(
            "/api/auth/email-verification/confirm", json={"code": guess}, headers=person.headers
        )

    assert [confirm(wrong).status_code for wrong in _wrong_codes(code)] == [422] * CODE_TRIES
    dead = confirm(code)
    assert dead.status_code == 422
    assert "ask for a new one" in dead.json()["errors"]["code"][0]

    client.post("/api/auth/email-verification", headers=person.headers)
    verified = confirm(person.newest_code())
    assert verified.status_code == 200
    assert verified.json()["email_verified"] is True


def test_a_reset_code_dies_after_five_wrong_tries_and_a_new_one_works(
    people: Callable[[], Person],
) -> None:
    person = people()
    client = person.client
    client.post("/api/auth/password-reset", json={"email": person.email})
    code = person.newest_code()

    def confirm(guess: str) -> Any:
        return client.post(
            "/api/auth/password-reset/confirm",
            json={"email": person.email, "code": guess, "new_password": NEW_PASSWORD},
        )

    assert [confirm(wrong).status_code for wrong in _wrong_codes(code)] == [422] * CODE_TRIES
    dead = confirm(code)
    assert dead.status_code == 422
    assert "ask for a new one" in dead.json()["detail"]
    old = client.post("/api/auth/login", json={"email": person.email, "password": PASSWORD})
    assert old.status_code == 200

    client.post("/api/auth/password-reset", json={"email": person.email})
    assert confirm(person.newest_code()).status_code == 200
    new = client.post("/api/auth/login", json={"email": person.email, "password": NEW_PASSWORD})
    assert new.status_code == 200


def test_a_reset_for_an_unknown_email_answers_as_a_wrong_code(
    people: Callable[[], Person],
) -> None:
    person = people()
    client = person.client
    client.post("/api/auth/password-reset", json={"email": person.email})
    [wrong] = _wrong_codes(person.newest_code())[:1]
    answers = [
        client.post(
            "/api/auth/password-reset/confirm",
            json={"email": email, "code": wrong, "new_password": NEW_PASSWORD},
        )
        for email in (person.email, f"nobody-{uuid4().hex[:8]}@example.com")
    ]
    assert answers[0].status_code == answers[1].status_code == 422
    assert answers[0].json() == answers[1].json()
