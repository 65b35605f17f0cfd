"""Workspaces: a household's or team's shared books, and who may do what in them."""
