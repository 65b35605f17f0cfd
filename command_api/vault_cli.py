"""``centsource vault rewrap --old-key-file FILE``: every vault's data key, wrapped afresh by
the current CENTSOURCE_SECRET_KEY; records are not touched."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from command_api.admin_cli import OPERATOR_ID
from domain.base import Actor
from domain.vault.application import Vault
from infra import database
from infra.settings import Settings
from infra.vault_keys import BrokenSealError, Keyring


def rewrap(settings: Settings, old_key_file: str) -> None:
    old_secret = Path(old_key_file).read_text().strip()
    if not old_secret:
        raise SystemExit(f"{old_key_file} is empty")
    database.create_schema(settings)
    keyring = Keyring(settings.secret)
    vault = Vault(database.event_store_env(settings), keyring)
    by = Actor(OPERATOR_ID, f"cli-vault-rewrap-{uuid4()}")
    rewrapped = skipped = 0
    try:
        for key in vault.key_ids():
            try:
                done = vault.rewrap(
                    key, lambda ws, salt, wrapped: keyring.rewrap(ws, salt, wrapped, old_secret), by
                )
            except BrokenSealError:
                raise SystemExit(
                    f"vault key {key} opens with neither the old key nor the current one"
                ) from None
            rewrapped += done
            skipped += not done
    finally:
        vault.close()
    print(f"rewrapped {rewrapped} vault keys; {skipped} already under the current key")
