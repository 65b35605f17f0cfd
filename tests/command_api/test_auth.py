"""Sign up, log in, refresh, and what happens without a valid token."""

from __future__ import annotations

import io
import json
from typing import Any
from uuid import uuid4

from infra.logs import configure_logging
from tests.api import PASSWORD, Api


def test_signing_up_returns_the_user_and_its_position(api: Api) -> None:
    email = f"grace-{uuid4().hex[:8]}@example.com"
    response = api.commands.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Grace"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email
    assert body["system_role"] in ("USER", "ADMIN")  # the first sign-up founds the installation
    assert body["position"] > 0
    assert "password" not in response.text


def test_signing_up_twice_with_one_email_is_a_conflict(api: Api) -> None:
    user = api.user()
    response = api.commands.post(
        "/api/auth/signup",
        json={"email": user.email.upper(), "password": PASSWORD, "name": "Again"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_weak_password_is_a_bad_request_naming_the_field(api: Api) -> None:
    response = api.commands.post(
        "/api/auth/signup",
        json={"email": "weak@example.com", "password": "alllowercase1", "name": "Weak"},
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert "password" in problem["errors"]


def test_unknown_fields_and_bad_emails_are_bad_requests(api: Api) -> None:
    unknown = api.commands.post(
        "/api/auth/signup",
        json={"email": "x@example.com", "password": PASSWORD, "name": "X", "admin": True},
    )
    assert unknown.status_code == 400
    bad_email = api.commands.post(
        "/api/auth/signup", json={"email": "not-an-email", "password": PASSWORD, "name": "X"}
    )
    assert bad_email.status_code == 400
    assert "email" in bad_email.json()["errors"]


def test_malformed_json_is_a_bad_request_not_a_server_error(api: Api) -> None:
    response = api.commands.post(
        "/api/auth/signup", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_a_wrong_password_and_an_unknown_email_look_the_same(api: Api) -> None:
    user = api.user()
    wrong = api.commands.post(
        "/api/auth/login", json={"email": user.email, "password": "Nope-12345"}
    )
    unknown = api.commands.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "Nope-12345"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_a_refresh_token_works_once(api: Api) -> None:
    user = api.user()
    first = api.commands.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    assert first.json()["refresh_token"] != user.refresh_token
    again = api.commands.post("/api/auth/refresh", json={"refresh_token": user.refresh_token})
    assert again.status_code == 401
    garbage = api.commands.post("/api/auth/refresh", json={"refresh_token": "not.a-token"})
    assert garbage.status_code == 401


def _refresh(api: Api, refresh_token: str) -> Any:
    return api.commands.post("/api/auth/refresh", json={"refresh_token": refresh_token})


def test_reusing_a_spent_refresh_token_ends_the_session_it_was_refreshed_into(api: Api) -> None:
    user = api.user()
    workspace_id = api.workspace(user)
    second = _refresh(api, user.refresh_token).json()
    third = _refresh(api, second["refresh_token"]).json()
    headers = {"Authorization": f"Bearer {third['access_token']}"}
    assert api.commands.get("/api/auth/me", headers=headers).status_code == 200

    reused = _refresh(api, user.refresh_token)

    assert reused.status_code == 401
    assert "log in again" in reused.json()["detail"]
    assert api.commands.get("/api/auth/me", headers=headers).status_code == 401
    read = api.reads.get(f"/api/workspaces/{workspace_id}/transactions", headers=headers)
    assert read.status_code == 401
    assert _refresh(api, third["refresh_token"]).status_code == 401


def test_reusing_a_refresh_token_is_logged_as_a_warning_without_the_token(api: Api) -> None:
    user = api.user()
    _refresh(api, user.refresh_token)
    captured = io.StringIO()
    configure_logging("warning", captured)
    try:
        assert _refresh(api, user.refresh_token).status_code == 401
    finally:
        configure_logging("warning")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    [warning] = [line for line in lines if line["event"] == "refresh token reused"]
    assert warning["level"] == "warning"
    assert warning["user_id"] == user.id
    assert warning["session_id"] == user.refresh_token.split(".")[0]
    assert warning["ended_session_id"] is not None
    assert user.refresh_token.split(".")[1] not in captured.getvalue()


def test_commands_without_a_valid_bearer_token_are_unauthorized(api: Api) -> None:
    missing = api.commands.post("/api/workspaces", json={"name": "Home", "base_currency": "EUR"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    forged = api.commands.post(
        "/api/workspaces",
        json={"name": "Home", "base_currency": "EUR"},
        headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged"},
    )
    assert forged.status_code == 401
