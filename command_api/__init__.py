"""The command API: authenticated, validated, idempotent commands onto the domain."""
