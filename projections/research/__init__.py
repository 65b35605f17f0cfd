"""The research read model: consented participants and what they sent, for the export."""
