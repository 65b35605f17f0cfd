"""The rules of a login session, without any infrastructure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.base import Actor, UnauthorizedError, build_mapper
from domain.identity.session import REFRESHED, RefreshTokenReusedError, Session

BY = Actor(uuid4(), "correlation-1")
NOW = datetime(2026, 3, 14, tzinfo=UTC)


def _session(secret: str = "next") -> Session:  # noqa: S107 - a test secret
    return Session.start(BY.actor_id, secret, NOW + timedelta(days=30), BY)


def test_a_refreshed_sessions_secret_coming_back_is_a_reuse_naming_its_successor() -> None:
    session, successor = _session("spent"), _session("next")
    session.refresh_into(successor, BY)
    with pytest.raises(RefreshTokenReusedError) as reuse:
        session.check_secret("spent", NOW)
    assert (reuse.value.session_id, reuse.value.successor_id) == (session.id, successor.id)


def test_a_wrong_secret_for_a_refreshed_session_is_no_reuse() -> None:
    session = _session("spent")
    session.refresh_into(_session(), BY)
    with pytest.raises(UnauthorizedError) as refused:
        session.check_secret("guessed", NOW)
    assert not isinstance(refused.value, RefreshTokenReusedError)


def test_a_logged_out_sessions_secret_is_refused_but_is_no_reuse() -> None:
    session = _session("mine")
    session.end("logged out", BY)
    with pytest.raises(UnauthorizedError) as refused:
        session.check_secret("mine", NOW)
    assert not isinstance(refused.value, RefreshTokenReusedError)


def test_an_ended_event_stored_before_successors_were_kept_still_loads() -> None:
    mapper = build_mapper()
    session = _session()
    session.refresh_into(_session(), BY)
    started, ended = (mapper.to_stored_event(e) for e in session.collect_events())
    state = mapper.transcoder.decode(ended.state)
    del state["successor_id"], state["class_version"]
    stored_v1 = type(ended)(
        ended.originator_id, ended.originator_version, ended.topic, mapper.transcoder.encode(state)
    )

    loaded = mapper.to_domain_event(stored_v1)

    assert isinstance(loaded, Session.Ended)
    assert (loaded.reason, loaded.successor_id) == (REFRESHED, None)
    replayed = loaded.mutate(mapper.to_domain_event(started).mutate(None))
    assert replayed is not None
    assert replayed.ended
