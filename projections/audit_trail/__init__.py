"""The audit trail read model: every event, as recorded, in log order."""
