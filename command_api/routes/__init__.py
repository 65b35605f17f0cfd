"""One module of command routes per bounded context."""
