"""Budgets and alert rules."""
