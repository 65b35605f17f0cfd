"""The rules of a user's mailed codes, without any infrastructure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.identity.user import CODE_TRIES, User, WrongCodeError

NOW = datetime(2026, 3, 14, tzinfo=UTC)
LATER = NOW + timedelta(minutes=15)


def _user() -> User:
    user = User.sign_up("ada@example.com", "Ada", "argon2-hash", "correlation-1")
    user.collect_events()
    return user


def _miss_the_verification(user: User, times: int) -> None:
    for _ in range(times):
        with pytest.raises(WrongCodeError):
            user.verify_email("wrong", NOW, user.actor("c"))


def test_each_wrong_try_of_a_live_code_is_an_event() -> None:
    user = _user()
    user.request_email_verification("right", LATER, user.actor("c"))
    _miss_the_verification(user, 2)
    events = user.collect_events()
    assert [type(e) for e in events[1:]] == [User.EmailVerificationMissed] * 2


def test_after_the_fifth_wrong_try_the_right_code_is_refused_too() -> None:
    user = _user()
    user.request_email_verification("right", LATER, user.actor("c"))
    _miss_the_verification(user, CODE_TRIES)
    with pytest.raises(WrongCodeError) as refused:
        user.verify_email("right", NOW, user.actor("c"))
    assert "ask for a new one" in refused.value.detail
    assert not user.email_verified


def test_a_dead_code_records_no_more_tries() -> None:
    user = _user()
    user.request_email_verification("right", LATER, user.actor("c"))
    _miss_the_verification(user, CODE_TRIES)
    user.collect_events()
    _miss_the_verification(user, 3)
    assert user.collect_events() == []


def test_a_new_code_gets_its_own_tries() -> None:
    user = _user()
    user.request_email_verification("first", LATER, user.actor("c"))
    _miss_the_verification(user, CODE_TRIES)
    user.request_email_verification("second", LATER, user.actor("c"))
    _miss_the_verification(user, CODE_TRIES - 1)
    user.verify_email("second", NOW, user.actor("c"))
    assert user.email_verified


def test_a_reset_code_dies_after_the_fifth_wrong_try() -> None:
    user = _user()
    user.request_password_reset("right", LATER, user.actor("c"))
    for _ in range(CODE_TRIES):
        with pytest.raises(WrongCodeError):
            user.reset_password("wrong", "new-hash", NOW, user.actor("c"))
    with pytest.raises(WrongCodeError):
        user.reset_password("right", "new-hash", NOW, user.actor("c"))
    assert user.password_hash == "argon2-hash"
    user.request_password_reset("again", LATER, user.actor("c"))
    user.reset_password("again", "new-hash", NOW, user.actor("c"))
    assert user.password_hash == "new-hash"
