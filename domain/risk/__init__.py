"""Risk: scores new expenses, flags the risky ones once, and keeps their review."""
