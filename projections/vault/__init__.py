"""The vault's read model: records' types and sealed titles, beneficiaries (sealed), the
wrapped data keys the read API opens them with, and the access log."""
