"""Access tokens: a token checked once is remembered only until it expires, and only under
the secret that signed it."""

from __future__ import annotations

import time
from datetime import timedelta
from uuid import uuid4

import pytest

from infra.tokens import InvalidTokenError, issue_access_token, principal_from


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    user, session = uuid4(), uuid4()
    token, _ = issue_access_token(user, session, "secret", timedelta(seconds=1))
    header = f"Bearer {token}"
    first = principal_from(header, "secret")
    assert (first.actor_id, first.session_id) == (user, session)
    assert principal_from(header, "secret") == first  # remembered
    time.sleep(max(0.0, (first.expires_at or 0) - time.time()) + 0.05)
    with pytest.raises(InvalidTokenError, match="expired"):
        principal_from(header, "secret")


def test_a_remembered_token_is_checked_again_under_another_secret() -> None:
    token, _ = issue_access_token(uuid4(), uuid4(), "secret", timedelta(minutes=5))
    principal_from(f"Bearer {token}", "secret")
    with pytest.raises(InvalidTokenError):
        principal_from(f"Bearer {token}", "another secret")
