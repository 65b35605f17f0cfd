"""The goals read model: goals, contributions, and progress."""
