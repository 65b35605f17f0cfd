"""The vault: PIN-guarded encrypted records, a dead man's switch and its beneficiaries."""
