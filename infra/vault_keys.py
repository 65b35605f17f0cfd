"""The vault's keys: per-workspace AES-256-GCM data keys, wrapped by a key-encryption key that
HKDF derives from CENTSOURCE_SECRET_KEY and a per-vault salt; vault tokens and release links.

Nothing here is stored in the clear: a data key exists unwrapped only in memory, for the
request (or process) that needs it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.passwords import Argon2Hasher

SEAL_PREFIX = "v1."
NONCE_BYTES = 12
KEY_BYTES = 32
VAULT_TOKEN_ISSUER = "centsource-vault"  # noqa: S105 - a name
VAULT_TOKEN_LIFETIME = timedelta(minutes=10)


class BrokenSealError(ValueError):
    """A ciphertext that does not open with this key and these associated data: tampered
    with, moved from another record or version, or wrapped by another server key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise BrokenSealError("not a sealed value") from error


def _kek(secret: str, salt: bytes, workspace_id: UUID) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=salt,
        info=b"centsource vault kek v1|" + workspace_id.bytes,
    ).derive(secret.encode())


def _key_aad(workspace_id: UUID) -> bytes:
    return b"centsource vault data key v1|" + workspace_id.bytes


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return SEAL_PREFIX + _b64(nonce + AESGCM(key).encrypt(nonce, plaintext, aad))


def _open(key: bytes, sealed: str, aad: bytes) -> bytes:
    if not sealed.startswith(SEAL_PREFIX):
        raise BrokenSealError("not a sealed value")
    raw = _unb64(sealed.removeprefix(SEAL_PREFIX))
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as error:
        raise BrokenSealError("the sealed value does not open here") from error


class VaultCipher:
    """A workspace's data key, unwrapped: seals and opens its values."""

    def __init__(self, data_key: bytes) -> None:
        self._key = data_key

    def seal(self, plaintext: bytes, aad: bytes) -> str:
        return _seal(self._key, plaintext, aad)

    def open(self, sealed: str, aad: bytes) -> bytes:
        return _open(self._key, sealed, aad)

    def pepper(self, text: str) -> str:
        """A keyed digest of a PIN: what argon2id hashes, so that a stolen database alone
        cannot be searched through the million 6-digit PINs."""
        subkey = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"centsource vault pin"
        ).derive(self._key)
        return hmac.new(subkey, text.encode(), hashlib.sha256).hexdigest()


class Keyring:
    """Makes, unwraps and rewraps data keys with the server's secret key."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._hasher = Argon2Hasher()  # as passwords are: argon2id

    def new_key(self, workspace_id: UUID) -> tuple[str, str]:
        """A fresh data key: (salt, wrapped key), both safe to store."""
        salt = os.urandom(16)
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped = _seal(_kek(self.secret, salt, workspace_id), data_key, _key_aad(workspace_id))
        return _b64(salt), wrapped

    def cipher(self, workspace_id: UUID, salt: str, wrapped: str) -> VaultCipher:
        return VaultCipher(self._unwrap(self.secret, workspace_id, salt, wrapped))

    def opens(self, workspace_id: UUID, salt: str, wrapped: str) -> bool:
        try:
            self._unwrap(self.secret, workspace_id, salt, wrapped)
        except BrokenSealError:
            return False
        return True

    def rewrap(
        self, workspace_id: UUID, salt: str, wrapped: str, old_secret: str
    ) -> tuple[str, str]:
        """The same data key, wrapped afresh (new salt) by this keyring's secret."""
        data_key = self._unwrap(old_secret, workspace_id, salt, wrapped)
        new_salt = os.urandom(16)
        return _b64(new_salt), _seal(
            _kek(self.secret, new_salt, workspace_id), data_key, _key_aad(workspace_id)
        )

    @staticmethod
    def _unwrap(secret: str, workspace_id: UUID, salt: str, wrapped: str) -> bytes:
        return _open(_kek(secret, _unb64(salt), workspace_id), wrapped, _key_aad(workspace_id))

    # PINs: argon2id over the peppered PIN.
    def hash_pin(self, peppered: str) -> str:
        return self._hasher.hash(peppered)

    def verify_pin(self, pin_hash: str, peppered: str) -> bool:
        return self._hasher.verify(pin_hash, peppered)

    # Links: derived from the secret and the id they are for, so that a restart sends the
    # same link again and nothing secret is stored.
    def link_token(self, purpose: str, link_id: UUID) -> str:
        tag = hmac.new(
            self.secret.encode(), f"{purpose}|{link_id}".encode(), hashlib.sha256
        ).digest()
        return f"{link_id.hex}.{_b64(tag)}"

    def link_id(self, purpose: str, token: str) -> UUID | None:
        """The id a link token names, if it is one this server made; else None."""
        raw_id, _, _ = token.partition(".")
        try:
            link_id = UUID(hex=raw_id)
        except ValueError:
            return None
        if not hmac.compare_digest(self.link_token(purpose, link_id), token):
            return None
        return link_id

    def link_code(self, link_id: UUID) -> str:
        """The 8-digit code mailed apart from a release link."""
        tag = hmac.new(self.secret.encode(), f"release-code|{link_id}".encode(), hashlib.sha256)
        return f"{int.from_bytes(tag.digest()[:8], 'big') % 100_000_000:08d}"


@dataclass(frozen=True)
class VaultToken:
    user_id: UUID
    session_id: UUID
    workspace_id: UUID
    token_id: UUID
    expires_at: datetime


class InvalidVaultTokenError(Exception):
    pass


def new_vault_token_id(now: datetime) -> tuple[UUID, datetime]:
    """A vault token's id and when it expires."""
    return UUID(bytes=secrets.token_bytes(16), version=4), now + VAULT_TOKEN_LIFETIME


def issue_vault_token(
    secret: str,
    user_id: UUID,
    session_id: UUID,
    workspace_id: UUID,
    token_id: UUID,
    expires_at: datetime,
    now: datetime,
) -> str:
    return jwt.encode(
        {
            "iss": VAULT_TOKEN_ISSUER,
            "aud": str(workspace_id),
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(token_id),
            "iat": now,
            "exp": expires_at,
        },
        secret,
        algorithm="HS256",
    )


def read_vault_token(
    secret: str, token: str | None, workspace_id: UUID, now: datetime | None = None
) -> VaultToken:
    """The vault token's claims, if it is one of ours for this workspace and unexpired."""
    if not token:
        raise InvalidVaultTokenError("unlock the vault: an X-Vault-Token is required")
    now = now or datetime.now(UTC)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=VAULT_TOKEN_ISSUER,
            audience=str(workspace_id),
            options={
                "require": ["exp", "sub", "sid", "jti", "aud"],
                "verify_exp": False,  # checked below, against the injectable now
                "verify_iat": False,
            },
        )
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        if expires_at <= now:
            raise InvalidVaultTokenError("the vault token has expired: unlock again")
        return VaultToken(
            UUID(claims["sub"]),
            UUID(claims["sid"]),
            workspace_id,
            UUID(claims["jti"]),
            expires_at,
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise InvalidVaultTokenError("the vault token is not valid here: unlock again") from None
