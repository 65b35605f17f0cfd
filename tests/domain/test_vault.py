"""The vault's rules and keys, without a database: PINs, lockout backoff, AAD binding, vault
tokens' expiry, rewrapping, and the switch's lifecycle by a moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.base import Actor, ConflictError, InvalidInputError
from domain.vault.pin import Pin, VaultLockedError, check_pin
from domain.vault.ports import aad
from domain.vault.switch import Switch
from infra.vault_keys import (
    BrokenSealError,
    InvalidVaultTokenError,
    Keyring,
    issue_vault_token,
    new_vault_token_id,
    read_vault_token,
)

BY = Actor(uuid4(), "test")
T0 = datetime(2031, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "pin", ["000000", "123456", "987654", "121212", "123123", "123321", "12341234", "696969"]
)
def test_an_easy_pin_is_refused(pin: str) -> None:
    with pytest.raises(InvalidInputError, match="too easy"):
        check_pin(pin)


@pytest.mark.parametrize("pin", ["12345", "123456789", "12a456", "١٢٣٤٥٦"])
def test_a_pin_is_six_to_eight_ascii_digits(pin: str) -> None:
    with pytest.raises(InvalidInputError, match="6 to 8 digits"):
        check_pin(pin)


def test_five_wrong_pins_lock_for_15_minutes_then_30_and_the_right_pin_resets() -> None:
    pin = Pin.create(uuid4(), uuid4(), "hash", BY)
    for _ in range(4):
        assert pin.fail(T0, BY) is None
    assert pin.fail(T0, BY) == T0 + timedelta(minutes=15)
    with pytest.raises(VaultLockedError) as locked:
        pin.check_open(T0 + timedelta(minutes=10))
    assert locked.value.retry_after == 300
    later = T0 + timedelta(minutes=15)
    for _ in range(4):
        pin.fail(later, BY)
    assert pin.fail(later, BY) == later + timedelta(minutes=30)
    after = later + timedelta(minutes=30)
    for _ in range(4):
        pin.fail(after, BY)
    assert pin.fail(after, BY) == after + timedelta(minutes=60)
    back = after + timedelta(hours=1)
    pin.unlock(uuid4(), uuid4(), back + timedelta(minutes=10), back, BY)
    for _ in range(4):
        pin.fail(back, BY)
    assert pin.fail(back, BY) == back + timedelta(minutes=15)


def test_a_ciphertext_moved_to_another_record_version_or_workspace_does_not_open() -> None:
    keyring = Keyring("server-key-" + "x" * 40)
    ws = uuid4()
    cipher = keyring.cipher(ws, *keyring.new_key(ws))
    record, other = uuid4(), uuid4()
    sealed = cipher.seal(b"seed words", aad("body", ws, record, 3))
    assert b"seed words" not in sealed.encode()
    assert cipher.open(sealed, aad("body", ws, record, 3)) == b"seed words"
    for wrong in (
        aad("body", ws, other, 3),
        aad("body", ws, record, 4),
        aad("title", ws, record, 3),
        aad("body", uuid4(), record, 3),
    ):
        with pytest.raises(BrokenSealError):
            cipher.open(sealed, wrong)
    other_ws = uuid4()
    with pytest.raises(BrokenSealError):  # another vault's key
        keyring.cipher(other_ws, *keyring.new_key(other_ws)).open(
            sealed, aad("body", ws, record, 3)
        )


def test_rewrapping_keeps_the_data_key_and_needs_the_old_server_key() -> None:
    old, new = Keyring("old-key-" + "o" * 40), Keyring("new-key-" + "n" * 40)
    ws = uuid4()
    salt, wrapped = old.new_key(ws)
    sealed = old.cipher(ws, salt, wrapped).seal(b"policy 42", aad("body", ws, ws, 1))
    assert not new.opens(ws, salt, wrapped)
    new_salt, new_wrapped = new.rewrap(ws, salt, wrapped, old.secret)
    assert new_salt != salt
    assert new.cipher(ws, new_salt, new_wrapped).open(sealed, aad("body", ws, ws, 1)) == (
        b"policy 42"
    )
    with pytest.raises(BrokenSealError):
        new.rewrap(ws, salt, wrapped, "a-wrong-old-key")


def test_a_vault_token_lasts_10_minutes_for_its_workspace_only() -> None:
    secret = "s" * 48
    user, session, ws = uuid4(), uuid4(), uuid4()
    token_id, expires_at = new_vault_token_id(T0)
    token = issue_vault_token(secret, user, session, ws, token_id, expires_at, T0)
    read = read_vault_token(secret, token, ws, T0 + timedelta(minutes=9, seconds=59))
    assert (read.user_id, read.session_id, read.token_id) == (user, session, token_id)
    with pytest.raises(InvalidVaultTokenError, match="expired"):
        read_vault_token(secret, token, ws, T0 + timedelta(minutes=10))
    with pytest.raises(InvalidVaultTokenError):
        read_vault_token(secret, token, uuid4(), T0)
    with pytest.raises(InvalidVaultTokenError):
        read_vault_token("another-secret" * 4, token, ws, T0)


def test_release_links_are_derived_and_refused_when_forged() -> None:
    keyring = Keyring("k" * 48)
    release = uuid4()
    token = keyring.link_token("vault-release", release)
    assert keyring.link_id("vault-release", token) == release
    forged = token[:-1] + ("B" if token.endswith("A") else "A")
    assert keyring.link_id("vault-release", forged) is None
    assert keyring.link_id("vault-beneficiary-confirm|1", token) is None
    assert len(keyring.link_code(release)) == 8


def test_the_switch_reminds_at_half_grace_triggers_once_and_a_check_in_cancels_in_grace() -> None:
    ws = uuid4()
    switch = Switch.create(ws, 30, 10, True, T0, BY)
    assert not switch.remind(T0 + timedelta(days=34), BY)
    assert switch.remind(T0 + timedelta(days=35), BY)
    assert not switch.remind(T0 + timedelta(days=36), BY)  # once per check-in
    beneficiary = uuid4()
    assert not switch.trigger(T0 + timedelta(days=39, hours=23), [beneficiary], BY)
    due = T0 + timedelta(days=40)
    assert switch.trigger(due, [beneficiary], BY)
    [release] = switch.releases
    assert not switch.trigger(due + timedelta(days=1), [beneficiary], BY)
    again = Switch.create(ws, 30, 10, True, T0, BY)
    again.trigger(due, [beneficiary], BY)
    assert again.releases == (release,)  # the same release id, whoever triggers it
    assert switch.check_in(due + timedelta(days=9), BY)  # cancels
    assert (switch.triggered_at, switch.releases) == (None, ())
    late = Switch.create(ws, 30, 10, True, T0, BY)
    late.trigger(due, [beneficiary], BY)
    with pytest.raises(ConflictError):
        late.check_in(due + timedelta(days=10), BY)
    late.configure(30, 10, False, due + timedelta(days=11), BY)  # disabling still cancels
    assert late.releases == ()
