"""The log's rows as domain events, their text made storable: what every projection reads."""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.base import build_mapper

mapper = build_mapper()


# PostgreSQL text and jsonb cannot hold NUL, and UTF-8 cannot hold a lone surrogate (which a
# JSON escape like "\ud800" decodes to); the store's JSON holds both.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """The value with each character PostgreSQL or UTF-8 cannot take replaced by U+FFFD, in
    every string of it, however deep (dict keys too)."""
    if isinstance(value, str):
        return UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, tuple | list):
        return type(value)(storable(item) for item in value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


def domain_event(row: dict[str, Any]) -> Any:
    """The domain event of a row of the log (its id, version, topic and state columns).

    Its text is made storable here, once for every projection: a projector's writes must be
    total over every event the store accepted, or one event would stop the projection, for
    every workspace, at every restart (the event stays in the log). The log keeps the original.
    """
    state = bytes(row["state"])
    event = mapper.to_domain_event(
        StoredEvent(
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=state,
        )
    )
    if _may_hold_unstorable(state):
        event.__dict__.update({key: storable(value) for key, value in vars(event).items()})
    return event


def _may_hold_unstorable(state: bytes) -> bool:
    """JSON holds a NUL or a lone surrogate only as an escape (``\\u0000``, ``\\ud800``):
    a state without ``\\u0000`` or ``\\ud``/``\\uD`` has neither, and is taken as it is
    (a fifth of a read model's catch-up went to looking through every string of every
    event). An escaped backslash before such text, or an emoji's surrogate pair, only
    sends the event the long way. One pass of a pattern: three searches took 1.4 µs."""
    return _ESCAPES.search(state) is not None


_ESCAPES = re.compile(rb"\\u(?:0000|[dD])")
