"""The read API: projections served to members, consistent with the writes a client made."""
