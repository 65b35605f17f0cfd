"""Risk flags: each flagged transaction, its score, reasons and review."""
