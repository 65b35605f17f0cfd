"""Read models: one package per projection, each fed exactly once from the event log."""
