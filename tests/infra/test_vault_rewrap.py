"""``centsource vault rewrap``: after a new server key, every vault's data key is wrapped by
it, records untouched and still readable; a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import msgspec
import pytest

from domain.base import Actor
from domain.vault.application import Vault
from domain.vault.record import RecordType
from infra import database
from infra.cli import main
from infra.settings import Settings
from infra.vault_keys import Keyring


def test_rewrap_moves_every_vault_key_to_the_new_server_key(
    own_schema: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = msgspec.structs.replace(own_schema, secret_key="old-" + "o" * 44)
    new = msgspec.structs.replace(own_schema, secret_key="new-" + "n" * 44)
    database.create_schema(old)
    vault = Vault(database.event_store_env(old), Keyring(old.secret))
    by = Actor(uuid4(), "test")
    records = {}
    try:
        for _ in range(2):
            ws = uuid4()
            vault.set_pin(ws, by.actor_id, "402719", None, datetime.now(UTC), by)
            record, _ = vault.create_record(
                uuid4(), ws, RecordType.NOTE, "Safe", {"code": f"c-{ws}"}, None, False, by
            )
            records[ws] = record.id
    finally:
        vault.close()
    key_file = tmp_path / "old.key"
    key_file.write_text(old.secret + "\n")
    for name, value in new.as_env().items():
        monkeypatch.setenv(name, value)
    main(["vault", "rewrap", "--old-key-file", str(key_file)])
    assert (
        capsys.readouterr().out.strip() == "rewrapped 2 vault keys; 0 already under the current key"
    )
    main(["vault", "rewrap", "--old-key-file", str(key_file)])
    assert (
        capsys.readouterr().out.strip() == "rewrapped 0 vault keys; 2 already under the current key"
    )

    rewrapped = Vault(database.event_store_env(new), Keyring(new.secret))
    try:
        for ws, record_id in records.items():
            record = rewrapped.get_record(ws, record_id)
            assert record.version == 1  # untouched
            assert rewrapped.open_record(record).fields == {"code": f"c-{ws}"}
    finally:
        rewrapped.close()
