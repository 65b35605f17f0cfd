"""The gamification read model: points ledger, badges earned, logging days."""
