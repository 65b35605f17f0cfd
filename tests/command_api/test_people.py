"""Logout, me, passwords, email codes, device users, system roles: over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from tests.api import PASSWORD, Api

NEW_PASSWORD = "Battery-staple-7"


def _code(mail: str) -> str:
    found = re.search(r"\b(\d{6})\b", mail)
    assert found, mail
    return found.group(1)


def test_logging_out_refuses_the_sessions_tokens_at_once_on_both_apis(api: Api) -> None:
    user = api.user()
    workspace_id = api.workspace(user)
    assert api.commands.post("/api/auth/logout", headers=user.headers).status_code == 200
    assert api.commands.get("/api/auth/me", headers=user.headers).status_code == 401
    read = api.reads.get(f"/api/workspaces/{workspace_id}/transactions", headers=user.headers)
    assert read.status_code == 401
    refresh = api.commands.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refresh.status_code == 401


def test_me_answers_and_a_rename_shows_in_me(api: Api) -> None:
    user = api.user("Ada")
    me = api.commands.get("/api/auth/me", headers=user.headers).json()
    assert (me["id"], me["email"], me["name"], me["anonymous"]) == (
        user.id,
        user.email,
        "Ada",
        False,
    )
    renamed = api.commands.patch("/api/auth/me", json={"name": "Ada L."}, headers=user.headers)
    assert renamed.json()["name"] == "Ada L."
    assert api.commands.get("/api/auth/me", headers=user.headers).json()["name"] == "Ada L."


def test_changing_the_password_ends_every_other_session(api: Api) -> None:
    user = api.user()
    other = api.commands.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    wrong = api.commands.post(
        "/api/auth/password",
        json={"current_password": "Not-the-one-1", "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert wrong.status_code == 401
    changed = api.commands.post(
        "/api/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=user.headers,
    )
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert api.commands.get("/api/auth/me", headers=other_headers).status_code == 401
    assert api.commands.get("/api/auth/me", headers=user.headers).status_code == 401
    assert api.commands.get("/api/auth/me", headers=fresh).status_code == 200
    assert api.reads.get("/api/workspaces", headers=other_headers).status_code == 401
    old = api.commands.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert old.status_code == 401
    new = api.commands.post("/api/auth/login", json={"email": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 200


def test_an_email_is_verified_with_the_mailed_code_once(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    user = api.user()
    sent = api.commands.post("/api/auth/email-verification", headers=user.headers)
    assert sent.status_code == 202
    assert sent.json()["email_sent"] is True
    code = _code(mailbox(user.email))
    wrong = "000000" if code != "000000" else "111111"
    refused = api.commands.post(
        "/api/auth/email-verification/confirm", json={"code": wrong}, headers=user.headers
    )
    assert refused.status_code == 422
    assert "code" in refused.json()["errors"]
    verified = api.commands.post(
        "/api/auth/email-verification/confirm", json={"code": code}, headers=user.headers
    )
    assert verified.status_code == 200
    assert verified.json()["email_verified"] is True
    again = api.commands.post(
        "/api/auth/email-verification/confirm", json={"code": code}, headers=user.headers
    )
    assert again.status_code == 422


def test_a_password_is_reset_by_a_mailed_code_and_unknown_emails_look_the_same(
    api: Api, mailbox: Callable[[str], str]
) -> None:
    user = api.user()
    unknown = api.commands.post(
        "/api/auth/password-reset", json={"email": f"nobody-{uuid4().hex}@example.com"}
    )
    known = api.commands.post("/api/auth/password-reset", json={"email": user.email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    code = _code(mailbox(user.email))
    reset = api.commands.post(
        "/api/auth/password-reset/confirm",
        json={"email": user.email, "code": code, "new_password": NEW_PASSWORD},
    )
    assert reset.status_code == 200
    assert api.commands.get("/api/auth/me", headers=user.headers).status_code == 401
    login = api.commands.post(
        "/api/auth/login", json={"email": user.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 200
    reused = api.commands.post(
        "/api/auth/password-reset/confirm",
        json={"email": user.email, "code": code, "new_password": "Another-one-99"},
    )
    assert reused.status_code == 422


def test_a_device_user_keeps_its_data_when_it_attaches_an_email(api: Api) -> None:
    client_id = str(uuid4())
    device = api.commands.post("/api/users", json={"client_id": client_id})
    assert device.status_code == 201
    tokens: dict[str, Any] = device.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = api.commands.get("/api/auth/me", headers=headers).json()
    assert me["anonymous"] is True
    workspace = api.commands.post(
        "/api/workspaces", json={"name": "Pocket", "base_currency": "JPY"}, headers=headers
    )
    assert workspace.status_code == 201
    workspace_id = workspace.json()["id"]
    again = api.commands.post("/api/users", json={"client_id": client_id})
    assert again.json()["user_id"] == tokens["user_id"]

    email = f"kakei-{uuid4().hex[:8]}@example.com"
    attached = api.commands.post(
        "/api/auth/me/credentials",
        json={"email": email, "password": PASSWORD, "name": "Kei"},
        headers=headers,
    )
    assert attached.status_code == 200
    assert attached.json()["anonymous"] is False
    login = api.commands.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.json()["user_id"] == tokens["user_id"]
    logged_in = {"Authorization": f"Bearer {login.json()['access_token']}"}
    listing = api.reads.get(
        "/api/workspaces",
        params={"min_position": workspace.json()["position"]},
        headers=logged_in,
    )
    assert [w["id"] for w in listing.json()["data"]] == [workspace_id]
    # The device's id no longer logs in without the password.
    assert api.commands.post("/api/users", json={"client_id": client_id}).status_code == 409
    taken = api.commands.post("/api/users", json={}).json()
    taken_headers = {"Authorization": f"Bearer {taken['access_token']}"}
    clash = api.commands.post(
        "/api/auth/me/credentials",
        json={"email": email.upper(), "password": PASSWORD, "name": "Other"},
        headers=taken_headers,
    )
    assert clash.status_code == 409
