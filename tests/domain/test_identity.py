"""The Identity application on the event store: guesses at a code that race each other."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from uuid import uuid4

import pytest

from domain.base import Actor, ConflictError
from domain.identity.application import Identity
from domain.identity.user import CODE_TRIES, WrongCodeError
from infra import database
from infra.passwords import Argon2Hasher
from infra.settings import Settings
from tests.api import PASSWORD


@pytest.fixture
def identities(settings: Settings) -> Iterator[tuple[Identity, Identity]]:
    database.create_schema(settings)
    env = database.event_store_env(settings)
    first, second = Identity(env, Argon2Hasher(), "key"), Identity(env, Argon2Hasher(), "key")
    yield first, second  # two command API replicas
    first.close()
    second.close()


def test_concurrent_wrong_guesses_all_count_and_kill_the_code(
    identities: tuple[Identity, Identity],
) -> None:
    first, second = identities
    user, _ = first.sign_up(f"race-{uuid4().hex[:8]}@example.com", "R", PASSWORD, "race")
    by = Actor(user.id, "race")
    code = first.request_email_verification(user.id, by).code
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 9)]
    start = threading.Barrier(len(guesses))
    answers: list[type[Exception]] = []

    def guess(identity: Identity, wrong: str) -> None:
        start.wait()
        try:
            identity.verify_email(user.id, wrong, by)
        except (WrongCodeError, ConflictError) as error:
            answers.append(type(error))

    threads = [
        threading.Thread(target=guess, args=(first if n % 2 else second, wrong))
        for n, wrong in enumerate(guesses)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [WrongCodeError] * len(guesses)  # no guess went unanswered or uncounted
    assert first.get_user(user.id).verification_misses == CODE_TRIES
    with pytest.raises(WrongCodeError):
        first.verify_email(user.id, code, by)
