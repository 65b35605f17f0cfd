"""Idempotency-Key: one transaction per key, whatever happens to the process or the cache."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import psycopg
import redis
from litestar.testing import TestClient
from psycopg import sql

from command_api.app import create_app
from infra import database
from infra.idempotency import IdempotencyStore
from infra.settings import Settings
from tests.api import Api


def _count_transactions(settings: Settings, transaction_id: str) -> int:
    with psycopg.connect(settings.database) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.centsource_events WHERE originator_id = %s").format(
                sql.Identifier(settings.database_schema)
            ),
            (transaction_id,),
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _forget_expired(settings: Settings) -> int:
    async with database.async_pool(settings) as pool:
        return await IdempotencyStore(pool).forget_expired()


class Lunch(NamedTuple):
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    scope: str  # the key's row in idempotency_keys


def _lunch(api: Api, key: str) -> Lunch:
    """A user with a workspace and an account, about to record lunch under ``key``."""
    user = api.user()
    workspace = api.workspace(user)
    return Lunch(
        f"/api/workspaces/{workspace}/transactions",
        {**user.headers, "Idempotency-Key": key},
        _body(api.account(user, workspace)),
        f"{user.id}:{key}",
    )


def _rewind_claim(settings: Settings, lunch: Lunch, age: str, *, answered: bool) -> None:
    """Makes the key's claim ``age`` old, with or without its stored answer."""
    with psycopg.connect(settings.database, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {}.idempotency_keys SET claimed_at = now() - %s::interval, "
                "status = CASE WHEN %s THEN status END WHERE scope = %s"
            ).format(sql.Identifier(settings.database_schema)),
            (age, answered, lunch.scope),
        )


def _body(account: str) -> dict[str, Any]:
    return {
        "account_id": account,
        "date": "2026-03-14",
        "amount": "-12.50",
        "currency": "EUR",
        "description": "Lunch",
    }


def test_a_retry_with_the_same_key_returns_the_first_result(api: Api, settings: Settings) -> None:
    lunch = _lunch(api, "lunch-1")
    first = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    second = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _count_transactions(settings, first.json()["id"]) == 1


def test_the_same_key_with_another_body_is_unprocessable(api: Api) -> None:
    lunch = _lunch(api, "lunch-2")
    assert api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers).status_code == 201
    changed = {**lunch.body, "amount": "-13.50"}
    response = api.commands.post(lunch.url, json=changed, headers=lunch.headers)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


def test_keys_survive_a_restart_of_the_command_api_and_an_empty_cache(
    api: Api, settings: Settings
) -> None:
    lunch = _lunch(api, "lunch-3")
    first = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    cache = redis.Redis.from_url(settings.redis)
    # This installation's keys only: other test processes share the Redis database.
    for key in cache.scan_iter(match=f"*{settings.database_schema}*"):
        cache.delete(key)
    with TestClient(create_app(settings)) as restarted:
        again = restarted.post(lunch.url, json=lunch.body, headers=lunch.headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert _count_transactions(settings, first.json()["id"]) == 1


def test_a_creation_interrupted_before_its_answer_was_stored_does_not_double(
    api: Api, settings: Settings
) -> None:
    """The process died after saving but before storing the answer: the retry finds the id."""
    lunch = _lunch(api, "lunch-4")
    first = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    _rewind_claim(settings, lunch, "1 hour", answered=False)
    retry = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert _count_transactions(settings, first.json()["id"]) == 1


def test_a_retry_after_the_key_expired_still_creates_nothing_new(
    api: Api, settings: Settings
) -> None:
    lunch = _lunch(api, "lunch-6")
    first = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    _rewind_claim(settings, lunch, "25 hours", answered=True)
    assert asyncio.run(_forget_expired(settings)) >= 1
    late = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    assert late.status_code == 201
    assert late.json()["id"] == first.json()["id"]
    assert _count_transactions(settings, first.json()["id"]) == 1


def test_log_in_answers_are_never_stored_for_replay(api: Api, settings: Settings) -> None:
    user = api.user()
    credentials = {"email": user.email, "password": "Correct-horse-9"}
    headers = {"Idempotency-Key": "login-1"}
    first = api.commands.post("/api/auth/login", json=credentials, headers=headers)
    second = api.commands.post("/api/auth/login", json=credentials, headers=headers)
    assert first.json()["refresh_token"] != second.json()["refresh_token"]
    with psycopg.connect(settings.database) as conn:
        stored = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.idempotency_keys WHERE scope LIKE %s").format(
                sql.Identifier(settings.database_schema)
            ),
            ("%:login-1",),
        ).fetchone()
    assert stored == (0,)


def test_a_request_still_in_progress_with_the_key_is_a_conflict(
    api: Api, settings: Settings
) -> None:
    lunch = _lunch(api, "lunch-5")
    assert api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers).status_code == 201
    _rewind_claim(settings, lunch, "0 seconds", answered=False)  # claimed, not yet answered
    response = api.commands.post(lunch.url, json=lunch.body, headers=lunch.headers)
    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"


def test_an_undecodable_authorization_header_with_a_key_is_unauthorized(api: Api) -> None:
    response = api.commands.post(
        "/api/workspaces",
        json={"name": "Home", "base_currency": "EUR"},
        headers={"Authorization": b"Bearer \xff\xfe", "Idempotency-Key": "odd-bytes"},
    )
    assert response.status_code == 401
