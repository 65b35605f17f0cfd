"""The activities read model: every workspace event as a line a person can read."""
