"""What the vault needs from its keys (``infra/vault_keys.py`` provides them): the domain
decides what is sealed, with which associated data; never how."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class Cipher(Protocol):
    def seal(self, plaintext: bytes, aad: bytes) -> str:
        """Ciphertext (text safe to store) bound to ``aad``."""
        ...

    def open(self, sealed: str, aad: bytes) -> bytes:
        """The plaintext; raises ValueError when ``sealed`` does not open with ``aad``."""
        ...

    def pepper(self, text: str) -> str: ...


class Keys(Protocol):
    def new_key(self, workspace_id: UUID) -> tuple[str, str]:
        """A fresh data key for a workspace: (salt, wrapped key)."""
        ...

    def cipher(self, workspace_id: UUID, salt: str, wrapped: str) -> Cipher: ...

    def opens(self, workspace_id: UUID, salt: str, wrapped: str) -> bool:
        """Whether the wrapped key opens with the current server key."""
        ...

    def hash_pin(self, peppered: str) -> str: ...

    def verify_pin(self, pin_hash: str, peppered: str) -> bool: ...

    def link_token(self, purpose: str, link_id: UUID) -> str: ...

    def link_id(self, purpose: str, token: str) -> UUID | None: ...

    def link_code(self, link_id: UUID) -> str: ...


def aad(purpose: str, workspace_id: UUID, subject_id: UUID, version: int) -> bytes:
    """Associated data: a ciphertext opens only as what it was sealed as (a record's title or
    body, an attachment, a beneficiary), in its workspace, for its subject and version."""
    return f"centsource-vault/v1|{purpose}|{workspace_id}|{subject_id}|{version}".encode()
