"""The users read model: display names and system roles, and which sessions have ended."""
