"""Merchants: a clean name read from a bank's text ("STARBUCKS #1234 SEATTLE" → "Starbucks"),
and what users chose for each one's transactions, which later ones follow.

The name is found by rules anyone can read, not a model: drop card-processor prefixes
("SQ *", "PAYPAL *", "POS"), cut at the first store number, reference or card mask (a location
follows it), drop company suffixes (INC, LLC, GMBH …), map a few well-known abbreviations
(AMZN → Amazon, the longest that starts the name), and title-case text the bank wrote in capitals.
"""

from __future__ import annotations

import re
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id

_PROCESSOR = re.compile(
    r"^(?:(?:SQ|TST|PAYPAL|PP|SP|GOOGLE|APL|IZ|ZETTLE|SUMUP|SQU)\s?\*\s*"
    r"|(?:POS|DEBIT CARD PURCHASE|CARD PURCHASE|PURCHASE|CHECKCARD|VISA|CONTACTLESS|RECURRING"
    r"|DEBIT|CARD)\b[\s\-:]*"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?\s+)",
    re.IGNORECASE,
)
# Where the name ends: a store number, a reference after '*', a card mask, a date.
_NAME_ENDS = re.compile(r"\*|\s(?:#|NO\.\s*\d|X{2,}\d|\d{1,2}/\d{1,2}\b|\S*\d{3,})", re.IGNORECASE)
_SUFFIX = re.compile(
    r"[\s,]+(?:INC|LLC|LTD|CORP|CO|GMBH|PLC|S\.?A|AG|BV|OY|AB|PTY)\.?$", re.IGNORECASE
)
_WEB = re.compile(r"\.(?:COM|NET|ORG|CO\.UK|DE)$", re.IGNORECASE)
ALIASES = {
    "amzn": "Amazon",
    "amazon": "Amazon",
    "wholefds": "Whole Foods",
    "whole foods": "Whole Foods",
    "wm supercenter": "Walmart",
    "wal-mart": "Walmart",
    "walmart": "Walmart",
    "mcdonalds": "McDonald's",
    "mcdonald's": "McDonald's",
    "uber": "Uber",
    "uber eats": "Uber Eats",
    "netflix": "Netflix",
    "spotify": "Spotify",
    "starbucks": "Starbucks",
}
MAX_NAME = 100
MAX_STREAK = 9


def normalize_merchant(text: str | None) -> str | None:
    """A merchant's name from what the bank wrote, or None when nothing name-like is left."""
    name = " ".join((text or "").split())
    for _ in range(3):
        name = _PROCESSOR.sub("", name, count=1).strip()
    end = _NAME_ENDS.search(name)
    if end:
        name = name[: end.start()]
    name = _WEB.sub("", _SUFFIX.sub("", name)).strip(" -*,.")
    if not any(c.isalpha() for c in name):
        return None
    folded = name.casefold()
    for key in sorted(ALIASES, key=len, reverse=True):
        if folded == key or folded.startswith(key + " "):
            return ALIASES[key]
    if not any(c.islower() for c in name):
        name = " ".join(_title(word) for word in name.split())
    return name[:MAX_NAME]


def _title(word: str) -> str:
    """``XYZ`` and ``H&M`` stay as they are; other words written in capitals get a capital."""
    if "&" in word or not any(c in "AEIOU" for c in word.upper()):
        return word
    return word[:1] + word[1:].lower()


def series_name(merchant: str | None, description: str) -> str:
    """The name a transaction's recurring series is known by: its merchant, else the name read
    from its description, else the description itself (spaces collapsed)."""
    return merchant or normalize_merchant(description) or " ".join(description.split())


def merchant_key(name: str) -> str:
    return name.casefold()


class MerchantMemory(Tracked):
    """One per merchant and workspace: the category users last chose for its transactions and
    how many of their choices in a row agreed. A correction starts the count again.

    Confidence in the suggestion is ``streak / (streak + 1)``: one choice 0.5, two 0.67,
    nine 0.9; never 1, since the next transaction may be the exception."""

    class Started(Tracked.Created):
        name: str

    @event(Started)
    def __init__(self, workspace_id: UUID, name: str) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.category_id: UUID | None = None
        self.streak = 0

    @staticmethod
    def id_for(workspace_id: UUID, name: str) -> UUID:
        return natural_id(workspace_id, "merchant", merchant_key(name))

    @classmethod
    def start(cls, workspace_id: UUID, name: str, by: Actor) -> MerchantMemory:
        return cls._create(
            cls.Started,
            id=cls.id_for(workspace_id, name),
            workspace_id=workspace_id,
            name=name,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Learned(Tracked.Event):
        category_id: UUID

    def learn(self, category_id: UUID, by: Actor) -> None:
        """Past ``MAX_STREAK`` agreeing choices another one says nothing new."""
        if category_id != self.category_id or self.streak < MAX_STREAK:
            self._trigger(self.Learned, by, category_id=category_id)

    @event(Learned)
    def _learned(self, category_id: UUID) -> None:
        self.streak = self.streak + 1 if category_id == self.category_id else 1
        self.category_id = category_id

    @property
    def confidence(self) -> Decimal:
        return (Decimal(self.streak) / (self.streak + 1)).quantize(Decimal("0.01"))
