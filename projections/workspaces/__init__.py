"""The workspaces read model: workspaces and who belongs to them, for read-side access checks."""
